"""SIGKILL the projector at random moments under load: after a restart nothing is lost or doubled."""

from __future__ import annotations

import random
import time

import pytest

from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import ProjectorProcess, wait_for_log
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(300)]

KILLS = 12


def lead_or_give_up(victim: ProjectorProcess, timeout: float) -> bool:
    """Wait until the victim leads (True), or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and victim.alive:
        if "leads" in victim.log():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_at_random_moments_loses_and_doubles_nothing(write_side, spawn_projector):
    workload = Workload(accounts=40, commands=2500)
    workload.open_accounts()
    writer = workload.start()
    rng = random.Random(11)
    victims: list[ProjectorProcess] = []
    killed_while_leading = 0
    while len(victims) < KILLS or not workload.done.is_set():
        victim = spawn_projector(f"victim-{len(victims)}")
        victims.append(victim)
        if len(victims) % 3 == 0:
            # Anywhere from start-up to the first batches: maybe before it even takes the lease.
            time.sleep(rng.uniform(0.3, 2.5))
        elif lead_or_give_up(victim, timeout=20):
            # While leading: in its catch-up or in the middle of tailing. Waiting for the lease
            # first keeps these kills meaningful however slowly a busy machine starts a process.
            time.sleep(rng.uniform(0.0, 1.5))
        victim.kill()
        killed_while_leading += "leads" in victim.log()
    kills = len(victims)
    writer.join(timeout=120)
    assert workload.succeeded > 2000

    survivor = spawn_projector("survivor")
    wait_for_log(survivor, "leads")
    wait_for_convergence(write_side, timeout=60)
    assert survivor.terminate() == 0
    assert "projector survivor stopped" in survivor.log()
    assert kills >= KILLS
    assert killed_while_leading >= KILLS // 2, f"only {killed_while_leading} of {kills} kills hit a leader"
