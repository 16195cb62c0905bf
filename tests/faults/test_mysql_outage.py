"""MySQL unreachable for 10 s during writes: entries fail, are retried, and everything converges."""

from __future__ import annotations

import time

import pytest

from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import wait_for_log
from tests.faults.tcp_proxy import TcpProxy
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def mysql_proxy(settings):
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 3306))
    yield proxy
    proxy.close()


def test_a_ten_second_mysql_outage_marks_entries_failed_and_then_converges(
    write_side, spawn_projector, mysql_proxy
):
    outbox = write_side[OUTBOX_COLLECTION]
    workload = Workload(accounts=10, commands=1500)
    workload.open_accounts()
    projector = spawn_projector("through-proxy", mysql_port=mysql_proxy.port)
    wait_for_log(projector, "leads")
    writer = workload.start()
    time.sleep(0.5)

    mysql_proxy.cut()
    outage_ends = time.monotonic() + 10
    failed_during_outage = 0
    while time.monotonic() < outage_ends:
        failed_now = outbox.count_documents({F.STATUS: OutboxStatus.FAILED})
        failed_during_outage = max(failed_during_outage, failed_now)
        time.sleep(0.2)
    mysql_proxy.restore()

    writer.join(timeout=60)
    wait_for_convergence(write_side, 60, projector)
    assert failed_during_outage > 0
    assert outbox.count_documents({F.ATTEMPTS: {"$gte": 1}}) > 0
    assert projector.alive, "the projector must ride out the outage, not exit"
    assert "mysql unavailable" in projector.log()
    assert projector.terminate() == 0
