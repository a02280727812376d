"""Sign-in throttling per username and per address, and the public check's per-address limit.

The counts live in the database (rate_counter), so they hold across processes: one test
signs in through two separately built apps. Time is the API's clock, so Retry-After is exact.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_now
from api.settings import Settings
from codeid.accounts.models import Role
from codeid.clock import utcnow
from tests.api.callers import Auth
from tests.api.conftest import Clock
from tests.api.partner_world import make_world

PASSWORD = "correct horse battery 42"
WINDOW = 900


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small address and check limits so a test reaches them in a few calls.
    return settings.model_copy(
        update={"login_failures_per_address": 6, "public_checks_per_minute": 3}
    )


def _window_start() -> datetime:
    now = utcnow().replace(microsecond=0)
    return datetime.fromtimestamp(int(now.timestamp()) // WINDOW * WINDOW, tz=now.tzinfo)


@pytest.fixture
def start(clock: Clock) -> datetime:
    """The clock stands 100 s into a fresh 15-minute window."""
    clock.now = _window_start() + timedelta(seconds=100)
    return clock.now


def _login(client: TestClient, username: str, password: str) -> httpx.Response:
    answer: httpx.Response = client.post(
        "/auth/login", json={"username": username, "password": password}
    )
    return answer


def _statuses(client: TestClient, username: str, password: str, times: int) -> list[int]:
    return [_login(client, username, password).status_code for _ in range(times)]


@pytest.fixture
def other_address(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 5000)) as c:
        yield c


def test_five_failures_hold_the_username_for_the_rest_of_the_window(
    client: TestClient, other_address: TestClient, auth: Auth, clock: Clock, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    auth.user(Role.CLERK, username="li.min", password=PASSWORD)
    assert _statuses(client, "root", "not it at all", 5) == [401] * 5
    held = _login(client, "root", PASSWORD)  # even the right password: not checked at all
    assert held.status_code == 429
    assert held.headers["content-type"].startswith("application/problem+json")
    assert held.headers["retry-after"] == str(WINDOW - 100)
    problem = held.json()
    assert problem["type"] == "urn:codeid:problem:rate-limited"
    assert problem["retry_after"] == WINDOW - 100 and problem["limited"] == "username"
    assert "access_token" not in problem
    # The hold is on the name, from any address; other names sign in as usual.
    assert _login(other_address, "root", PASSWORD).status_code == 429
    assert _login(client, "li.min", PASSWORD).status_code == 200
    clock.now = start + timedelta(seconds=WINDOW)  # the next window
    assert _login(client, "root", PASSWORD).status_code == 200


def test_unknown_usernames_get_the_same_answers_at_a_similar_cost(
    client: TestClient, auth: Auth, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    wrong, unknown = [], []
    for _ in range(3):
        began = time.perf_counter()
        wrong.append((_login(client, "root", "not it at all"), time.perf_counter() - began))
        began = time.perf_counter()
        unknown.append((_login(client, "nobody", "not it at all"), time.perf_counter() - began))
    assert {r.status_code for r, _ in wrong + unknown} == {401}
    assert wrong[0][0].json() == unknown[0][0].json()
    # Both pay for an argon2 verification (the unknown name against a dummy hash); without
    # it an unknown name would answer in a small fraction of the time.
    assert min(t for _, t in unknown) > 0.3 * min(t for _, t in wrong)
    _statuses(client, "root", "not it at all", 2)
    _statuses(client, "nobody", "not it at all", 2)
    held_known, held_unknown = _login(client, "root", "x"), _login(client, "nobody", "x")
    assert held_known.status_code == held_unknown.status_code == 429
    assert held_known.json() == held_unknown.json()
    assert held_known.headers["retry-after"] == held_unknown.headers["retry-after"]


def test_a_success_forgets_the_usernames_failures(
    client: TestClient, other_address: TestClient, auth: Auth, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    assert _statuses(client, "root", "typo typo typo", 4) == [401] * 4
    assert _login(client, "root", PASSWORD).status_code == 200
    # (From another address: this one has used 4 of its 6 failures, and keeps them.)
    assert _statuses(other_address, "root", "typo typo typo", 5) == [401] * 5
    assert _login(other_address, "root", PASSWORD).status_code == 429
    # Usernames are matched as sign-in matches them (case and spaces do not dodge the count).
    held = _login(client, "  ROOT ", PASSWORD)
    assert held.status_code == 429 and held.json()["limited"] == "username"


def test_a_burst_of_parallel_guesses_gets_exactly_five_checked(
    client: TestClient, auth: Auth, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda n: _login(client, "root", f"guess {n:04}"), range(12)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 5 + [429] * 7


def test_failures_from_one_address_are_limited_and_a_success_does_not_clear_them(
    client: TestClient, other_address: TestClient, auth: Auth, clock: Clock, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    # Six failures an address may make (this module's setting), over many names: spraying.
    assert _statuses(client, "guess-1", "password123", 2) == [401] * 2
    assert _statuses(client, "guess-2", "password123", 2) == [401] * 2
    assert _login(client, "root", PASSWORD).status_code == 200  # not counted, clears nothing
    assert _statuses(client, "guess-3", "password123", 2) == [401] * 2
    refused = _login(client, "guess-4", "password123")
    assert refused.status_code == 429 and refused.json()["limited"] == "address"
    assert refused.headers["retry-after"] == str(WINDOW - 100)
    assert _login(client, "root", PASSWORD).status_code == 429  # the address is held
    assert _login(other_address, "root", PASSWORD).status_code == 200  # others are not
    clock.now = start + timedelta(seconds=WINDOW)
    assert _login(client, "root", PASSWORD).status_code == 200


def test_the_count_is_shared_by_every_process(
    app: FastAPI, client: TestClient, settings: Settings, auth: Auth, clock: Clock, start: datetime
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    second = create_app(settings)  # its own runtime and engine: another worker process
    second.dependency_overrides[get_now] = clock
    with TestClient(second, raise_server_exceptions=False) as other_process:
        assert _statuses(client, "root", "not it at all", 3) == [401] * 3
        assert _statuses(other_process, "root", "not it at all", 2) == [401] * 2
        assert _login(client, "root", PASSWORD).status_code == 429
        assert _login(other_process, "root", PASSWORD).status_code == 429


def test_public_checks_are_limited_per_address(
    app: FastAPI, client: TestClient, other_address: TestClient, clock: Clock
) -> None:
    clock.now = utcnow().replace(second=15, microsecond=0)
    world = make_world(app.state.runtime, clock.now)
    assert client.get("/check").status_code == 200  # the empty form is not a check
    assert client.get("/v1/public/check", params={"code": world.payload}).status_code == 200
    assert client.get("/check", params={"code": world.payload}).status_code == 200
    assert client.get("/v1/public/check", params={"code": "junk"}).status_code == 200
    refused = client.get("/v1/public/check", params={"code": world.payload})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "45"
    assert refused.json()["type"] == "urn:codeid:problem:rate-limited"
    page = client.get("/check", params={"code": world.payload})
    assert page.status_code == 429 and page.headers["retry-after"] == "45"
    assert page.headers["content-type"].startswith("text/html")
    assert "45" in page.text and world.payload not in page.text.split("</form>")[1]
    assert client.get("/check").status_code == 200
    assert other_address.get("/v1/public/check", params={"code": world.payload}).json()["valid"]
    clock.now += timedelta(minutes=1)
    assert client.get("/v1/public/check", params={"code": world.payload}).status_code == 200
