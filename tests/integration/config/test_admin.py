"""Integration tests: the admin shows read models and sync state, and refuses to edit them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

READ_ONLY_MODELS = [
    "accounts_read/accountview",
    "accounts_read/ledgerline",
    "accounts_read/dailytotal",
    "projector/checkpoint",
    "projector/projectorlease",
    "projector/projectorcontrol",
]


@pytest.fixture
def staff_client(client: Client, django_user_model: type[User]) -> Client:
    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_admin_lists_each_projection_and_sync_model(staff_client: Client, model: str) -> None:
    assert staff_client.get(f"/admin/{model}/").status_code == 200


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_admin_refuses_to_add_rows_written_only_by_the_projector(staff_client: Client, model: str) -> None:
    assert staff_client.get(f"/admin/{model}/add/").status_code == 403


def test_admin_requires_a_login(client: Client) -> None:
    response = client.get("/admin/accounts_read/accountview/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
