"""E2E: nginx (the repo's template) in front of gunicorn (the repo's settings), as compose runs them.

Slow clients cannot starve the server, chunked bodies work, nginx answers its own refusals in the
API's JSON shape, and /metrics is neither public nor one worker's view.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack

import pytest

from tests.auth import bearer, issue_api_key
from tests.e2e.proxy.conftest import METRICS_TOKEN
from tests.e2e.proxy.servers import Server, slow_client, timed_get

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

StartGunicorn = Callable[..., Server]
StartNginx = Callable[[int], Server]


def healthz_latencies(port: int, count: int = 10) -> list[float]:
    return [timed_get(port, "/healthz", timeout=3.0) for _ in range(count)]


def test_three_slow_clients_leave_healthz_fast_through_nginx(
    start_gunicorn: StartGunicorn, start_nginx: StartNginx
) -> None:
    # Fewer server threads than attackers: without the proxy they would take every one.
    web = start_gunicorn(workers=1, threads=2)
    proxy = start_nginx(web.port)
    timed_get(proxy.port, "/healthz")  # warm up: the upstream connection and the worker

    with ExitStack() as attack:
        for _ in range(3):
            attack.enter_context(slow_client(proxy.port))
        time.sleep(0.3)
        latencies = healthz_latencies(proxy.port)

    assert max(latencies) < 0.1, f"healthz through nginx under attack: {latencies}"


def test_the_same_attack_straight_at_gunicorn_starves_it(start_gunicorn: StartGunicorn) -> None:
    """What the proxy is for (and proof that the attack above is real)."""
    web = start_gunicorn(workers=1, threads=2)
    timed_get(web.port, "/healthz")

    with ExitStack() as attack:
        for _ in range(3):
            attack.enter_context(slow_client(web.port))
        time.sleep(0.3)
        latency = timed_get(web.port, "/healthz", timeout=2.0)

    assert latency >= 2.0


def open_account_chunked(port: int, key: str) -> tuple[int, dict[str, object]]:
    body = json.dumps({"owner": "Chunked Charlie", "initial_deposit": "5.00"}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {**bearer(key), "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    connection.putrequest("POST", "/api/accounts")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    for start in range(0, len(body), 7):
        piece = body[start : start + 7]
        connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer


def test_a_chunked_body_works_through_nginx_and_straight_at_gunicorn(
    start_gunicorn: StartGunicorn, start_nginx: StartNginx
) -> None:
    key = issue_api_key()
    web = start_gunicorn()
    proxy = start_nginx(web.port)

    for port in (proxy.port, web.port):
        status, body = open_account_chunked(port, key)
        assert status == 201, body
        assert body["balance"] == "5.00"


def test_nginx_refuses_a_body_over_its_limit_in_json(
    start_gunicorn: StartGunicorn, start_nginx: StartNginx
) -> None:
    proxy = start_nginx(start_gunicorn().port)
    request = urllib.request.Request(
        f"http://127.0.0.1:{proxy.port}/api/accounts",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "payload_too_large"


def scrape(port: int, token: str | None = METRICS_TOKEN) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return str(response.read().decode())


def healthz_count(metrics: str) -> float:
    pattern = (
        r'django_http_responses_total_by_status_view_method_total\{[^}]*view="healthz"[^}]*\} ([0-9.e+]+)'
    )
    return sum(float(value) for value in re.findall(pattern, metrics))


def test_metrics_sum_every_worker_and_want_the_token(
    start_gunicorn: StartGunicorn, start_nginx: StartNginx
) -> None:
    web = start_gunicorn(workers=3, threads=2)
    proxy = start_nginx(web.port)
    for _ in range(30):
        timed_get(web.port, "/healthz")

    counts = [healthz_count(scrape(web.port)) for _ in range(6)]

    # Whichever worker answers the scrape, it reports all of them: the count never goes backwards.
    assert counts == sorted(counts) and counts[0] >= 30, counts
    with pytest.raises(urllib.error.HTTPError) as no_token:
        scrape(web.port, token=None)
    assert no_token.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as through_proxy:
        scrape(proxy.port)
    assert through_proxy.value.code == 404
