"""Trace one deposit from the HTTP request to the MySQL row: which of our files and functions it passes.

Usage (from the repository root):
    .venv/bin/python bench/trace_deposit.py [--json PATH]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in; MySQL is the benchmark
database of ``projector_common`` (``BENCH_DATABASE_URL``). The web side runs in this process through
Django's full request handler (middleware, authentication, the ninja route); the projector runs as
``runprojector`` does (lease, change stream, reader thread, status writer), in threads of this process.
An account is opened and projected first, untraced; then a profiler records every call into the
project's own packages (accounts_write, accounts_read, projector, config) from the moment the deposit
request starts until the read model shows it and the projector's status writer has recorded the
outbox entry as done. Idle work in that window (a poll that found nothing) is counted too: it is what
the projector does while a deposit is on its way.

It prints the files and functions per side (web, projector) and the totals that docs/ARCHITECTURE.md
quotes; ``--json`` writes them for comparison between two versions of the code.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

from projector_common import REPO_ROOT, prepare_read_database, truncate_read_side

from tests.mongo_standin.process import mongo_url_or_standin

PACKAGES = ("accounts_write", "accounts_read", "projector", "config")
WEB = "web"
PROJECTOR = "projector"
INLINE = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


class CallRecorder:
    """A profile hook (sys/threading.setprofile) that records our functions while ``on`` is set."""

    def __init__(self) -> None:
        self.on = threading.Event()
        self.calls: dict[str, dict[str, set[str]]] = {WEB: defaultdict(set), PROJECTOR: defaultdict(set)}
        self.web_thread = threading.get_ident()
        self._roots = tuple(str(REPO_ROOT / package) + "/" for package in PACKAGES)

    def hook(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not self.on.is_set():
            return
        path = frame.f_code.co_filename
        if not path.startswith(self._roots) or "/migrations/" in path:
            return
        name = frame.f_code.co_qualname
        if name.endswith(INLINE):  # a comprehension is part of the function it is written in
            return
        side = WEB if threading.get_ident() == self.web_thread else PROJECTOR
        self.calls[side][str(Path(path).relative_to(REPO_ROOT))].add(name)


def run(mongo_url: str) -> dict[str, Any]:
    import os

    os.environ["MONGO_URL"] = mongo_url
    from django.conf import settings

    settings.MONGO_URL = mongo_url
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_WRITE_RATE_LIMIT = 0
    prepare_read_database()
    truncate_read_side()
    from django.test import Client

    from accounts_read.models import AccountView
    from projector.bootstrap import build_runner
    from tests.auth import bearer, issue_api_key

    recorder = CallRecorder()
    threading.setprofile(recorder.hook)  # every projector thread started from here on
    stop = threading.Event()
    runner = build_runner(owner="trace", stop=stop)
    projector = threading.Thread(target=runner.run, name="projector", daemon=True)
    projector.start()

    client = Client(headers=bearer(issue_api_key()))
    opened = client.post(
        "/api/accounts", {"owner": "Trace", "currency": "EUR"}, content_type="application/json"
    )
    if opened.status_code != 201:
        raise SystemExit(f"opening the account failed: {opened.status_code} {opened.content!r}")
    account_id = opened.json()["account_id"]
    wait_for_version(AccountView, account_id, 1)
    time.sleep(1.0)  # the open's outbox status is recorded, the reader is back to polling

    recorder.on.set()
    sys.setprofile(recorder.hook)
    started = time.perf_counter()
    response = client.post(
        f"/api/accounts/{account_id}/deposit", {"amount": "10.00"}, content_type="application/json"
    )
    sys.setprofile(None)
    if response.status_code != 200:
        raise SystemExit(f"the deposit failed: {response.status_code} {response.content!r}")
    wait_for_version(AccountView, account_id, 2)
    visible = time.perf_counter() - started
    wait_for_done(runner.outbox, account_id, 2)
    recorder.on.clear()
    stop.set()
    projector.join(timeout=30)
    threading.setprofile(None)
    return summarise(recorder, visible)


def wait_for_version(model: Any, account_id: str, version: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if model.objects.filter(account_id=account_id, version__gte=version).exists():
            return
        time.sleep(0.01)
    raise SystemExit(f"the read model did not reach version {version} of {account_id} in {timeout:.0f} s")


def wait_for_done(outbox: Any, account_id: str, version: int, timeout: float = 30.0) -> None:
    import uuid

    from accounts_write.contract import OutboxField, OutboxStatus

    query = {
        OutboxField.AGGREGATE_ID: uuid.UUID(account_id),
        OutboxField.AGGREGATE_VERSION: version,
        OutboxField.STATUS: OutboxStatus.DONE.value,
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.collection.count_documents(query):
            return
        time.sleep(0.01)
    raise SystemExit(f"the outbox entry of version {version} was not marked done in {timeout:.0f} s")


def summarise(recorder: CallRecorder, visible: float) -> dict[str, Any]:
    sides = {
        side: {path: sorted(names) for path, names in sorted(files.items())}
        for side, files in recorder.calls.items()
    }
    every_file = set(sides[WEB]) | set(sides[PROJECTOR])
    every_function = {
        (path, name) for files in sides.values() for path, names in files.items() for name in names
    }
    return {
        "files": len(every_file),
        "functions": len(every_function),
        "per_side": {
            side: {"files": len(files), "functions": sum(map(len, files.values()))}
            for side, files in sides.items()
        },
        "visible_ms": round(visible * 1000, 1),
        "calls": sides,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this path")
    args = parser.parse_args()
    with mongo_url_or_standin() as mongo_url:
        result = run(mongo_url)
    for side in (WEB, PROJECTOR):
        print(
            f"== {side}: {result['per_side'][side]['files']} files, "
            f"{result['per_side'][side]['functions']} functions"
        )
        for path, names in result["calls"][side].items():
            print(f"  {path}: {', '.join(names)}")
    print(
        f"one deposit passes {result['files']} of our files and {result['functions']} of our functions "
        f"(both processes); visible in the read model after {result['visible_ms']} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
