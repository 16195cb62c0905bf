"""Test helper: run a ProjectorRunner in a thread against the test's MongoDB database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pymongo.database import Database

from projector.bootstrap import build_runner
from projector.runner import ProjectorRunner, RunnerConfig


def fast_config(**overrides: Any) -> RunnerConfig:
    config = replace(
        RunnerConfig.from_settings(),
        lease_ttl=timedelta(seconds=3),
        standby_poll=0.1,
        reconnect_max=0.5,
        idle_checkpoint=0.5,
        retry_interval=0.5,
    )
    return replace(config, **overrides)


@contextmanager
def running_projector(
    database: Database[Any], owner: str = "projector-a", **overrides: Any
) -> Iterator[ProjectorRunner]:
    runner = build_runner(owner=owner, database=database, config=fast_config(**overrides))
    thread = threading.Thread(target=runner.run, name=f"projector {owner}", daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        runner.stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the projector did not stop within 15 s"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> float:
    """Poll ``condition`` until true; return the seconds it took; fail after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started
