"""Benchmark driver: django-cqrs (master model → RabbitMQ → replica model), the peer, through the lag phases.

Usage (the bench virtualenv, from the repository root; ``make bench`` runs it):
    .venv-bench/bin/python bench/lag_peer.py [--rates 50 200 500 1000] [--seconds 10] [--json out.json]

Fresh databases ``BENCH_PEER_MASTER_DB`` / ``BENCH_PEER_REPLICA_DB`` (migrated), a fresh queue,
one ``cqrs_consume`` worker (django-cqrs' default) in the background. One update = load the
account, add 1 to its balance, ``save()`` — which commits and then publishes. Lag, phases and
writer threads are the ones of ``bench/lagkit.py``, exactly as for CQRS Sync.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PEER = BENCH / "peer"
LOG_DIR = BENCH / "results" / "logs"  # logs of the processes the benches start
sys.path.insert(0, str(PEER))
sys.path.insert(0, str(BENCH))

import MySQLdb  # noqa: E402
from lagkit import Bench, Poller, ReadTable, add_phase_arguments, print_outcome, run_phases  # noqa: E402

MASTER_DB = os.environ.get("BENCH_PEER_MASTER_DB", "bench_peer_master")
REPLICA_DB = os.environ.get("BENCH_PEER_REPLICA_DB", "bench_peer_replica")
QUEUE = os.environ.get("BENCH_PEER_QUEUE", "bench_account_replica")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MYSQL = {"host": os.environ.get("BENCH_MYSQL_HOST", "127.0.0.1"),
         "port": int(os.environ.get("BENCH_MYSQL_PORT", "3306")), "user": "root", "password": ""}


def django_env(side: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": f"peer_settings.{side}",
            "PYTHONPATH": os.pathsep.join([str(PEER), os.environ.get("PYTHONPATH", "")])}


def fresh_databases() -> None:
    server = MySQLdb.connect(**MYSQL)
    cursor = server.cursor()
    for name in (MASTER_DB, REPLICA_DB):
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    server.close()
    for side in ("master", "replica"):
        subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], env=django_env(side), check=True)


def fresh_queue() -> None:
    """Leftovers of an aborted run would re-create rows in the fresh replica database."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    for queue in (QUEUE, f"dead_letter_{QUEUE}", f"delay_queue_{QUEUE}"):
        channel.queue_delete(queue=queue)
    connection.close()


def consumers_attached() -> int:
    import pika
    from pika.exceptions import ChannelClosedByBroker

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        return int(connection.channel().queue_declare(queue=QUEUE, passive=True).method.consumer_count)
    except ChannelClosedByBroker:  # the queue does not exist yet
        return 0
    finally:
        if connection.is_open:
            connection.close()


def start_consumer(log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        consumer = subprocess.Popen([sys.executable, "-m", "django", "cqrs_consume", "-w", "1"],
                                    env=django_env("replica"), stdout=log, stderr=subprocess.STDOUT)
    # Publishing before the consumer has declared and bound its queue would lose messages.
    deadline = time.monotonic() + 60
    while consumers_attached() < 1:
        if consumer.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"cqrs_consume did not attach to {QUEUE}; see {log_path}")
        time.sleep(0.2)
    return consumer


def worker_pids(consumer: subprocess.Popen[bytes]) -> list[int]:
    """cqrs_consume runs its worker(s) as child processes: those are what apply the messages."""
    children = Path(f"/proc/{consumer.pid}/task/{consumer.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def stop(consumer: subprocess.Popen[bytes]) -> None:
    consumer.send_signal(signal.SIGTERM)  # cqrs_consume stops its workers, then exits
    try:
        consumer.wait(timeout=20)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_phase_arguments(parser)
    parser.add_argument("--log", default=str(LOG_DIR / "lag-peer-consumer.log"))
    options = parser.parse_args()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    fresh_databases()
    fresh_queue()
    consumer = start_consumer(Path(options.log))
    os.environ.update(django_env("master"))
    import django

    django.setup()
    from peer_master.models import Account

    poller = Poller(ReadTable({**MYSQL, "database": REPLICA_DB}, "SELECT id, cqrs_revision FROM account"))
    try:
        accounts = [Account.objects.create(owner=f"bench {n}", balance=Decimal("1000.00"))
                    for n in range(options.accounts)]
        for account in accounts:
            poller.wait_seen(account.pk, account.cqrs_revision)

        def writer_factory() -> Any:
            def write(pk: Any) -> int:
                account = Account.objects.get(pk=pk)
                account.balance += 1
                account.save()  # commits, then publishes; refreshes cqrs_revision first
                return int(account.cqrs_revision)

            return write

        bench = Bench(writer_factory, [account.pk for account in accounts], poller, options.threads)
        workers = worker_pids(consumer)

        def signal_workers(sig: signal.Signals) -> None:
            for pid in workers:
                os.kill(pid, sig)

        results = run_phases(bench, options, lambda: signal_workers(signal.SIGSTOP),
                             lambda: signal_workers(signal.SIGCONT), print_outcome)
        master = {a.pk: (a.balance, a.cqrs_revision) for a in Account.objects.all()}
        replica = MySQLdb.connect(**MYSQL, database=REPLICA_DB).cursor()
        replica.execute("SELECT id, balance, cqrs_revision FROM account")
        copied = {pk: (balance, revision) for pk, balance, revision in replica.fetchall()}
        results["consistent"] = master == copied
        results["system"] = "django-cqrs"
    finally:
        poller.close()
        stop(consumer)
    warnings = sum(1 for line in Path(options.log).read_text(errors="replace").splitlines()
                   if any(word in line.lower() for word in ("warning", "error", "lost", "duplicate")))
    results["consumer_log_warnings"] = warnings
    print(f"consistent: {results['consistent']}; consumer log warnings: {warnings}", flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
