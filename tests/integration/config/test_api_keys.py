"""Integration: API keys — ``manage.py apikey``, the admin, and what MySQL keeps (a digest only)."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from config.models import ApiKey
from tests.auth import bearer

pytestmark = pytest.mark.django_db


def apikey(*args: str) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_new_key_alone_on_the_last_line_and_it_works() -> None:
    output = apikey("create", "billing", "--scopes", "read,write")

    key = output.strip().splitlines()[-1]
    assert re.fullmatch(r"cqrs_[A-Za-z0-9_-]{43}", key), output
    assert Client(headers=bearer(key)).get("/api/accounts").status_code == 200


def test_only_a_digest_of_the_key_is_stored() -> None:
    key = apikey("create", "billing").strip().splitlines()[-1]

    stored = ApiKey.objects.get(name="billing")
    assert key not in {stored.digest, stored.prefix} and key[12:] not in repr(stored.__dict__)
    assert stored.prefix == key[:12] and len(stored.digest) == 64
    assert stored.scopes == ["read"]  # the default: read only


def test_list_shows_every_key_with_scopes_and_revocation() -> None:
    apikey("create", "billing", "--scopes", "read,write")
    apikey("create", "reports", "--scopes", "read")
    apikey("revoke", "reports")

    listing = apikey("list")

    assert re.search(r"^billing\s+cqrs_\S+\s+read,write\s", listing, re.M)
    assert re.search(r"^reports\s+cqrs_\S+\s+read\s.*\d{2}:\d{2}:\d{2}Z$", listing, re.M)
    assert "2 key(s), 1 active" in listing


def test_revoke_stops_the_key() -> None:
    key = apikey("create", "billing").strip().splitlines()[-1]

    assert apikey("revoke", "billing").startswith("revoked billing")

    assert Client(headers=bearer(key)).get("/api/accounts").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "bad name"), "must be 1-64 letters"),
        (("create", "x", "--scopes", "admin"), "scopes must be one or more of read, write"),
        (("create", "x", "--scopes", ""), "scopes must be one or more of read, write"),
        (("revoke", "nobody"), "there is no key named 'nobody'"),
    ],
)
def test_mistakes_are_command_errors(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        apikey(*args)


def test_a_name_is_never_reused() -> None:
    apikey("create", "billing")
    apikey("revoke", "billing")
    with pytest.raises(CommandError, match="exists already"):
        apikey("create", "billing")


@pytest.fixture
def staff(client: Client, django_user_model: type[User]) -> Client:
    staff_client = Client()
    staff_client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "pw"))
    return staff_client


def test_the_admin_creates_a_key_and_shows_it_once(staff: Client) -> None:
    response = staff.post(
        "/admin/config/apikey/add/", {"name": "partner", "can_read": "on", "can_write": "on"}
    )

    assert response.status_code == 200
    key = re.search(r'<code id="new-api-key">(cqrs_[^<]+)</code>', response.content.decode())
    assert key, response.content.decode()
    assert Client(headers=bearer(key.group(1))).get("/api/accounts").status_code == 200
    page = staff.get(f"/admin/config/apikey/{ApiKey.objects.get(name='partner').pk}/change/").content.decode()
    assert key.group(1) not in page


def test_the_admin_wants_a_scope(staff: Client) -> None:
    response = staff.post("/admin/config/apikey/add/", {"name": "nothing"})
    assert "Give the key at least one scope." in response.content.decode()
    assert not ApiKey.objects.filter(name="nothing").exists()


def test_the_admin_revokes_keys(staff: Client) -> None:
    key = apikey("create", "partner").strip().splitlines()[-1]
    pk = ApiKey.objects.get(name="partner").pk

    staff.post("/admin/config/apikey/", {"action": "revoke", "_selected_action": [pk]})

    assert ApiKey.objects.get(pk=pk).revoked_at is not None
    assert Client(headers=bearer(key)).get("/api/accounts").status_code == 401
    assert staff.get(f"/admin/config/apikey/{pk}/delete/").status_code == 403


def test_last_use_is_noted(settings: Any) -> None:
    key = apikey("create", "billing").strip().splitlines()[-1]
    Client(headers=bearer(key)).get("/api/accounts")
    assert ApiKey.objects.get(name="billing").last_used_at is not None
