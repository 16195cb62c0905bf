"""One active projector: two started at once, only one applies; kill it and the other takes over."""

from __future__ import annotations

import time

import pytest

from projector.models import ProjectorLease
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import ProjectorProcess, wait_for_log
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(120)]


def wait_for_leader(*candidates: ProjectorProcess, timeout: float = 30.0) -> ProjectorProcess:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leaders = [process for process in candidates if "leads" in process.log()]
        if leaders:
            assert len(leaders) == 1, "two projectors lead at once"
            return leaders[0]
        time.sleep(0.05)
    raise AssertionError("no projector took the lead")


def test_two_projectors_one_applies_and_the_standby_takes_over_when_it_dies(write_side, spawn_projector):
    first, second = spawn_projector("one"), spawn_projector("two")
    leader = wait_for_leader(first, second)
    standby = second if leader is first else first
    workload = Workload(accounts=8, commands=200, seed=5)
    workload.open_accounts()
    workload.run()
    wait_for_convergence(write_side, timeout=30)
    assert "leads" not in standby.log()
    assert ProjectorLease.objects.get().owner == leader.owner

    leader.kill()
    Workload(accounts=8, commands=200, seed=6, account_ids=workload.account_ids).run()
    wait_for_log(standby, "leads", timeout=15)
    wait_for_convergence(write_side, timeout=30)
    assert ProjectorLease.objects.get().owner == standby.owner


def test_sigterm_stops_the_projector_cleanly_and_releases_the_lease(write_side, spawn_projector):
    projector = spawn_projector("graceful")
    wait_for_log(projector, "leads")
    workload = Workload(accounts=5, commands=400, seed=8)
    workload.open_accounts()
    writer = workload.start()
    time.sleep(1.0)

    started = time.monotonic()
    assert projector.terminate(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "projector graceful stopped" in projector.log()
    assert ProjectorLease.objects.get().owner == ""

    writer.join(timeout=60)
    successor = spawn_projector("successor")
    wait_for_log(successor, "leads", timeout=5)
    wait_for_convergence(write_side, timeout=30)
