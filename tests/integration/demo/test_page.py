"""The demo page's shell: both sides side by side, the links, the assets all from this host."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_page_shows_both_sides_the_sync_the_forms_and_the_timeline(client: Client, write_db: Any) -> None:
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    for region_id, name in [
        ("write-title", "Write side (MongoDB)"),
        ("read-title", "Read side (MySQL)"),
        ("sync-title", "Sync"),
        ("commands-title", "Commands"),
        ("timeline-title", "Account timeline"),
    ]:
        assert f'aria-labelledby="{region_id}"' in html
        assert f'<h2 id="{region_id}">{name}</h2>' in html
    for label in ("Owner", "Initial deposit", "Amount", "From account", "To account"):
        assert f">{label}</label>" in html
    for button in ("Open account", "Deposit", "Withdraw", "Transfer", "Close account"):
        assert f'<button type="submit">{button}</button>' in html
    for link in ('href="/admin/"', 'href="/api/docs"', 'href="/metrics"'):
        assert link in html
    assert html.count('hx-trigger="every 500ms"') == 4  # demo.js holds back a part holding the focus


def test_every_asset_of_the_page_and_the_api_docs_comes_from_this_host(client: Client, write_db: Any) -> None:
    for path in ("/", "/api/docs"):
        html = client.get(path).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, path
        assert not [url for url in sources if url.startswith(("http:", "https:", "//"))], path
    assert "/static/ninja/swagger-ui-bundle.js" in client.get("/api/docs").content.decode()


def test_a_selected_account_that_is_no_id_is_ignored(client: Client, write_db: Any) -> None:
    assert client.get("/?account=%27%3B--").status_code == 200


def test_browsers_asking_for_favicon_ico_get_the_page_s_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/demo/favicon.svg")


def test_the_page_answers_only_get(client: Client) -> None:
    assert client.post("/").status_code == 405
