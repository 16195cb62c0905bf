"""MySQL unreachable for 10 s during writes: entries fail, are retried, and everything converges."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection

from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from tests.faults.convergence import wait_for_convergence
from tests.faults.processes import wait_for_log
from tests.faults.workload import Workload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(120)]


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


def test_the_read_api_answers_503_not_500_while_mysql_is_cut(mysql_proxy, client):
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = str(mysql_proxy.port)
    try:
        assert client.get("/api/accounts").status_code == 200
        mysql_proxy.cut()
        connection.close()
        answers = [client.get(path) for path in ("/api/accounts", f"/api/accounts/{uuid.uuid4()}")]
        mysql_proxy.restore()
        connection.close()
        assert client.get("/api/accounts").status_code == 200
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "read_database_unavailable"
        assert answer["Retry-After"] == "1"
