"""A leader frozen in the middle of a batch (SIGSTOP, or its MySQL link half-open) is replaced in time.

The frozen leader holds row locks in an open MySQL transaction, the lease row's among them; the
server keeps that session for as long as its idle timeout (hours). The standby must take the
lease within the lease time plus a few seconds, and the zombie, once it wakes, must commit
nothing (ADR 0021).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from projector.models import ProjectorLease
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import ProjectorProcess, wait_for_log
from tests.faults.sessions import freeze_inside_a_transaction
from tests.faults.test_leadership import wait_for_leader
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(180)]

LEASE_SECONDS = 2.0
# Lease time, one standby poll, and a few seconds for a loaded machine.
TAKEOVER_BOUND = LEASE_SECONDS + 6.0


def wait_for_takeover(standby: ProjectorProcess, since: float) -> float:
    while "leads" not in standby.log():
        if time.monotonic() - since > 30:
            break
        time.sleep(0.05)
    return time.monotonic() - since


def test_a_leader_stopped_in_the_middle_of_a_batch_is_replaced_within_the_lease_time(
    write_side, spawn_projector
):
    workload = Workload(accounts=30, commands=3000, seed=21)
    workload.open_accounts()
    first, second = spawn_projector("one"), spawn_projector("two")
    leader = wait_for_leader(first, second)
    standby = second if leader is first else first
    writer = workload.start()
    time.sleep(0.5)

    with connection.cursor() as cursor:
        freeze_inside_a_transaction(leader.pause, leader.resume, cursor, seed=1)
    frozen_at = time.monotonic()
    took = wait_for_takeover(standby, frozen_at)
    leader.resume()

    assert took < TAKEOVER_BOUND, f"the standby took the lease {took:.1f} s after the leader froze"
    wait_for_log(leader, "standby again", timeout=30)
    writer.join(timeout=120)
    wait_for_convergence(write_side, 60, leader, standby)
    assert ProjectorLease.objects.get().owner == standby.owner


def test_a_leader_whose_mysql_link_goes_half_open_is_replaced_within_the_lease_time(
    write_side, spawn_projector, mysql_proxy
):
    workload = Workload(accounts=30, commands=3000, seed=22)
    workload.open_accounts()
    leader = spawn_projector("partitioned", mysql_port=mysql_proxy.port, DATABASE_READ_TIMEOUT="5")
    wait_for_log(leader, "leads")
    standby = spawn_projector("standby")
    wait_for_log(standby, "starting")
    writer = workload.start()
    time.sleep(0.5)

    with connection.cursor() as cursor:
        freeze_inside_a_transaction(mysql_proxy.freeze, mysql_proxy.thaw, cursor, seed=2)
    frozen_at = time.monotonic()
    took = wait_for_takeover(standby, frozen_at)
    time.sleep(1.0)
    mysql_proxy.sever()

    assert took < TAKEOVER_BOUND, f"the standby took the lease {took:.1f} s after the link froze"
    wait_for_log(leader, "standby again", timeout=30)
    writer.join(timeout=120)
    wait_for_convergence(write_side, 60, leader, standby)
    assert ProjectorLease.objects.get().owner == standby.owner
