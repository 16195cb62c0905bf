"""MongoDB goes away under the projector: it backs off, reconnects, resumes and loses nothing."""

from __future__ import annotations

import time

import pytest

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import wait_for_log
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(120)]


def test_the_projector_rides_out_a_mongodb_restart(standin_factory, mongo_db, spawn_projector, tmp_path):
    standin = standin_factory(dbpath=str(tmp_path / "mongo"))
    client = standin.client()
    database = client[mongo_db.name]
    ensure_collections_and_indexes(database)
    with bootstrap.override_bus(bootstrap.build_bus(database=database)):
        workload = Workload(accounts=5, commands=100, seed=4)
        workload.open_accounts()
        projector = spawn_projector("steadfast", mongo=standin.url)
        wait_for_log(projector, "leads")
        workload.run()
        wait_for_convergence(database, 30, projector)

        standin.kill()
        time.sleep(3)
        standin.start()
        Workload(accounts=5, commands=100, seed=9, account_ids=workload.account_ids).run()
        wait_for_convergence(database, 30, projector)

    client.close()
    assert projector.alive
    assert "mongodb unavailable" in projector.log()
