"""Soak: the whole stack on private services — MariaDB, Redis, the stand-in, web, projectors, Celery.

Every process talks to the databases through TCP proxies (one per projector for MySQL, so that one
projector's link can be frozen), which the fault scheduler cuts; the soak itself talks to them
directly, so it can watch through every outage. A supervisor restarts what dies, as systemd would.
"""

from __future__ import annotations

import random
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import MySQLdb

from tests.faults.soak.services import (
    REPO_ROOT,
    Service,
    free_port,
    http_answers,
    install_mariadb,
    mariadb_argv,
    mongo_answers,
    mysql_answers,
    redis_answers,
)
from tests.faults.tcp_proxy import TcpProxy

DATABASE = "cqrs_soak"
APP_USER = "soak"
# Fresh for every run, like real secrets: production settings refuse placeholders.
APP_PASSWORD = secrets.token_urlsafe(24)
METRICS_TOKEN = secrets.token_urlsafe(40)
PROJECTORS = ("projector-a", "projector-b")


@dataclass(frozen=True)
class Settings:
    """What the soak's processes are configured with (shown in the report)."""

    lease_seconds: float = 5.0
    standby_poll_seconds: float = 0.5
    gunicorn_workers: int = 2

    def projector_env(self) -> dict[str, str]:
        return {
            "PROJECTOR_LEASE_SECONDS": str(self.lease_seconds),
            "PROJECTOR_STANDBY_POLL_SECONDS": str(self.standby_poll_seconds),
            "PROJECTOR_RECONNECT_MAX_SECONDS": "2",
            "PROJECTOR_RETRY_INTERVAL_SECONDS": "2",
        }


class Stack:
    def __init__(self, run_dir: Path, settings: Settings, seed: int) -> None:
        self.run_dir = run_dir
        self.settings = settings
        self.logs = run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("mysql", "mongo", "redis", "web")}
        self.mysql_proxies = {name: self._proxy("mysql") for name in ("web", *PROJECTORS)}
        self.mongo_proxy = self._proxy("mongo")
        self.redis_proxy = self._proxy("redis")
        self.mariadb = Service(
            "mariadb",
            mariadb_argv(run_dir / "mariadb", self.ports["mysql"]),
            env={},
            log_dir=self.logs,
            ready=mysql_answers(self.ports["mysql"]),
            supervised=False,
        )
        self.redis = Service(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.ports["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(run_dir),
            ],
            env={},
            log_dir=self.logs,
            ready=redis_answers(self.ports["redis"]),
            supervised=False,
        )
        self.mongodb = Service(
            "mongodb",
            [
                sys.executable,
                "-m",
                "tests.mongo_standin",
                "--port",
                str(self.ports["mongo"]),
                "--dbpath",
                str(run_dir / "mongo"),
            ],
            env=self._env(),
            log_dir=self.logs,
            ready=mongo_answers(self.ports["mongo"]),
            supervised=False,
        )
        web_env = self._env(mysql=self.mysql_proxies["web"].port)
        self.web = Service(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.ports['web']}",
                "--workers",
                str(settings.gunicorn_workers),
                "--preload",
                "--reuse-port",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            env=web_env,
            log_dir=self.logs,
            ready=http_answers(self.ports["web"]),
        )
        self.projectors = {
            name: Service(
                name,
                [sys.executable, "manage.py", "runprojector", "--owner", name],
                env={**self._env(mysql=self.mysql_proxies[name].port), **settings.projector_env()},
                log_dir=self.logs,
            )
            for name in PROJECTORS
        }
        celery = [sys.executable, "-m", "celery", "-A", "config.celery:app"]
        self.worker = Service(
            "celery-worker",
            [*celery, "worker", "--pool", "solo", "--loglevel", "INFO"],
            env={**web_env, **settings.projector_env()},
            log_dir=self.logs,
        )
        self.beat = Service(
            "celery-beat",
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(run_dir / "celerybeat-schedule")],
            env={**web_env, **settings.projector_env()},
            log_dir=self.logs,
        )
        self.supervisor = Supervisor(self.app_services, random.Random(f"{seed}-supervisor"))
        self.api_key = ""  # made at boot, once the database is migrated

    @property
    def app_services(self) -> list[Service]:
        return [self.web, *self.projectors.values(), self.worker, self.beat]

    @property
    def database_services(self) -> list[Service]:
        return [self.mariadb, self.redis, self.mongodb]

    # --- wiring -------------------------------------------------------------------------------------
    def _proxy(self, kind: str) -> TcpProxy:
        return TcpProxy("127.0.0.1", self.ports[kind])

    def mysql_url(self, port: int | None = None) -> str:
        # The application's own user with a password (production settings refuse a URL without one).
        return f"mysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{port or self.ports['mysql']}/{DATABASE}"

    def mongo_url(self, port: int | None = None) -> str:
        # directConnection: the driver must keep talking to the proxy, not to the member it names.
        return f"mongodb://127.0.0.1:{port or self.ports['mongo']}/?directConnection=true"

    def _env(self, mysql: int | None = None) -> dict[str, str]:
        import os

        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "soak-only-secret-key-not-for-production-use-0123456789",
            "DJANGO_SECURE_COOKIES": "false",
            # Plain HTTP on loopback: no HTTPS redirect, no HSTS (production's defaults otherwise).
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_HSTS_SECONDS": "0",
            "METRICS_TOKEN": METRICS_TOKEN,
            # The soak measures recovery, not the abuse limit (600 commands a minute per key).
            "API_WRITE_RATE_LIMIT": "0",
            "DATABASE_URL": self.mysql_url(mysql),
            "MONGO_URL": self.mongo_url(self.mongo_proxy.port),
            "MONGO_DB": DATABASE,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_proxy.port}/0",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
        }

    def direct_env(self) -> dict[str, str]:
        """The soak's own view: straight to the databases, past every proxy."""
        return {
            "DATABASE_URL": self.mysql_url(),
            "MONGO_URL": self.mongo_url(),
            "MONGO_DB": DATABASE,
        }

    # --- life cycle ---------------------------------------------------------------------------------
    def boot(self) -> None:
        install_mariadb(self.run_dir / "mariadb" / "data", self.logs / "mariadb.log")
        self.mariadb.start(wait=60)
        connection = MySQLdb.connect(host="127.0.0.1", port=self.ports["mysql"], user="root")
        cursor = connection.cursor()
        cursor.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        # One user for every process: a standby may then end a frozen leader's session (ADR 0021).
        cursor.execute(f"CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}'")
        cursor.execute(f"GRANT ALL ON {DATABASE}.* TO '{APP_USER}'@'%'")
        connection.close()
        self.redis.start(wait=30)
        (self.run_dir / "mongo").mkdir(exist_ok=True)
        self.mongodb.start(wait=60)
        for command in (["migrate", "--noinput"], ["ensure_mongo"]):
            self._manage(command)
        self.api_key = self._manage(["apikey", "create", "soak-load", "--scopes", "read,write"]).splitlines()[
            -1
        ]
        for service in self.app_services:
            service.start()
        if not self.web.wait_ready(90):
            raise RuntimeError(f"gunicorn did not answer:\n{self.web.log_tail()}")
        self.supervisor.start()

    def _manage(self, arguments: list[str]) -> str:
        """Run a management command on the private databases; its output is logged and returned."""
        import subprocess

        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=str(REPO_ROOT),
            env={**self._env(), **self.direct_env()},
            check=False,
            capture_output=True,
            text=True,
        )
        with (self.logs / "setup.log").open("a") as log:
            log.write(done.stdout + done.stderr)
        done.check_returncode()
        return done.stdout

    def shutdown(self) -> None:
        self.supervisor.stop()
        for service in self.app_services:
            service.stop()
        for proxy in (*self.mysql_proxies.values(), self.mongo_proxy, self.redis_proxy):
            proxy.close()
        for service in self.database_services:
            service.stop()

    def ensure_all_up(self, timeout: float = 120.0) -> None:
        """After the last fault: every database up, every link restored, every process running."""
        for proxy in (*self.mysql_proxies.values(), self.mongo_proxy, self.redis_proxy):
            proxy.restore()
            proxy.thaw()
        for service in self.database_services:
            if not service.alive:
                service.start(wait=60)
        for service in self.app_services:
            service.resume()
        deadline = time.monotonic() + timeout
        while not all(service.alive for service in self.app_services):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "processes did not come back: "
                    + ", ".join(service.name for service in self.app_services if not service.alive)
                )
            time.sleep(0.2)

    def leader(self, connection: Any) -> str | None:
        """The owner of an unexpired lease, read directly from MariaDB (None if nobody leads)."""
        cursor = connection.cursor()
        cursor.execute(
            "SELECT owner FROM projector_projectorlease WHERE name = 'projector' AND owner <> '' "
            "AND expires_at >= UTC_TIMESTAMP(6)"
        )
        row = cursor.fetchone()
        cursor.close()
        return str(row[0]) if row else None


class Supervisor:
    """Restarts dead application processes after a short random delay, as a process supervisor would."""

    def __init__(self, services: list[Service], rng: random.Random, delay: tuple[float, float] = (0.2, 1.5)):
        self.services = services
        self.rng = rng
        self.delay = delay
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        due: dict[str, float] = {}
        while not self._stop.wait(0.1):
            now = time.monotonic()
            for service in self.services:
                if service.alive or not service.supervised:
                    due.pop(service.name, None)
                    continue
                when = due.setdefault(service.name, now + self.rng.uniform(*self.delay))
                if now >= when:
                    due.pop(service.name)
                    service.start()
                    self.restarts += 1
