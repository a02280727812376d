"""PostgreSQL restarts and stops under load: the API answers 503 (never 500, never a hang),
comes back by itself, and what it answered matches what the database holds.

Two `codeid serve` processes run on a private PostgreSQL server. Three threads check in with
dynamic codes, call tickets at the windows and suspend or resume licences, without pause,
alternating between the processes and recording every answer. Meanwhile the database server
is restarted (``pg_ctl restart -m fast``), then stopped for a few seconds and started again.
Afterwards every answer is held against the database:

- 2xx: stored, exactly once;
- 503 ``database-unavailable`` or a 4xx refusal: nothing stored;
- 503 ``commit-outcome-unknown`` (the connection broke during COMMIT) or no answer at all:
  either, but never twice.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from codeid.db import make_engine
from tests.deploy.pg_instance import PgInstance, free_port
from tests.deploy.processes import codeid_servers
from tests.deploy.world import World, seed_world, server_env, server_settings

pytestmark = pytest.mark.deploy

PROBLEM = "urn:codeid:problem:"
UNAVAILABLE = PROBLEM + "database-unavailable"
COMMIT_UNKNOWN = PROBLEM + "commit-outcome-unknown"
MAX_ANSWER_SECONDS = 6.0  # no answer may take longer, outage or not
CODES = 400  # more than the check-in thread can use in the test's time
OUTAGE_SECONDS = 4.0  # the stop
STEADY_SECONDS = 2.0  # normal service before, between and after the faults
RECOVERY_SECONDS = 20.0  # the service must serve 2xx again within this after the start


@dataclass
class Answer:
    kind: str  # checkin, call, licence
    key: str  # the code id, the window, the licence change's reason
    started: float  # monotonic
    elapsed: float
    status: int | None  # None: no HTTP answer (connection error or timeout)
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def problem(self) -> str | None:
        value = self.body.get("type")
        return value if isinstance(value, str) else None

    @property
    def stored_nothing(self) -> bool:
        """An answer that promises nothing was stored: a refusal, or the outage 503."""
        if self.status is None or self.ok:
            return False
        return self.status != 503 or self.problem == UNAVAILABLE


@dataclass
class Load:
    clients: list[httpx.Client]  # one per API process, taken in turn
    world: World
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    crashes: list[BaseException] = field(default_factory=list)
    turn: Iterator[int] = field(default_factory=itertools.count)

    def thread(self, run: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                run()
            except BaseException as exc:
                self.crashes.append(exc)
                raise

        return threading.Thread(target=guarded, daemon=True)

    def send(self, kind: str, key: str, path: str, **kwargs: Any) -> Answer:
        client = self.clients[next(self.turn) % len(self.clients)]
        started = time.monotonic()
        try:
            response = client.post(path, **kwargs)
        except httpx.TransportError:
            answer = Answer(kind, key, started, time.monotonic() - started, None)
        else:
            try:
                body = response.json()
            except ValueError:  # not JSON: a bare error page would be a finding
                body = {"text": response.text[:500]}
            elapsed = time.monotonic() - started
            answer = Answer(
                kind, key, started, elapsed, response.status_code, body, dict(response.headers)
            )
        with self.lock:
            self.answers.append(answer)
        if answer.status == 503:
            time.sleep(0.05)  # a little patience, as Retry-After asks (not all 5 s of it)
        return answer

    def check_ins(self) -> None:
        for code_id, payload in self.world.codes:
            if self.stop.is_set():
                return
            self.send("checkin", code_id, "/v1/checkins", json={"payload": payload})
        raise AssertionError("the check-in thread ran out of codes; raise CODES")

    def calls(self) -> None:
        for window in itertools.cycle(self.world.clerks):
            if self.stop.is_set():
                return
            headers = self.world.clerks[window]
            answer = self.send("call", str(window), f"/v1/windows/{window}/call", headers=headers)
            if answer.ok and answer.body["ticket"] is None:
                time.sleep(0.05)  # queue empty: wait for check-ins

    def licence_changes(self) -> None:
        suspended: set[str] = set()  # what we believe; a refusal corrects it
        for n in itertools.count():
            if self.stop.is_set():
                return
            identifier = self.world.licences[n % len(self.world.licences)]
            verb = "resume" if identifier in suspended else "suspend"
            reason = f"fault-{n}"
            answer = self.send(
                "licence",
                reason,
                f"/v1/licences/{identifier}/{verb}",
                json={"reason": reason},
                headers=self.world.issuer,
            )
            if answer.ok or answer.status == 409:  # done, or it was already so
                suspended ^= {identifier}

    def since(self, moment: float, kind: str) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.kind == kind and a.started >= moment]


@pytest.fixture
def served(private_pg: PgInstance, tmp_path: Path) -> Iterator[tuple[World, list[str]]]:
    ports = [free_port(), free_port()]
    settings = server_settings(
        private_pg.url("codeid"), tmp_path / "data", public_url="http://codeid.test"
    )
    world = seed_world(settings, entities=20, codes=CODES)
    with codeid_servers(ports, server_env(settings), tmp_path / "logs"):
        yield world, [f"http://127.0.0.1:{port}" for port in ports]


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_restart_and_stop_under_load(
    private_pg: PgInstance, served: tuple[World, list[str]]
) -> None:
    world, base_urls = served
    kinds = ("checkin", "call", "licence")
    timeout = MAX_ANSWER_SECONDS + 10  # a hang shows up as a slow answer or a timeout
    clients = [httpx.Client(base_url=url, timeout=timeout) for url in base_urls]
    load = Load(clients, world)

    def serving_since(moment: float) -> Callable[[], bool]:
        return lambda: all(any(a.ok for a in load.since(moment, kind)) for kind in kinds)

    threads = [load.thread(run) for run in (load.check_ins, load.calls, load.licence_changes)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        assert _wait_for(serving_since(begun), 20), _summary(load.answers)
        time.sleep(STEADY_SECONDS)
        restarted = time.monotonic()
        private_pg.restart("fast")
        assert _wait_for(serving_since(restarted), RECOVERY_SECONDS), _summary(load.answers)
        time.sleep(STEADY_SECONDS)
        stopped = time.monotonic()
        private_pg.stop("fast")
        time.sleep(OUTAGE_SECONDS)
        private_pg.start()
        back = time.monotonic()
        # Nobody restarts the API processes: they must serve again by themselves.
        recovered = _wait_for(serving_since(back), RECOVERY_SECONDS)
        time.sleep(STEADY_SECONDS)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=timeout + 5)
        for client in clients:
            client.close()
    assert not load.crashes, load.crashes
    assert recovered, _summary(load.answers)
    answers = load.answers

    # Every answer in time; every failure a 503 problem with Retry-After, never a 500.
    slowest = max(answers, key=lambda a: a.elapsed)
    assert slowest.elapsed <= MAX_ANSWER_SECONDS, slowest
    for answer in answers:
        if answer.status is not None and answer.status >= 500:
            assert answer.status == 503, answer
            assert answer.headers["content-type"] == "application/problem+json", answer
            assert answer.problem in (UNAVAILABLE, COMMIT_UNKNOWN), answer
            assert int(answer.headers["retry-after"]) > 0, answer
    # The outages were seen (else this test proved nothing), and the stop answered 503.
    during_stop = [a for a in answers if stopped <= a.started < back]
    assert any(a.status == 503 for a in during_stop), _summary(during_stop)
    assert all(a.status == 503 or a.ok for a in during_stop), _summary(during_stop)
    # ... and after recovery everything succeeds again.
    for kind in kinds:
        last = [a for a in answers if a.kind == kind][-3:]
        assert all(a.ok for a in last), last
    assert any(a.started < restarted and a.ok for a in answers)

    first_ok = min(a.started + a.elapsed for a in answers if a.ok and a.started >= back)
    print(  # figures, shown with -s
        f"\nslowest answer {slowest.elapsed:.2f} s; first 2xx {first_ok - back:.2f} s after the"
        f" start; {sum(1 for a in during_stop if a.status == 503)} answers 503 during the"
        f" {OUTAGE_SECONDS:.0f} s stop\n{_summary(answers)}"
    )
    _check_database(private_pg.url("codeid"), world, answers)


def _summary(answers: list[Answer]) -> str:
    counts = Counter((a.kind, a.status, a.problem) for a in answers)
    return "\n".join(f"{count:5d} {key}" for key, count in sorted(counts.items(), key=str))


def _check_database(url: str, world: World, answers: list[Answer]) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        uses = Counter(conn.execute(text("SELECT code_id FROM code_use")).scalars())
        tickets = conn.execute(text("SELECT id, code_id, status, window_number FROM ticket")).all()
        calls_per_ticket = Counter(
            conn.execute(
                text("SELECT ticket_id FROM ticket_event WHERE action = 'called'")
            ).scalars()
        )
        reasons = Counter(
            conn.execute(
                text("SELECT reason FROM licence_event WHERE reason LIKE 'fault-%'")
            ).scalars()
        )
    engine.dispose()

    # Check-ins: a ticket for each 201 (that very ticket), none for a refusal or an outage
    # 503; either for an unknown outcome; and never two for one code.
    checkins = {a.key: a for a in answers if a.kind == "checkin"}
    by_code = Counter(row.code_id for row in tickets)
    assert max(by_code.values(), default=0) <= 1 and max(uses.values(), default=0) <= 1
    assert set(by_code) == set(uses), "a ticket without its code's use, or the reverse"
    for code_id, answer in checkins.items():
        if answer.ok:
            assert by_code[code_id] == 1, answer
            row = next(row for row in tickets if row.code_id == code_id)
            assert row.id == answer.body["ticket"]["id"], answer
        elif answer.stored_nothing:
            assert by_code[code_id] == 0, answer
    assert set(by_code) <= set(checkins), "a ticket for a code nobody sent"

    # Window calls: each ticket called at most once; each 200 call stored as answered; the
    # called tickets nobody was told about are no more than the calls of unknown outcome.
    assert max(calls_per_ticket.values(), default=0) <= 1, calls_per_ticket
    told = {
        a.body["ticket"]["id"]: int(a.key)
        for a in answers
        if a.kind == "call" and a.ok and a.body["ticket"] is not None
    }
    called = {row.id: row.window_number for row in tickets if row.status == "called"}
    assert {t: called.get(t) for t in told} == told
    unknown_calls = sum(1 for a in answers if a.kind == "call" and a.status in (None, 503))
    unknown_calls -= sum(1 for a in answers if a.kind == "call" and a.problem == UNAVAILABLE)
    assert len(set(called) - set(told)) <= unknown_calls, (called, told)

    # Licence changes: an event for each 200, none for a refusal or an outage 503, never two.
    assert max(reasons.values(), default=0) <= 1, reasons
    changes = {a.key: a for a in answers if a.kind == "licence"}
    for reason, answer in changes.items():
        if answer.ok:
            assert reasons[reason] == 1, answer
        elif answer.stored_nothing:
            assert reasons[reason] == 0, answer
    assert set(reasons) <= set(changes)
