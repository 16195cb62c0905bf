"""Change-stream history lost while the projector was down: the sweep catches up, nothing is lost."""

from __future__ import annotations

import pytest

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import wait_for_log
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def small_history_db(standin_factory, mongo_db):
    standin = standin_factory(history_size=40)
    client = standin.client()
    database = client[mongo_db.name]
    ensure_collections_and_indexes(database)
    with bootstrap.override_bus(bootstrap.build_bus(database=database)):
        yield standin, database
    client.close()


def test_a_lost_resume_point_is_swept_and_the_stream_continues(small_history_db, spawn_projector):
    standin, database = small_history_db
    workload = Workload(accounts=5, commands=20, seed=1)
    workload.open_accounts()
    first = spawn_projector("before", mongo=standin.url)
    wait_for_log(first, "leads")
    workload.run()
    wait_for_convergence(database, timeout=30)
    assert first.terminate() == 0

    # Far more changes than the history keeps, while no projector runs.
    Workload(accounts=5, commands=150, seed=2, account_ids=workload.account_ids).run()
    second = spawn_projector("after", mongo=standin.url)
    wait_for_log(second, "change stream history lost")
    wait_for_convergence(database, timeout=30)

    # The fresh stream keeps delivering.
    Workload(accounts=5, commands=20, seed=3, account_ids=workload.account_ids).run()
    wait_for_convergence(database, timeout=30)
    assert second.alive
