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
LEADING_KILLS = 5


def test_sigkill_at_random_moments_loses_and_doubles_nothing(write_side, spawn_projector):
    workload = Workload(accounts=40, commands=2500)
    workload.open_accounts()
    writer = workload.start()
    rng = random.Random(11)
    victims: list[ProjectorProcess] = []
    deadline = time.monotonic() + 150

    def killed_while_leading() -> int:
        return sum("leads" in victim.log() for victim in victims)

    # Keep killing until the workload is over and enough kills hit a leader: on a busy machine a
    # victim may die before it takes the lease, and such a kill proves little.
    while len(victims) < KILLS or not workload.done.is_set() or killed_while_leading() < LEADING_KILLS:
        if time.monotonic() > deadline:
            break
        victims.append(spawn_projector(f"victim-{len(victims)}"))
        # Anywhere from start-up and catch-up to the middle of tailing.
        time.sleep(rng.uniform(0.3, 2.5))
        victims[-1].kill()
    kills, leading = len(victims), killed_while_leading()
    writer.join(timeout=120)
    assert workload.succeeded > 2000

    survivor = spawn_projector("survivor")
    wait_for_log(survivor, "leads")
    wait_for_convergence(write_side, timeout=60)
    assert survivor.terminate() == 0
    assert "projector survivor stopped" in survivor.log()
    assert kills >= 10
    assert leading >= LEADING_KILLS, f"only {leading} of {kills} kills hit a leading projector"
