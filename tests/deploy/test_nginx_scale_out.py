"""Two `codeid serve` processes behind an nginx of our own, on one PostgreSQL database.

The API processes keep no state of their own, so any process may answer any request: each
dynamic code is shown at two kiosks at the same moment (the two requests usually land on
different processes) and exactly one ticket comes out; four windows call at once while the
check-ins go on, and no ticket is called twice. The database is checked at the end, and
nginx's access log proves that both processes served.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from codeid.db import make_engine
from tests.deploy.pg_instance import free_port
from tests.deploy.processes import codeid_servers, nginx
from tests.deploy.world import World, seed_world, server_env, server_settings

pytestmark = pytest.mark.deploy

CODES = 60  # dynamic codes, each shown at two kiosks at once
KIOSK_THREADS = 8
ALREADY_USED = "urn:codeid:problem:code-already-used"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


def _post(client: httpx.Client, path: str, **kwargs: Any) -> Answer:
    response = client.post(path, **kwargs)
    return Answer(response.status_code, response.json())


def _kiosk(client: httpx.Client, payload: str, kiosk: str, together: threading.Barrier) -> Answer:
    together.wait(timeout=30)  # both kiosks send the same code at the same moment
    return _post(client, "/v1/checkins", json={"payload": payload, "location": kiosk})


def _window(
    client: httpx.Client, window: int, headers: dict[str, str], done: threading.Event
) -> list[Answer]:
    """Call until the check-ins are over and the queue is empty."""
    answers: list[Answer] = []
    while True:
        finished = done.is_set()  # read before calling: an empty queue then means drained
        answer = _post(client, f"/v1/windows/{window}/call", headers=headers)
        answers.append(answer)
        if answer.status == 200 and answer.body["ticket"] is None:
            if finished:
                return answers
            time.sleep(0.02)


def _drive(base_url: str, world: World) -> tuple[dict[str, list[Answer]], list[Answer]]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    checkins: dict[str, list[Answer]] = {}
    done = threading.Event()
    with (
        httpx.Client(base_url=base_url, timeout=30, limits=limits) as client,
        ThreadPoolExecutor(len(world.clerks)) as windows,
        ThreadPoolExecutor(KIOSK_THREADS) as kiosks,
    ):
        calling = [
            windows.submit(_window, client, window, headers, done)
            for window, headers in world.clerks.items()
        ]
        pending = {}
        for code_id, payload in world.codes:
            together = threading.Barrier(2)
            pending[code_id] = [
                kiosks.submit(_kiosk, client, payload, kiosk, together)
                for kiosk in ("kiosk-east", "kiosk-west")
            ]
        for code_id, futures in pending.items():
            checkins[code_id] = [future.result() for future in futures]
        done.set()
        calls = [answer for future in calling for answer in future.result()]
    return checkins, calls


def _sign_in_here_refresh_there(world: World, here: int, there: int) -> None:
    """Sign-ins live in the database: a refresh token from one process is spent at the other,
    and spending it again at the first ends the sign-in everywhere."""
    username, password = world.login
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{here}") as one,
        httpx.Client(base_url=f"http://127.0.0.1:{there}") as other,
    ):
        signed_in = one.post("/auth/login", json={"username": username, "password": password})
        assert signed_in.status_code == 200, signed_in.text
        first = signed_in.json()
        me = other.get("/auth/me", headers={"Authorization": f"Bearer {first['access_token']}"})
        assert me.status_code == 200 and me.json()["username"] == username, me.text
        renewed = other.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert renewed.status_code == 200, renewed.text
        replay = one.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert replay.status_code == 401, replay.text
        assert replay.json()["type"] == "urn:codeid:problem:refresh-token-reused"
        later = other.post("/auth/refresh", json={"refresh_token": renewed.json()["refresh_token"]})
        assert later.status_code == 401, later.text


def _first_board_event(base_url: str) -> float:
    """Seconds until the display board's first server-sent event arrives through nginx."""
    started = time.monotonic()
    params = {"seconds": 3, "interval": 0.5}
    with httpx.stream("GET", f"{base_url}/v1/board/stream", params=params, timeout=10) as events:
        assert events.status_code == 200
        for line in events.iter_lines():
            if line.startswith("event: board"):
                return time.monotonic() - started
    raise AssertionError("the board stream ended without an event")


def _served_by(access_log: Path, ports: list[int]) -> Counter[int]:
    """How many API requests each upstream process answered, from nginx's access log."""
    served: Counter[int] = Counter()
    for line in access_log.read_text().splitlines():
        found = re.search(r'"POST /v1/\S+ [^"]*" \d+ upstream=127\.0\.0\.1:(\d+)', line)
        if found:
            served[int(found.group(1))] += 1
    assert set(served) <= set(ports), served
    return served


def test_two_processes_behind_nginx(main_server_database: str, tmp_path: Path) -> None:
    listen, first, second = free_port(), free_port(), free_port()
    settings = server_settings(
        main_server_database, tmp_path / "data", public_url=f"http://127.0.0.1:{listen}"
    )
    world = seed_world(settings, entities=30, codes=CODES)
    with (
        codeid_servers(
            [first, second],
            # nginx (on loopback) names the client; nobody else may.
            server_env(settings, CODEID_FORWARDED_ALLOW_IPS="127.0.0.1"),
            tmp_path / "logs",
        ) as servers,
        nginx(listen, [first, second], tmp_path / "nginx") as access_log,
    ):
        checkins, calls = _drive(f"http://127.0.0.1:{listen}", world)
        _sign_in_here_refresh_there(world, first, second)
        request_id = httpx.get(f"http://127.0.0.1:{listen}/healthz").headers["x-request-id"]
        first_event = _first_board_event(f"http://127.0.0.1:{listen}")
        # uvicorn chose uvloop and httptools by itself (loop="auto", http="auto").
        for server in servers:
            maps = Path(f"/proc/{server.pid}/maps").read_text()
            assert "/uvloop/" in maps and "/httptools/" in maps

    # Each code: one ticket, and the other kiosk told the code is used.
    for code_id, answers in checkins.items():
        statuses = sorted(answer.status for answer in answers)
        assert statuses[0] == 201 and statuses[1] in (409, 422), (code_id, answers)
        refused = next(answer for answer in answers if answer.status != 201)
        assert refused.body["type"] == ALREADY_USED, refused.body
    tickets = {
        answer.body["ticket"]["id"]: answer.body["ticket"]
        for answers in checkins.values()
        for answer in answers
        if answer.status == 201
    }
    assert len(tickets) == CODES

    # Windows: every answer a 200, every ticket called once, to the window that called it.
    assert {answer.status for answer in calls} == {200}, [a for a in calls if a.status != 200]
    called = [answer.body for answer in calls if answer.body["ticket"] is not None]
    called_ids = [body["ticket"]["id"] for body in called]
    assert len(called_ids) == len(set(called_ids)) == CODES
    assert set(called_ids) == set(tickets)
    assert len({body["window"] for body in called}) > 1  # several windows took part

    # The database agrees: one use per code, one ticket per code, one call per ticket.
    code_ids = {code_id for code_id, _ in world.codes}
    engine = make_engine(main_server_database)
    with engine.connect() as conn:
        uses = conn.execute(text("SELECT code_id FROM code_use")).scalars().all()
        rows = conn.execute(
            text("SELECT id, code_id, number, status, window_number FROM ticket")
        ).all()
        calls_per_ticket: dict[int, int] = dict(
            conn.execute(
                text(
                    "SELECT ticket_id, count(*) FROM ticket_event "
                    "WHERE action = 'called' GROUP BY ticket_id"
                )
            ).all()
        )
    engine.dispose()
    assert sorted(uses) == sorted(code_ids)
    assert sorted(row.code_id for row in rows) == sorted(code_ids)
    assert len({row.number for row in rows}) == CODES  # numbers unique
    assert {row.status for row in rows} == {"called"}
    windows_by_ticket = {body["ticket"]["id"]: body["window"] for body in called}
    assert {row.id: row.window_number for row in rows} == windows_by_ticket
    assert calls_per_ticket == dict.fromkeys(tickets, 1)

    # The board's events pass nginx at once, not when the 3-second stream ends.
    assert first_event < 1.5, f"first board event after {first_event:.1f} s"

    # nginx's request id is the one the API answered with (and logged).
    assert f"request_id={request_id}" in access_log.read_text()

    # Both processes answered a fair share (round robin: about half each).
    served = _served_by(access_log, [first, second])
    total = sum(served.values())
    assert total >= 2 * CODES + len(calls), served
    assert min(served[first], served[second]) >= total // 4, served
