"""pruneoutbox: old command records go; old projected entries go only where a replay can do without them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts_write.contract import COMMANDS_COLLECTION
from accounts_write.contract import OutboxField as F
from config.mongo import close_mongo_client
from projector import bluegreen, replay
from projector.bootstrap import outbox_store
from projector.models import PrunedHistory, PruneRecord
from tests.factories.outbox import AccountHistory
from tests.integration.projector.read_state import bank_histories, project_live, read_models_dump

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def outbox(settings, mongo_url, mongo_db):
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    yield outbox_store()
    close_mongo_client()
    bluegreen.drop_shadow_tables()


def old_and_new_history(outbox):
    """Accounts whose early events are weeks old and whose later events are recent; some all recent."""
    old = bank_histories(accounts=12, events_per_account=8)  # 2026-11-20 onwards
    for history in old[1:7]:  # old[0] is closed
        history._clock = datetime.now(UTC) - timedelta(hours=1, seconds=history.version)
        history.deposited("1.00")
        history.withdrawn("0.50")
    fresh = [AccountHistory(owner=f"Fresh {n}") for n in range(3)]
    for history in fresh:
        history.opened()
        history.deposited("9.00")
    project_live(outbox, old + fresh)
    return old, fresh


def old_commands(mongo_db, count=5):
    mongo_db[COMMANDS_COLLECTION].insert_many(
        [{"_id": f"old-{n}", "recorded_at": datetime.now(UTC) - timedelta(days=30)} for n in range(count)]
        + [{"_id": "recent", "recorded_at": datetime.now(UTC)}]
    )


def prune(*arguments):
    out = StringIO()
    call_command("pruneoutbox", *arguments, stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_without_a_full_replay_the_outbox_is_kept_and_the_command_says_why(outbox, mongo_db):
    old_and_new_history(outbox)
    old_commands(mongo_db)
    entries = outbox.count_all()

    said = prune("--older-than", "7")

    assert "nothing pruned: no full replay" in said
    assert outbox.count_all() == entries
    assert mongo_db[COMMANDS_COLLECTION].count_documents({}) == 1
    assert PruneRecord.objects.get().commands_deleted == 5


@pytest.mark.slow
def test_after_a_full_replay_old_projected_entries_go_and_a_replay_still_equals_live(outbox, mongo_db):
    old, fresh = old_and_new_history(outbox)
    replay.full_replay(outbox, started_by="test")
    live = read_models_dump()
    entries = outbox.count_all()

    said = prune("--older-than", "7")

    assert "deleted" in said
    record = PruneRecord.objects.get()
    assert record.outbox_deleted > 0 and outbox.count_all() == entries - record.outbox_deleted
    assert not outbox.collection.find_one({F.OCCURRED_AT: {"$lt": record.history_before}, F.STATUS: "done"})
    assert PrunedHistory.objects.count() == len(old)
    assert outbox.collection.count_documents({F.AGGREGATE_ID: {"$in": [h.account_id for h in fresh]}}) == 6

    replay.full_replay(outbox, started_by="test")
    after = read_models_dump()
    for table in live:
        assert set(after[table]) ^ set(live[table]) == set(), table
    # One account with a pruned past and a kept present, re-projected in place.
    replay.rebuild_accounts(outbox, [old[0].account_id, old[-1].account_id, old[1].account_id])
    after = read_models_dump()
    for table in live:
        assert set(after[table]) ^ set(live[table]) == set(), table


def test_a_dry_run_deletes_nothing(outbox, mongo_db):
    old_and_new_history(outbox)
    old_commands(mongo_db)
    entries = outbox.count_all()

    said = prune("--older-than", "7", "--dry-run", "--force")

    assert "would delete" in said
    assert outbox.count_all() == entries
    assert mongo_db[COMMANDS_COLLECTION].count_documents({}) == 6
    assert not PruneRecord.objects.exists()


def test_entries_not_yet_projected_are_never_pruned(outbox):
    stuck = AccountHistory(owner="Stuck", start=datetime(2026, 11, 1, tzinfo=UTC))
    outbox.collection.insert_many([stuck.opened(), stuck.deposited("1.00")])

    prune("--older-than", "7", "--force")

    assert outbox.count_all() == 2


def test_the_age_must_be_positive(outbox):
    with pytest.raises(CommandError, match="positive"):
        prune("--older-than", "0")
