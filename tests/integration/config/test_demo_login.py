"""Integration: the demo page wants a login; its forms want a CSRF token; failed logins lock out."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pymongo.database import Database

pytestmark = pytest.mark.django_db

DEMO_PATHS = ["/", "/demo/write/", "/demo/read/", "/demo/sync/", "/demo/timeline/"]


@pytest.mark.parametrize("path", DEMO_PATHS)
def test_the_demo_page_and_its_parts_send_a_stranger_to_the_login_page(
    anonymous_client: Client, path: str
) -> None:
    response = anonymous_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_live_part_polled_without_a_session_tells_htmx_to_go_to_the_login_page(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.get("/demo/sync/", headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Redirect"]) == (401, "/login/")


def test_a_command_form_from_a_stranger_runs_nothing(
    anonymous_client: Client, write_db: Database[Any]
) -> None:
    response = anonymous_client.post(
        "/demo/commands/open/", {"command_id": "x", "owner": "Mallory", "currency": "EUR"}
    )
    assert response.status_code == 302
    assert write_db["accounts"].count_documents({}) == 0


def test_logging_in_leads_to_the_demo_page(demo_user: User, write_db: Database[Any]) -> None:
    browser = Client()
    login = browser.get("/login/?next=/")
    assert login.status_code == 200 and "csrfmiddlewaretoken" in login.content.decode()

    response = browser.post("/login/", {"username": "teller", "password": "teller-password-1", "next": "/"})

    assert (response.status_code, response["Location"]) == (302, "/")
    page = browser.get("/")
    assert page.status_code == 200 and "Log out teller" in page.content.decode()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_a_command_form_without_its_csrf_token_is_refused(demo_user: User, write_db: Database[Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(demo_user)
    fields = {"command_id": str(uuid.uuid4()), "owner": "Ada", "initial_deposit": "5", "currency": "EUR"}

    forged = browser.post("/demo/commands/open/", fields)
    token = csrf_token(browser.get("/").content.decode())
    sent = browser.post("/demo/commands/open/", {**fields, "csrfmiddlewaretoken": token})

    assert forged.status_code == 403
    assert sent.status_code == 200 and "Opened account" in sent.content.decode()
    assert write_db["accounts"].count_documents({}) == 1


def test_the_fault_buttons_and_logout_want_the_csrf_token_too(demo_user: User, settings: Any) -> None:
    settings.DEMO_FAULTS = True
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(demo_user)
    assert browser.post("/demo/projector/pause/").status_code == 403
    assert browser.post("/logout/").status_code == 403


def test_two_users_with_one_command_id_run_two_commands(
    django_user_model: type[User], write_db: Database[Any]
) -> None:
    ada, bob = Client(), Client()
    ada.force_login(django_user_model.objects.create_user("ada"))
    bob.force_login(django_user_model.objects.create_user("bob"))
    fields = {"command_id": "same-id", "owner": "Ada", "initial_deposit": "5", "currency": "EUR"}

    first = ada.post("/demo/commands/open/", fields, headers={"HX-Request": "true"})
    second = bob.post("/demo/commands/open/", fields, headers={"HX-Request": "true"})

    assert "Replayed" not in second.content.decode()
    assert first["HX-Replace-Url"] != second["HX-Replace-Url"]
    assert write_db["accounts"].count_documents({}) == 2


def test_repeated_failed_logins_lock_the_address_out(demo_user: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    browser = Client()
    answers = [
        browser.post("/login/", {"username": "teller", "password": f"wrong-{n}"}).status_code
        for n in range(3)
    ]
    locked = browser.post("/login/", {"username": "teller", "password": "teller-password-1"})

    assert answers[:2] == [200, 200]
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in browser.session


def test_the_admin_login_is_locked_out_the_same_way(demo_user: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    browser = Client()
    for n in range(2):
        browser.post("/admin/login/", {"username": "ops", "password": f"wrong-{n}"})
    assert browser.post("/admin/login/", {"username": "ops", "password": "x"}).status_code == 429


def test_pages_carry_a_content_security_policy(client: Client, write_db: Database[Any]) -> None:
    for path in ["/", "/login/", "/admin/login/", "/api/docs"]:
        policy = client.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], path


def test_behind_the_proxy_failures_count_against_the_forwarded_address(
    demo_user: User, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.BEHIND_PROXY = True
    guesser = Client(headers={"X-Forwarded-For": "203.0.113.7"})
    for n in range(2):
        guesser.post("/login/", {"username": "teller", "password": f"wrong-{n}"})
    teller = Client(headers={"X-Forwarded-For": "198.51.100.2"})

    assert guesser.post("/login/", {"username": "teller", "password": "teller-password-1"}).status_code == 429
    assert teller.post("/login/", {"username": "teller", "password": "teller-password-1"}).status_code == 302


def test_without_the_proxy_a_forged_forwarded_address_changes_nothing(demo_user: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.BEHIND_PROXY = False
    for n in range(2):
        Client(headers={"X-Forwarded-For": f"203.0.113.{n}"}).post(
            "/login/", {"username": "x", "password": "y"}
        )
    assert (
        Client().post("/login/", {"username": "teller", "password": "teller-password-1"}).status_code == 429
    )
