"""Soak: a service process — started in its own process group, SIGKILLed, frozen, restarted."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import MySQLdb
import pymongo

REPO_ROOT = Path(__file__).resolve().parents[3]


class Service:
    """One long-running process; ``log_path`` collects the output of all its lives."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        log_dir: Path,
        ready: Callable[[], bool] | None = None,
        supervised: bool = True,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.ready = ready
        self.supervised = supervised
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0
        self.paused = False

    def start(self, wait: float | None = None) -> None:
        self.clean_group()
        with self.log_path.open("ab") as log:
            log.write(f"=== start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=str(REPO_ROOT),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.starts += 1
        self.paused = False
        if wait is not None and not self.wait_ready(wait):
            raise RuntimeError(f"{self.name} did not get ready within {wait} s:\n{self.log_tail()}")

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                return False
            if self.ready is None or self.ready():
                return True
            time.sleep(0.1)
        return False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.alive and self.proc is not None else None

    @property
    def age(self) -> float:
        return time.monotonic() - self.started_at if self.alive else 0.0

    def kill(self) -> bool:
        """SIGKILL the main process only, as the OOM killer or a crash would; True if it was alive."""
        if not self.alive or self.proc is None:
            return False
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.paused = False
        return True

    def clean_group(self) -> None:
        """What a supervisor does before a restart: end what is left of the old process group."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            if self.proc.poll() is None:
                self.proc.wait(timeout=10)

    def pause(self) -> None:
        if self.alive and self.proc is not None:
            os.kill(self.proc.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
        self.paused = False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the group, then SIGKILL whatever did not stop."""
        if self.proc is None:
            return
        self.resume()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.clean_group()

    def children(self) -> list[int]:
        """Direct children of the main process (e.g. gunicorn's workers)."""
        pid = self.pid
        if pid is None:
            return []
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in text.split()]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mysql_answers(port: int, database: str | None = None) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            options: dict[str, Any] = {
                "host": "127.0.0.1",
                "port": port,
                "user": "root",
                "connect_timeout": 1,
            }
            if database:
                options["database"] = database
            MySQLdb.connect(**options).close()
            return True
        except MySQLdb.Error:
            return False

    return ready


def mongo_answers(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            "127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=500, connectTimeoutMS=500
        )
        try:
            client.admin.command("hello")
            return True
        except pymongo.errors.PyMongoError:
            return False
        finally:
            client.close()

    return ready


def redis_answers(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    return ready


def http_answers(port: int, path: str = "/healthz") -> Callable[[], bool]:
    import http.client

    def ready() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    return ready


def install_mariadb(datadir: Path, log: Path) -> None:
    """A fresh data directory with a password-less root (the soak's own server, nobody else's)."""
    with log.open("ab") as out:
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={datadir}",
                f"--user={_user()}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def mariadb_argv(root: Path, port: int) -> list[str]:
    return [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        f"--datadir={root / 'data'}",
        f"--port={port}",
        f"--socket={root / 'mysqld.sock'}",
        "--bind-address=127.0.0.1",
        f"--user={_user()}",
        f"--pid-file={root / 'mysqld.pid'}",
        "--innodb-buffer-pool-size=128M",
        "--skip-log-bin",
        "--max-connections=500",
        "--innodb-flush-log-at-trx-commit=1",
        "--skip-name-resolve",
    ]


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
