"""The operators' commands: deadletters list/show/retry/skip and syncstatus, text and JSON."""

from __future__ import annotations

import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from config.mongo import close_mongo_client
from projector.bootstrap import outbox_store
from projector.delivery import deliver
from projector.leader import CheckpointUpdate, save_checkpoint
from tests.factories.outbox import AccountHistory, money, outbox_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, mongo_url, mongo_db):
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    settings.PROJECTOR_MAX_ATTEMPTS = 1
    close_mongo_client()
    yield outbox_store()
    close_mongo_client()


@pytest.fixture
def dead_letter(outbox):
    """Ada's v2 is an unknown event type, dead at its first attempt; v3 is parked behind it."""
    ada = AccountHistory(owner="Ada")
    opened = ada.opened()
    poison = outbox_document(ada.account_id, 2, "FundsTeleported", {"amount": money("1")})
    ada.version = 2
    parked = ada.deposited("3.00")
    outbox.collection.insert_many([opened, poison, parked])
    deliver([opened, poison, parked], outbox, owner="projector")
    return poison, parked


def run(*arguments):
    out = StringIO()
    call_command(*arguments, stdout=out)
    return out.getvalue()


def test_list_shows_each_dead_letter_as_a_table_and_as_json(dead_letter):
    poison, _ = dead_letter

    text = run("deadletters", "list")
    listed = json.loads(run("deadletters", "--json", "list"))

    assert "EVENT ID" in text and str(poison["_id"]) in text and "FundsTeleported" in text
    assert "1 dead letter(s)" in text
    assert [(item["event_id"], item["parked"], item["version"]) for item in listed] == [
        (str(poison["_id"]), 1, 2)
    ]


def test_list_says_when_there_is_none(outbox):
    assert "No dead letters." in run("deadletters", "list")


def test_show_prints_payload_history_and_parked_events(dead_letter):
    poison, parked = dead_letter

    text = run("deadletters", "show", str(poison["_id"]))
    as_json = json.loads(run("deadletters", "--json", "show", str(poison["_id"])))

    assert "FundsTeleported" in text and "permanent" in text and "parked behind it: 1" in text
    assert str(parked["_id"]) in text
    assert as_json["entry"]["status"] == OutboxStatus.DEAD
    assert as_json["entry"]["payload"] == {"amount": "1.00"}
    assert [entry["_id"] for entry in as_json["parked"]] == [str(parked["_id"])]


def test_retry_that_fails_again_exits_non_zero_and_says_why(dead_letter):
    poison, _ = dead_letter

    with pytest.raises(CommandError, match="still not applied"):
        run("deadletters", "retry", str(poison["_id"]), "--by", "ops")


def test_skip_with_a_reason_releases_the_parked_event(dead_letter, outbox):
    poison, parked = dead_letter

    text = run("deadletters", "skip", str(poison["_id"]), "--reason", "test data", "--by", "ops")

    assert "skip" in text and "skipped; 1 parked event(s) released" in text
    assert outbox.get(parked["_id"])[F.STATUS] == OutboxStatus.DONE


def test_retry_all_after_the_cause_is_fixed(dead_letter, outbox):
    poison, _ = dead_letter
    fixed = {F.EVENT_TYPE: "FundsDeposited", F.PAYLOAD: {"amount": money("1"), "balance_after": money("1")}}
    outbox.collection.update_one({"_id": poison["_id"]}, {"$set": fixed})

    answer = json.loads(run("deadletters", "--json", "retry", "--all"))

    assert answer == [
        {"event_id": str(poison["_id"]), "action": "retry", "status": "done", "error": None, "released": 1}
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["retry"], "or pass --all"),
        (["retry", "--all", str(uuid.uuid4())], "or pass --all"),
        (["show", "not-a-uuid"], "not an event id"),
        (["retry", str(uuid.uuid4())], "no outbox entry"),
    ],
)
def test_mistakes_are_refused_in_words(outbox, arguments, message):
    with pytest.raises(CommandError, match=message):
        run("deadletters", *arguments)


def test_syncstatus_tells_the_same_facts_as_the_api(dead_letter, client, take_lease):
    take_lease("p1")
    with transaction.atomic():
        save_checkpoint(CheckpointUpdate(resume_token={"_data": "00"}))

    text = run("syncstatus")
    body = json.loads(run("syncstatus", "--json"))
    api = client.get("/api/sync/status").json()

    assert "alive, led by p1" in text and "dead letters   1" in text and "parked         1" in text
    assert "1 needing attention" in text
    assert body["outbox"]["dead_letters"] == api["outbox"]["dead_letters"] == 1
    backlog = {"pending": 0, "in_progress": 0, "failed": 0, "dead": 1, "parked": 1}
    assert body["outbox"]["backlog"] == api["outbox"]["backlog"] == backlog
    assert body["read_models"] == api["read_models"] == {"accounts": 1, "accounts_needing_attention": 1}
    assert set(body) == set(api)
