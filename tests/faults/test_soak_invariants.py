"""The soak's resource invariant, on made-up samples (no services): a leak fails it, a short run's
warm-up does not.

Regression: a 2-minute soak in `make test` failed "projector open connections do not grow" because
every first-half sample caught a leader before its MongoDB pool was open (1 socket), and the
settled 4 sockets of the last half looked like growth.
"""

from __future__ import annotations

from tests.faults.soak.invariants import LEADER_SOCKETS, resources
from tests.faults.soak.monitor import Usage

CHECK = "projector open connections do not grow"


def leader_samples(sockets_by_second: dict[float, int]) -> list[Usage]:
    return [
        Usage(at=at, name="projector-1", pid=100, age=30.0 + at, rss_mb=70.0, sockets=sockets, leader=True)
        for at, sockets in sockets_by_second.items()
    ]


def sockets_check(usage: list[Usage]) -> bool:
    (check,) = [check for check in resources(usage) if check.name.startswith(CHECK)]
    return check.ok


def test_a_leader_that_opens_its_mongodb_pool_mid_run_is_not_a_leak():
    assert sockets_check(leader_samples({0: 1, 30: 1, 60: 1, 90: LEADER_SOCKETS, 120: LEADER_SOCKETS}))


def test_a_leader_whose_sockets_keep_growing_is_a_leak():
    assert not sockets_check(leader_samples({0: 4, 30: 4, 60: 4, 90: 6, 120: 9}))


def test_a_leader_that_starts_with_few_sockets_and_grows_past_its_settled_count_is_a_leak():
    assert not sockets_check(leader_samples({0: 1, 30: 1, 60: 1, 90: 5, 120: LEADER_SOCKETS + 3}))
