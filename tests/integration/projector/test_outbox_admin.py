"""The outbox in the Django admin: changelist from MongoDB, entry pages, retry and skip of dead letters."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client

from accounts_read.models import AccountView
from accounts_write.contract import EventType, OutboxStatus
from accounts_write.contract import OutboxField as F
from config.mongo import close_mongo_client
from projector import deadletters
from projector.admin_outbox_pages import describe
from projector.bootstrap import outbox_store
from projector.delivery import deliver
from projector.models import OutboxEntry
from projector.retry import retry_due
from tests.factories.outbox import AccountHistory, money, outbox_document

pytestmark = pytest.mark.django_db

MAX_ATTEMPTS = 2
CHANGELIST = "/admin/projector/outboxentry/"
ROW = re.compile(r'<th class="field-event_id"><a href="/admin/projector/outboxentry/([0-9a-f-]{36})/change/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def entry_url(event_id: uuid.UUID, action: str = "change") -> str:
    return f"{CHANGELIST}{event_id}/{action}/"


@pytest.fixture
def outbox(settings, mongo_url, mongo_db):
    """The admin's outbox (``outbox_store()``) on this test's database; no backoff, dead after 2."""
    settings.MONGO_URL = mongo_url
    settings.MONGO_DB = mongo_db.name
    settings.PROJECTOR_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.PROJECTOR_RETRY_BACKOFF_BASE_SECONDS = 0.0
    settings.PROJECTOR_RETRY_BACKOFF_MAX_SECONDS = 0.0
    close_mongo_client()
    yield outbox_store()
    close_mongo_client()


def login(django_user_model: type[User], *permissions: str, superuser: bool = False) -> Client:
    client = Client(enforce_csrf_checks=True)
    if superuser:
        user = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw")
    else:
        user = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    client.force_login(user)
    return client


@pytest.fixture
def ops(django_user_model) -> Client:
    return login(django_user_model, superuser=True)


@pytest.fixture
def viewer(django_user_model) -> Client:
    return login(django_user_model, "view_outboxentry")


def post_form(client: Client, event_id: uuid.UUID, action: str, **data: str):
    """Submit the entry page's form for ``action`` with the CSRF token the form carries."""
    page = client.get(entry_url(event_id)).content.decode()
    form = page.split(f'id="{action}-form"')[1].split("</form>")[0]
    token = CSRF.search(form)
    assert token is not None, f"the {action} form has no CSRF token"
    return client.post(
        entry_url(event_id, action), {"csrfmiddlewaretoken": token.group(1), **data}, follow=True
    )


def csrf_token(client: Client) -> str:
    """A CSRF token for a POST the page would not offer (the admin's pages all set the cookie)."""
    client.get("/admin/")
    return client.cookies["csrftoken"].value


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def listed(response) -> list[str]:
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def poisoned_account(outbox):
    """Ada opened and funded, a dead letter at v3 (unknown type), two deposits parked behind it."""
    ada = AccountHistory(owner="Ada")
    opened, funded = ada.opened(), ada.deposited("50.00")
    poison = outbox_document(ada.account_id, 3, "FundsTeleported", {"amount": money("1.00")})
    ada.version = 3
    later = [ada.deposited("5.00"), ada.deposited("7.00")]
    documents = [opened, funded, poison, *later]
    outbox.collection.insert_many(documents)
    deliver(documents, outbox, owner="projector")
    for _ in range(MAX_ATTEMPTS + 1):
        retry_due(outbox, owner="retry", pending_grace=timedelta(0), limit=100, batch_size=100)
    assert outbox.get(poison["_id"])[F.STATUS] == OutboxStatus.DEAD
    return ada, poison, later


def status_of(outbox, document) -> str:
    return outbox.get(document["_id"])[F.STATUS]


# --- the changelist ---------------------------------------------------------------------------


def test_the_outbox_is_listed_in_the_admin_index_under_projector(ops, outbox):
    page = ops.get("/admin/").content.decode()
    assert f'href="{CHANGELIST}"' in page
    assert "Outbox entries" in page


def test_the_changelist_shows_newest_first_with_counts_per_status(ops, outbox):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    old, middle, new = (AccountHistory(start=start + timedelta(hours=h)).opened() for h in (1, 2, 3))
    outbox.collection.insert_many([middle, new, old])
    deliver([old], outbox, owner="projector")

    response = ops.get(CHANGELIST)

    assert listed(response) == [str(doc["_id"]) for doc in (new, middle, old)]
    page = response.content.decode()
    assert "pending (2)" in page and "done (1)" in page and "All (3)" in page


def test_the_changelist_filters_by_status_type_and_account(ops, outbox):
    ada, poison, later = poisoned_account(outbox)
    bob = AccountHistory(owner="Bob")
    bob_opened = bob.opened()
    outbox.collection.insert_one(bob_opened)

    assert listed(ops.get(CHANGELIST, {"status": "dead"})) == [str(poison["_id"])]
    assert listed(ops.get(CHANGELIST, {"type": "FundsTeleported"})) == [str(poison["_id"])]
    parked = listed(ops.get(CHANGELIST, {"status": "parked", "aggregate": str(ada.account_id)}))
    # One account's entries come newest version first.
    assert parked == [str(later[1]["_id"]), str(later[0]["_id"])]
    assert listed(ops.get(CHANGELIST, {"aggregate": str(bob.account_id)})) == [str(bob_opened["_id"])]
    # The unknown type is offered as a filter, the contract's types too.
    page = ops.get(CHANGELIST).content.decode()
    assert "?type=FundsTeleported" in page and f"?type={EventType.TRANSFER_SENT}" in page


def test_the_changelist_searches_by_event_id_or_account_id(ops, outbox):
    ada, bob = AccountHistory(), AccountHistory()
    ada_docs = [ada.opened(), ada.deposited("1.00")]
    bob_opened = bob.opened()
    outbox.collection.insert_many([*ada_docs, bob_opened])

    assert listed(ops.get(CHANGELIST, {"q": str(bob_opened["_id"])})) == [str(bob_opened["_id"])]
    by_account = listed(ops.get(CHANGELIST, {"q": str(ada.account_id)}))
    assert sorted(by_account) == sorted(str(doc["_id"]) for doc in ada_docs)


def test_a_search_or_filter_that_is_not_a_uuid_or_status_says_so_instead_of_failing(ops, outbox):
    outbox.collection.insert_one(AccountHistory().opened())

    for params, note in (
        ({"q": "Ada"}, "Search by an event id or an account id"),
        ({"aggregate": "nope"}, "is not an account id"),
        ({"status": "exploded"}, "is not an outbox status"),
    ):
        response = ops.get(CHANGELIST, params)
        assert listed(response) == []
        assert note in response.content.decode()


def test_an_empty_outbox_says_so(ops, outbox):
    response = ops.get(CHANGELIST)

    assert listed(response) == []
    assert "No outbox entries." in response.content.decode()


def test_the_outbox_admin_never_queries_a_table(rf):
    """The model has no table: anything of the admin that asks the ORM gets nothing, not an error."""
    model_admin = admin.site._registry[OutboxEntry]

    assert list(model_admin.get_queryset(rf.get(CHANGELIST))) == []


def test_the_changelist_is_paginated(ops, outbox):
    ada = AccountHistory()
    outbox.collection.insert_many([ada.opened()] + [ada.deposited("1.00") for _ in range(54)])

    first, second = ops.get(CHANGELIST), ops.get(CHANGELIST, {"p": "2"})

    assert len(listed(first)) == 50 and len(listed(second)) == 5
    assert not set(listed(first)) & set(listed(second))
    assert "?p=2" in first.content.decode()


# --- the entry page ---------------------------------------------------------------------------


def test_the_entry_page_shows_payload_delivery_state_history_and_the_parked_entries(ops, outbox):
    _ada, poison, later = poisoned_account(outbox)

    response = ops.get(entry_url(poison["_id"]))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "FundsTeleported" in page and '"amount": "1.00"' in page
    assert "<strong>dead</strong>" in page
    history = page.split('id="attempt-history"')[1].split("</table>")[0]
    assert history.count("<td>permanent</td>") == MAX_ATTEMPTS
    parked = page.split('id="parked-behind"')[1].split("</table>")[0]
    assert all(str(doc["_id"]) in parked for doc in later)
    assert 'id="retry-form"' in page and 'id="skip-form"' in page


def test_a_parked_entry_links_to_the_entry_it_waits_behind_and_offers_no_actions(ops, outbox):
    _ada, poison, later = poisoned_account(outbox)

    page = ops.get(entry_url(later[0]["_id"])).content.decode()

    assert f'href="{entry_url(poison["_id"])}"' in page.split("Parked behind:")[1]
    assert 'id="retry-form"' not in page


def test_the_short_entry_url_redirects_to_the_entry_page(ops, outbox):
    opened = AccountHistory().opened()
    outbox.collection.insert_one(opened)

    response = ops.get(f"{CHANGELIST}{opened['_id']}/")

    assert response.status_code == 302 and response["Location"] == entry_url(opened["_id"])


@pytest.mark.parametrize("object_id", ["not-a-uuid", "00000000-0000-4000-8000-00000000dead"])
def test_a_bad_or_unknown_event_id_answers_404(ops, outbox, object_id):
    assert ops.get(f"{CHANGELIST}{object_id}/change/").status_code == 404
    csrf = {"csrfmiddlewaretoken": csrf_token(ops)}
    assert ops.post(f"{CHANGELIST}{object_id}/retry/", csrf).status_code == 404
    assert ops.post(f"{CHANGELIST}{object_id}/skip/", {**csrf, "reason": "gone"}).status_code == 404


# --- retry and skip ---------------------------------------------------------------------------


def test_retry_after_fixing_the_cause_applies_it_and_releases_the_parked_entries(ops, outbox):
    ada, poison, later = poisoned_account(outbox)
    outbox.collection.update_one(
        {"_id": poison["_id"]},
        {
            "$set": {
                F.EVENT_TYPE: EventType.FUNDS_DEPOSITED.value,
                F.PAYLOAD: {"amount": money("1.00"), "balance_after": money("51.00")},
            }
        },
    )

    response = post_form(ops, poison["_id"], "retry")

    assert response.status_code == 200
    assert messages_of(response) == [f"Retried {poison['_id']}: applied. 2 parked event(s) released."]
    assert [status_of(outbox, doc) for doc in (poison, *later)] == [OutboxStatus.DONE] * 3
    assert AccountView.objects.get(account_id=ada.account_id).version == 5
    assert [(a["by"], a["action"]) for a in outbox.get(poison["_id"])[F.AUDIT]] == [("ops", "retry")]
    logged = LogEntry.objects.get(object_id=str(poison["_id"]))
    assert "applied" in logged.change_message and logged.user.username == "ops"


def test_retry_without_a_fix_says_it_failed_again_with_the_error_and_keeps_the_entries_parked(ops, outbox):
    _ada, poison, later = poisoned_account(outbox)

    response = post_form(ops, poison["_id"], "retry")

    [message] = messages_of(response)
    assert "failed again" in message and "FundsTeleported" in message
    assert [status_of(outbox, doc) for doc in later] == [OutboxStatus.PARKED] * 2


def test_skip_with_a_reason_releases_the_parked_entries_and_flags_the_account(ops, outbox):
    ada, poison, later = poisoned_account(outbox)

    response = post_form(ops, poison["_id"], "skip", reason="teleportation is not a thing")

    [message] = messages_of(response)
    assert message.startswith(f"Skipped {poison['_id']}") and "2 parked event(s) released" in message
    assert status_of(outbox, poison) == OutboxStatus.SKIPPED
    assert [status_of(outbox, doc) for doc in later] == [OutboxStatus.DONE] * 2
    view = AccountView.objects.get(account_id=ada.account_id)
    assert view.needs_attention and "skipped by ops" in view.attention
    page = response.content.decode()
    assert "teleportation is not a thing" in page.split("Skipped:")[1]
    assert 'id="retry-form"' not in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_skip_without_a_reason_is_refused(ops, outbox, reason):
    _ada, poison, later = poisoned_account(outbox)

    response = post_form(ops, poison["_id"], "skip", reason=reason)

    [message] = messages_of(response)
    assert message.startswith("Nothing was skipped: a skip needs a reason")
    assert status_of(outbox, poison) == OutboxStatus.DEAD
    assert [status_of(outbox, doc) for doc in later] == [OutboxStatus.PARKED] * 2


def test_an_entry_that_is_not_dead_is_neither_retried_nor_skipped(ops, outbox):
    opened = AccountHistory().opened()
    outbox.collection.insert_one(opened)
    csrf = csrf_token(ops)

    for action, data in (("retry", {}), ("skip", {"reason": "why not"})):
        response = ops.post(
            entry_url(opened["_id"], action), {"csrfmiddlewaretoken": csrf, **data}, follow=True
        )
        [message] = messages_of(response)
        assert "is pending, not dead" in message
    assert status_of(outbox, opened) == OutboxStatus.PENDING


def test_actions_need_post_and_a_csrf_token(ops, outbox):
    _ada, poison, _later = poisoned_account(outbox)

    assert ops.get(entry_url(poison["_id"], "retry")).status_code == 405
    assert ops.get(entry_url(poison["_id"], "skip")).status_code == 405
    assert ops.post(entry_url(poison["_id"], "retry")).status_code == 403
    assert ops.post(entry_url(poison["_id"], "skip"), {"reason": "no token"}).status_code == 403
    assert status_of(outbox, poison) == OutboxStatus.DEAD


# --- who may do what --------------------------------------------------------------------------


def test_a_view_only_staff_user_sees_the_pages_but_no_buttons_and_gets_403_on_post(viewer, outbox):
    _ada, poison, _later = poisoned_account(outbox)

    assert str(poison["_id"]) in listed(viewer.get(CHANGELIST))
    page = viewer.get(entry_url(poison["_id"]))
    assert page.status_code == 200
    assert 'id="retry-form"' not in page.content.decode() and 'id="skip-form"' not in page.content.decode()
    csrf = csrf_token(viewer)
    for action in ("retry", "skip"):
        response = viewer.post(entry_url(poison["_id"], action), {"csrfmiddlewaretoken": csrf, "reason": "x"})
        assert response.status_code == 403
    assert status_of(outbox, poison) == OutboxStatus.DEAD


def test_a_staff_user_without_the_outbox_permissions_gets_403(django_user_model, outbox):
    client = login(django_user_model)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(entry_url(uuid.uuid4())).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, outbox):
    event_id = uuid.uuid4()
    for response in (
        client.get(CHANGELIST),
        client.get(entry_url(event_id)),
        client.post(entry_url(event_id, "retry")),
        client.post(entry_url(event_id, "skip"), {"reason": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


# --- MongoDB down -----------------------------------------------------------------------------


@pytest.mark.slow
def test_mongodb_down_shows_a_message_in_the_admin_not_a_500(ops, mongo_down):
    event_id = uuid.uuid4()
    csrf = csrf_token(ops)
    for response in (
        ops.get(CHANGELIST),
        ops.get(entry_url(event_id)),
        ops.post(entry_url(event_id, "retry"), {"csrfmiddlewaretoken": csrf}),
    ):
        assert response.status_code == 503
        page = response.content.decode()
        assert "MongoDB is unavailable" in page and 'class="breadcrumbs"' in page
    # The rest of the admin does not need MongoDB.
    assert ops.get("/admin/accounts_read/accountview/").status_code == 200


# --- what the messages say --------------------------------------------------------------------


def action_result(action: str, status: str, *, error: str | None = None, released: int = 0):
    return deadletters.ActionResult(uuid.uuid4(), action, status, error, released)


@pytest.mark.parametrize(
    ("result", "level", "words"),
    [
        (
            action_result("retry", "done", released=3),
            messages.SUCCESS,
            "applied. 3 parked event(s) released.",
        ),
        (action_result("retry", "done"), messages.SUCCESS, "applied."),
        (action_result("retry", "parked"), messages.WARNING, "now parked, waiting for an earlier event"),
        (action_result("retry", "failed", error="boom"), messages.ERROR, "failed again: boom"),
        (action_result("skip", "failed", error="lock"), messages.ERROR, "failed: lock"),
        (action_result("skip", "skipped"), messages.SUCCESS, "flagged as needing attention."),
    ],
)
def test_the_admin_message_says_what_the_action_did(result, level, words):
    said_level, text = describe(result)
    assert said_level == level
    assert words in text and str(result.event_id) in text
