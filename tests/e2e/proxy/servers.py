"""E2E infrastructure: gunicorn with the repo's settings, and Debian's nginx with the repo's template.

nginx is run as compose runs it: the same ``config/nginx/cqrs.conf.template``, with its
``${CQRS_*}`` placeholders filled in (ports here, service names there), included in a minimal
main configuration whose paths are all in a scratch directory.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.mongo_standin.process import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = REPO_ROOT / "config" / "nginx" / "cqrs.conf.template"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")


def render_template(text: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does: ``${NAME}`` from ``values``; nginx's ``$vars`` stay."""
    return re.sub(r"\$\{(CQRS_[A-Z_]+)\}", lambda match: values[match.group(1)], text)


class Server:
    """A child process with its output in a log file; ``with`` starts it and stops it."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.args, self.env, self.port = name, args, env, port
        self.log_path = Path(tempfile.mkstemp(suffix=f"-{name}.log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=log)
        try:
            self.wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait_until_answering(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def gunicorn(env: dict[str, str], *, workers: int, threads: int) -> Server:
    port = free_port()
    multiproc = tempfile.mkdtemp(prefix="prometheus-")
    settings_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "PROMETHEUS_MULTIPROC_DIR": multiproc,
    }
    args = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
    return Server("gunicorn", args, settings_env, port)


def nginx(upstream_port: int) -> Server:
    if not Path(NGINX).exists():
        raise RuntimeError(f"nginx is not installed at {NGINX} (make test installs Debian's nginx)")
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="nginx-"))
    scratch.chmod(0o777)  # worker processes may run as nobody
    site = render_template(
        TEMPLATE.read_text(),
        {"CQRS_UPSTREAM": f"127.0.0.1:{upstream_port}", "CQRS_LISTEN": f"127.0.0.1:{port}"},
    )
    (scratch / "cqrs.conf").write_text(site)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {scratch / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (scratch / "nginx.conf").write_text(
        f"worker_processes 1;\npid {scratch / 'nginx.pid'};\nerror_log {scratch / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    include {scratch / 'cqrs.conf'};\n}}\n"
    )
    args = [NGINX, "-p", str(scratch), "-c", str(scratch / "nginx.conf"), "-g", "daemon off;"]
    return Server("nginx", args, dict(os.environ), port)


def slow_client(port: int, path: str = "/api/accounts") -> socket.socket:
    """A client that announces a body and sends none of it (and holds the connection open)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{".encode()
    )
    return sock


def timed_get(port: int, path: str, timeout: float = 5.0) -> float:
    """Seconds for one GET to be answered (``timeout`` plus a bit when it is not answered in time)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            response.read()
    except OSError:  # timed out (or refused): as slow as the wait was
        pass
    return time.monotonic() - started
