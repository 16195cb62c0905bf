"""Browser-test infrastructure: the real stack as child processes — web server and projector.

The MongoDB (a stand-in or ``MONGO_URL``) and the MySQL database are given: the tests pass
pytest-django's test database, the screenshot script a scratch database of its own. The web
server is Django's runserver (``--insecure`` serves the static files under test settings), with
the demo page's fault buttons on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.mongo_standin.process import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]


class StackStartError(RuntimeError):
    """A process of the stack exited or did not become ready in time."""


@dataclass
class ChildProcess:
    name: str
    args: list[str]
    env: dict[str, str]
    stop_signal: signal.Signals = signal.SIGTERM
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args, cwd=str(REPO_ROOT), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise StackStartError(f"{self.name} exited:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)  # both let coverage and clean-up run
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log_path.unlink(missing_ok=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class DemoStack:
    """``with DemoStack(...) as stack:`` — web on ``stack.base_url`` and a leading projector."""

    def __init__(
        self,
        *,
        database_url: str,
        mongo_url: str,
        mongo_db: str,
        start_timeout: float = 60,
        api_key: str | None = None,
    ) -> None:
        self.api_key = api_key  # read scope, for /api/sync/status; made by `manage.py apikey` if None
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "MONGO_URL": mongo_url,
            "MONGO_DB": mongo_db,
            "DEMO_FAULTS": "true",
            # As `make demo`: a poisoned account's event goes dead within seconds.
            "PROJECTOR_MAX_ATTEMPTS": "3",
            "PROJECTOR_RETRY_BACKOFF_BASE_SECONDS": "0.5",
            "PROJECTOR_RETRY_BACKOFF_MAX_SECONDS": "2",
            "PROJECTOR_RETRY_INTERVAL_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, "manage.py"]
        self.web = ChildProcess(
            "web",
            [*manage, "runserver", "--noreload", "--insecure", "--skip-checks", f"127.0.0.1:{self.port}"],
            self.env,
            stop_signal=signal.SIGINT,
        )
        self.projector = ChildProcess("projector", [*manage, "runprojector", "--owner", "demo"], self.env)

    def __enter__(self) -> DemoStack:
        if self.api_key is None:
            self.api_key = self._make_api_key()
        self.web.start()
        self.projector.start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self.web.stop()
        self.projector.stop()

    def get_json(self, path: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.base_url + path, headers={"Authorization": f"Bearer {self.api_key}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return json.load(response)

    def _make_api_key(self) -> str:
        name = f"demo-stack-{uuid.uuid4().hex[:8]}"
        output = subprocess.run(
            [sys.executable, "manage.py", "apikey", "create", name, "--scopes", "read"],
            cwd=str(REPO_ROOT),
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return output.strip().splitlines()[-1]

    def logs(self) -> str:
        return f"--- web:\n{self.web.log()[-3000:]}\n--- projector:\n{self.projector.log()[-3000:]}"

    def _wait_until_ready(self) -> None:
        """The web server answers and the projector leads (its lease shows in the sync status)."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self.web.check_alive()
            self.projector.check_alive()
            try:
                if self.get_json("/api/sync/status")["projector"]["alive"]:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, ValueError):
                pass
            time.sleep(0.1)
        raise StackStartError(f"the stack was not ready within {self.start_timeout} s\n{self.logs()}")
