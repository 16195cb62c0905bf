"""Fault-test helper: ``manage.py runprojector`` as a child process we can SIGKILL and restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class ProjectorProcess:
    """One projector subprocess; ``log()`` returns what it wrote to stderr."""

    def __init__(self, owner: str, env: dict[str, str]) -> None:
        self.owner = owner
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        fd, path = tempfile.mkstemp(prefix=f"projector-{owner}-", suffix=".log")
        os.close(fd)
        self.log_path = Path(path)

    def start(self) -> ProjectorProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "runprojector", "--owner", self.owner],
                cwd=str(REPO_ROOT), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as in a crash or an OOM kill."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def pause(self) -> None:
        """SIGSTOP: the process freezes wherever it is (a long GC pause, a stalled VM)."""
        if self.alive:
            os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: the frozen process carries on as if nothing happened (a zombie leader)."""
        if self.alive:
            os.kill(self.pid, signal.SIGCONT)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait: the projector finishes its batch and exits."""
        assert self.proc is not None
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cleanup(self) -> None:
        self.kill()
        self.log_path.unlink(missing_ok=True)


def wait_for_log(process: ProjectorProcess, text: str, timeout: float = 30.0) -> None:
    """Wait until the projector's log contains ``text``."""
    deadline = time.monotonic() + timeout
    while text not in process.log():
        if not process.alive:
            raise AssertionError(f"projector {process.owner} exited: {process.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the log of {process.owner}: {process.log()[-3000:]}")
        time.sleep(0.05)
