"""Soak entry point: ``python -m tests.faults.soak --minutes 30 [--seed N] [--report docs/RELIABILITY.md]``.

Exit status 0 when every invariant held, 1 when one was violated (the seed is printed first and
last), 2 when the stack could not be set up.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 30))
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("SOAK_SEED") or random.randrange(10**6))
    )
    parser.add_argument("--clients", type=int, default=6, help="concurrent HTTP clients")
    parser.add_argument("--rate", type=float, default=20.0, help="commands per second, all clients together")
    parser.add_argument("--kill-every", type=float, default=1.6, help="mean seconds between process kills")
    parser.add_argument("--lease", type=float, default=5.0, help="PROJECTOR_LEASE_SECONDS")
    parser.add_argument("--report", type=Path, help="write the report here (and the plot beside it)")
    parser.add_argument("--run-dir", type=Path, help="data and logs (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory afterwards")
    parser.add_argument("--plan-only", action="store_true", help="print the fault plan of this seed and stop")
    parser.add_argument("--only", help="comma-separated kinds of fault to inject (default: all)")
    return parser.parse_args(argv)


def log(text: str) -> None:
    sys.stdout.write(f"[soak {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tests.faults.soak.faults import plan

    seconds = args.minutes * 60
    only = set(args.only.split(",")) if args.only else None
    kills, outages = plan(args.seed, seconds, args.kill_every, args.lease, only)
    log(f"seed {args.seed}: {args.minutes:g} minutes of faults, {len(kills)} planned kills")
    if args.plan_only:
        for planned in kills:
            sys.stdout.write(f"kill   at {planned.at:8.2f}s  {planned.kind}\n")
        for planned in outages[:200]:
            sys.stdout.write(f"outage next        {planned.kind:22s} {planned.duration:6.2f}s\n")
        return 0
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="soak-"))
    log(f"run directory {run_dir} (logs in {run_dir / 'logs'})")
    ok = False
    try:
        ok = Soak(args, run_dir, kills, outages).run()
    finally:
        if ok and not args.keep and args.run_dir is None:
            shutil.rmtree(run_dir, ignore_errors=True)
    log(f"seed {args.seed}: {'all invariants held' if ok else 'INVARIANTS VIOLATED'}")
    return 0 if ok else 1


class Soak:
    def __init__(self, args: argparse.Namespace, run_dir: Path, kills: list[Any], outages: list[Any]) -> None:
        from tests.faults.soak.stack import Settings, Stack

        self.args, self.run_dir, self.kills, self.outages = args, run_dir, kills, outages
        self.stack = Stack(run_dir, Settings(lease_seconds=args.lease), args.seed)
        # The soak's own Django (invariant checks): straight to the private MariaDB.
        os.environ.update(self.stack.direct_env())
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        import django

        django.setup()

    def run(self) -> bool:
        from tests.faults.soak.monitor import Monitor

        try:
            log("booting MariaDB, Redis, the stand-in, gunicorn, two projectors, Celery worker and beat")
            self.stack.boot()
            self.monitor = Monitor(self.stack)
            self.monitor.start()
            return self._soak()
        finally:
            if hasattr(self, "monitor"):
                self.monitor.stop()
            self.stack.shutdown()

    def _soak(self) -> bool:
        from tests.faults.soak.faults import Lanes
        from tests.faults.soak.load import Book, Client, Http, Reader

        args, stack = self.args, self.stack
        connection = self.monitor.connect()
        self._wait(lambda: stack.leader(connection) is not None, 90, "no projector took the lead")
        book, stop_load, http = Book(), threading.Event(), Http(stack.ports["web"], stack.api_key)
        clients = [
            Client(
                n, http, book, random.Random(f"{args.seed}-client-{n}"), args.rate / args.clients, stop_load
            )
            for n in range(args.clients)
        ]
        reader = Reader(http, book, random.Random(f"{args.seed}-reader"), stop_load)
        for thread in (*clients, reader):
            thread.start()
        time.sleep(5)
        lanes = Lanes(
            stack,
            self.kills,
            self.outages,
            args.minutes * 60,
            self.monitor.wait_converged,
            self.monitor.connect,
            log,
            args.seed,
        )
        started = time.time()
        log("faults start")
        lanes.run()
        last_fault = max((fault.end for fault in lanes.faults), default=time.time())
        log(f"faults over: {len(lanes.faults)} injected; bringing everything up, settling the commands")
        stack.ensure_all_up()
        stop_load.set()
        for thread in (*clients, reader):
            thread.join(timeout=150)
        self._settle(book, http)
        final = self._final_convergence(last_fault)
        return self._verdict(book, reader, lanes.faults, started, last_fault, final)

    def _wait(self, condition: Any, timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(failure)
            time.sleep(0.2)

    def _settle(self, book: Any, http: Any) -> None:
        """Commands whose outcome is still unknown: ask again with the same key until it is known."""
        deadline = time.monotonic() + 120
        for command in [c for c in book.commands if c.outcome is None]:
            while command.outcome is None and time.monotonic() < deadline:
                command.answers.append(http.call("POST", command.path, command.body, command.key))
                if command.outcome is None:
                    time.sleep(0.5)

    def _final_convergence(self, last_fault: float) -> float | None:
        from django.db import connections

        from config.mongo import write_database
        from tests.faults.convergence import drift, not_done

        database = write_database()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if not drift(database) and not_done(database) == 0:
                    return time.time() - last_fault
            except Exception as exc:  # a database still recovering: look again
                log(f"convergence check: {exc.__class__.__name__}: {exc}")
                connections.close_all()
            time.sleep(1)
        return None

    def _verdict(
        self,
        book: Any,
        reader: Any,
        faults: list[Any],
        started: float,
        last_fault: float,
        final: float | None,
    ) -> bool:
        from config.mongo import write_database
        from tests.faults.soak import invariants
        from tests.faults.soak.report import Results, convergence, markdown, plot

        database = write_database()
        settings = self.stack.settings
        checks = [
            *invariants.commands_and_events(book, database),
            *invariants.state(book, database),
            invariants.Check(
                "read state equals write state within 180 s of the last fault",
                final is not None,
                f"{final:.1f} s" if final is not None else "not within 180 s",
            ),
            *invariants.http_answers(book, reader.answers, faults),
            invariants.takeovers(faults, settings.lease_seconds, settings.standby_poll_seconds),
            *invariants.resources(self.monitor.usage),
        ]
        firsts = [c for c in book.commands if not c.repeat]
        answers = [a for c in book.commands for a in c.answers] + [a for _, a in reader.answers]
        command = f"SOAK_MINUTES={self.args.minutes:g} SOAK_SEED={self.args.seed} make soak"
        results = Results(
            seed=self.args.seed,
            minutes=self.args.minutes,
            command=command,
            started=started,
            ended=time.time(),
            faults=faults,
            checks=checks,
            converge=convergence(faults, self.monitor),
            settings={
                "lease_seconds": settings.lease_seconds,
                "standby_poll_seconds": settings.standby_poll_seconds,
                "gunicorn_workers": settings.gunicorn_workers,
            },
            final_convergence=final,
            counts={
                "commands": len(firsts),
                "clients": self.args.clients,
                "acknowledged": sum(c.acknowledged for c in firsts),
                "refused": sum(c.outcome is not None and c.outcome >= 400 for c in firsts),
                "invalid": sum(not c.valid for c in firsts),
                "repeats": len(book.commands) - len(firsts),
                "retried": sum(len(c.answers) > 1 for c in firsts),
                "reads": len(reader.answers),
                "answers": sum(a.status is not None for a in answers),
                "no_answer": sum(a.status is None for a in answers),
            },
        )
        for check in checks:
            log(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        log(
            f"{results.kills} process kills, {results.outages} database outages, "
            f"{results.counts['acknowledged']} commands acknowledged"
        )
        for line in markdown(results, None).splitlines():
            if line.startswith("| ") and " s |" in line:
                log(line)
        if self.args.report:
            plot_path = self.args.report.with_name("reliability-lag.png")
            plot(results, self.monitor, plot_path)
            self.args.report.write_text(markdown(results, plot_path.name))
            log(f"report written to {self.args.report}")
        dump(self.run_dir / "answers.jsonl", book, reader, faults, self.monitor)
        if not results.ok:
            log(f"logs kept in {self.run_dir / 'logs'}; reproduce with: {shlex.quote(command)}")
        return results.ok


def dump(path: Path, book: Any, reader: Any, faults: list[Any], monitor: Any) -> None:
    """Every answer and fault, one JSON object a line, for a look after the run."""
    import dataclasses
    import json

    with path.open("w") as out:
        for fault in faults:
            out.write(json.dumps({"fault": dataclasses.asdict(fault)}) + "\n")
        for command in book.commands:
            row = {"kind": command.kind, "key": command.key, "repeat": command.repeat, "valid": command.valid}
            out.write(
                json.dumps(
                    {"command": row, "answers": [dataclasses.asdict(a) for a in command.answers]}, default=str
                )
                + "\n"
            )
        for usage in monitor.usage:
            out.write(json.dumps({"usage": dataclasses.asdict(usage)}) + "\n")
        for sample in monitor.samples:
            out.write(json.dumps({"sample": dataclasses.asdict(sample)}) + "\n")
        for path_read, answer in reader.answers:
            out.write(
                json.dumps({"read": path_read, "answer": dataclasses.asdict(answer)}, default=str) + "\n"
            )


if __name__ == "__main__":
    sys.exit(main())
