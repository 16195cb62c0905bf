"""The account views in the admin: attention shown in the list and on the page, a link to the outbox."""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin
from django.test import Client, override_settings

from accounts_read.admin import AccountViewAdmin
from accounts_read.models import AccountView
from tests.factories.read_models import AccountViewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client, django_user_model) -> Client:
    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def test_the_account_list_shows_which_accounts_need_attention_and_filters_on_it(staff_client):
    flagged = AccountViewFactory(owner="Flagged", attention="FundsTeleported v3 is a dead letter")
    AccountViewFactory(owner="Fine")

    page = staff_client.get("/admin/accounts_read/accountview/").content.decode()
    assert 'alt="True"' in page and 'alt="False"' in page
    assert "FundsTeleported v3 is a dead letter" in page

    needing = staff_client.get(
        "/admin/accounts_read/accountview/", {"needs_attention": "yes"}
    ).content.decode()
    assert "Flagged" in needing and "Fine" not in needing
    fine = staff_client.get("/admin/accounts_read/accountview/", {"needs_attention": "no"}).content.decode()
    assert "Fine" in fine and "Flagged" not in fine
    assert str(flagged.account_id) in needing


def test_the_account_page_links_to_its_outbox_entries_and_to_the_event_at_fault(staff_client):
    event_id = uuid.uuid4()
    account = AccountViewFactory(attention="skipped by ops: not a real event", attention_event_id=event_id)

    response = staff_client.get(f"/admin/accounts_read/accountview/{account.account_id}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/admin/projector/outboxentry/?aggregate={account.account_id}"' in page
    assert f'href="/admin/projector/outboxentry/{event_id}/change/"' in page
    assert "skipped by ops: not a real event" in page


def test_an_account_without_attention_has_no_event_at_fault(staff_client):
    account = AccountViewFactory()

    page = staff_client.get(f"/admin/accounts_read/accountview/{account.account_id}/change/").content.decode()

    assert "/admin/projector/outboxentry/?aggregate=" in page
    assert "/admin/projector/outboxentry/None" not in page


# A project without the projector's admin pages (the read side must not depend on them).
urlpatterns: list[object] = []


def test_without_the_projectors_admin_the_account_page_shows_ids_instead_of_links():
    account = AccountViewFactory.build(attention="dead letter", attention_event_id=uuid.uuid4())
    model_admin = AccountViewAdmin(AccountView, admin.site)
    assert "href" in model_admin.outbox_entries(account)

    with override_settings(ROOT_URLCONF=__name__):
        assert model_admin.outbox_entries(account) == "—"
        assert model_admin.attention_entry(account) == str(account.attention_event_id)
