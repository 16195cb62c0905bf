"""Test infrastructure: start, stop, kill and restart the stand-in as a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymongo

REPO_ROOT = Path(__file__).resolve().parents[2]
REPLICA_SET = "rs0"


class StandinStartError(RuntimeError):
    """The stand-in process exited or did not answer `hello` in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a port nobody listens on (racy, but good enough for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class StandinProcess:
    """One stand-in server in a subprocess; restartable on the same port with the same arguments."""

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        dbpath: str | None = None,
        history_size: int | None = None,
        start_timeout: float = 15.0,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.dbpath = dbpath
        self.history_size = history_size
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_path: str | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?replicaSet={REPLICA_SET}"

    def command_line(self) -> list[str]:
        args = [sys.executable, "-m", "tests.mongo_standin", "--host", self.host, "--port", str(self.port)]
        if self.dbpath is not None:
            args += ["--dbpath", self.dbpath]
        if self.history_size is not None:
            args += ["--history-size", str(self.history_size)]
        return args

    def start(self) -> StandinProcess:
        if self._proc is not None and self._proc.poll() is None:
            return self
        fd, self._stderr_path = tempfile.mkstemp(prefix="mongo-standin-", suffix=".log")
        with os.fdopen(fd, "wb") as stderr:
            self._proc = subprocess.Popen(
                self.command_line(), cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL, stderr=stderr
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise StandinStartError(
                    f"stand-in exited with status {self._proc.returncode}: {self.stderr_text()}"
                )
            if self._answers_hello():
                return
            time.sleep(0.05)
        self.kill()
        raise StandinStartError(
            f"stand-in on port {self.port} did not answer hello within {self.start_timeout}s: "
            f"{self.stderr_text()}"
        )

    def _answers_hello(self) -> bool:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            self.host, self.port, directConnection=True, serverSelectionTimeoutMS=300, connectTimeoutMS=300
        )
        try:
            client.admin.command("hello")
            return True
        except pymongo.errors.PyMongoError:
            return False
        finally:
            client.close()

    def stderr_text(self) -> str:
        if self._stderr_path is None or not os.path.exists(self._stderr_path):
            return ""
        return Path(self._stderr_path).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM and wait: the clean shutdown path."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL and wait: the crash path, nothing gets a chance to flush."""
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> StandinProcess:
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def client(self, **kwargs: Any) -> pymongo.MongoClient[dict[str, Any]]:
        options: dict[str, Any] = {
            "uuidRepresentation": "standard",
            "tz_aware": True,
            "serverSelectionTimeoutMS": 5000,
        }
        options.update(kwargs)
        return pymongo.MongoClient(self.url, **options)


@contextmanager
def mongo_url_or_standin() -> Iterator[str]:
    """``$MONGO_URL`` when set (a real replica set); otherwise a memory-only stand-in for the duration."""
    external = os.environ.get("MONGO_URL")
    if external:
        yield external
        return
    standin = StandinProcess().start()
    try:
        yield standin.url
    finally:
        standin.stop()
