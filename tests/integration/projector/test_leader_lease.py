"""The leader lease against a leader that froze inside a batch: its session is ended, the lease taken."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, connections, transaction

from projector.leader import LeaderLease
from projector.models import ProjectorLease

pytestmark = pytest.mark.django_db(transaction=True)

TTL = timedelta(seconds=0.5)


class FrozenLeader:
    """A leader in a thread of its own (its own MySQL session) that stops inside a batch."""

    def __init__(self, ttl: timedelta = TTL) -> None:
        self.lease = LeaderLease(owner="frozen", ttl=ttl)
        self.inside = threading.Event()
        self.wake = threading.Event()
        self.error_on_waking: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            assert self.lease.try_acquire()
            with transaction.atomic():
                self.lease.assert_held()  # the batch's first statement: the lease row is locked
                self.inside.set()
                self.wake.wait(30)
                ProjectorLease.objects.filter(name="projector").update(heartbeat_at=None)
        except BaseException as exc:
            self.error_on_waking = exc
        finally:
            self.inside.set()
            connections.close_all()

    def __enter__(self) -> FrozenLeader:
        self.thread.start()
        assert self.inside.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wake.set()
        self.thread.join(10)


@pytest.mark.slow
def test_a_standby_ends_the_session_of_a_leader_frozen_inside_a_batch_and_takes_the_lease():
    standby = LeaderLease(owner="standby", ttl=timedelta(seconds=30))
    with FrozenLeader() as frozen:
        time.sleep(TTL.total_seconds() + 0.2)
        started = time.monotonic()
        taken = standby.try_acquire()
        took = time.monotonic() - started
    assert taken and took < 3, f"took {took:.1f} s"
    assert ProjectorLease.objects.get().owner == "standby"
    assert isinstance(frozen.error_on_waking, DatabaseError), "the zombie's batch must not go on"
    standby.release()


def test_a_standby_does_not_wait_for_the_lock_of_a_live_leader():
    standby = LeaderLease(owner="standby", ttl=timedelta(seconds=30))
    with FrozenLeader(ttl=timedelta(seconds=30)) as frozen:
        started = time.monotonic()
        taken = standby.try_acquire()
        took = time.monotonic() - started
    assert not taken and took < 1, f"took {took:.1f} s"
    assert frozen.error_on_waking is None


def test_the_leader_marks_its_session_and_lets_go_of_the_mark_when_it_releases():
    lease = LeaderLease(owner="leader", ttl=timedelta(seconds=30))
    assert lease.try_acquire()
    with connection.cursor() as cursor:
        cursor.execute("SELECT IS_USED_LOCK(%s) = CONNECTION_ID()", [lease.session_lock])
        assert cursor.fetchone()[0] == 1
        lease.release()
        cursor.execute("SELECT IS_USED_LOCK(%s)", [lease.session_lock])
        assert cursor.fetchone()[0] is None
