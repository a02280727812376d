"""PostgreSQL restarts and stops under load: the API answers 503 (never 500, never a hang),
comes back by itself, and what it answered matches what the database holds.

Two `codeid serve` processes run on a private PostgreSQL server. Four threads work without
pause, alternating between the processes and recording every answer: one checks in with
dynamic codes, one calls tickets at the windows, one serves the called tickets (opens a case,
fills the clerk's fields, completes it) and one suspends or resumes licences. A case request
whose outcome the answer leaves open is sent again until it is known, as a clerk would.
Meanwhile the database server is restarted (``pg_ctl restart -m fast``), then stopped for a
few seconds and started again. Afterwards every answer is held against the database:

- 2xx: stored, exactly once (one ticket per code, one call per ticket, one case per ticket,
  one completion per case, one licence event per change);
- 503 ``database-unavailable`` or a 4xx refusal: nothing stored;
- 503 ``commit-outcome-unknown`` (the connection broke during COMMIT) or no answer at all:
  either, but never twice; only a case request sent again after one of these may find
  itself already done (``case-already-open``, ``case-state``), and then it is stored once.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Row, text

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
# What the walk-ins come for (category A, the clerks' windows): its form is filled from the
# entity except for these fields, which the clerk fills before completing the case.
ITEM = "deregistration"
CLERK_FIELDS = {"reason": "moved out of the district", "contact_phone": "020-5555 0100"}
# A retry finds the first attempt done: the case is open already, or no longer open.
ALREADY_OPEN = (PROBLEM + "case-already-open", PROBLEM + "ticket-state")
ALREADY_CLOSED = (PROBLEM + "case-state",)
KINDS = ("checkin", "call", "case-open", "case-fields", "case-complete", "licence")


@dataclass
class Answer:
    kind: str  # one of KINDS
    key: str  # the code id, the window, the ticket id (cases), the licence change's reason
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

    @property
    def unknown(self) -> bool:
        """An answer that leaves open whether the request was stored."""
        return not self.ok and not self.stored_nothing


@dataclass
class Load:
    clients: list[httpx.Client]  # one per API process, taken in turn
    world: World
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    crashes: list[BaseException] = field(default_factory=list)
    turn: Iterator[int] = field(default_factory=itertools.count)
    called: queue.SimpleQueue[tuple[int, int]] = field(default_factory=queue.SimpleQueue)

    def thread(self, run: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                run()
            except BaseException as exc:
                self.crashes.append(exc)
                raise

        return threading.Thread(target=guarded, daemon=True)

    def send(
        self, kind: str, key: str, path: str, *, method: str = "POST", **kwargs: Any
    ) -> Answer:
        client = self.clients[next(self.turn) % len(self.clients)]
        started = time.monotonic()
        try:
            response = client.request(method, path, **kwargs)
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
            body = {"payload": payload, "item_code": ITEM}
            self.send("checkin", code_id, "/v1/checkins", json=body)
        raise AssertionError("the check-in thread ran out of codes; raise CODES")

    def calls(self) -> None:
        for window in itertools.cycle(self.world.clerks):
            if self.stop.is_set():
                return
            headers = self.world.clerks[window]
            answer = self.send("call", str(window), f"/v1/windows/{window}/call", headers=headers)
            if answer.ok and answer.body["ticket"] is None:
                time.sleep(0.05)  # queue empty: wait for check-ins
            elif answer.ok:
                self.called.put((answer.body["ticket"]["id"], window))

    def cases(self) -> None:
        """Serve the called tickets in turn (a backlog is fine: they wait at their windows)."""
        while not self.stop.is_set():
            try:
                ticket_id, window = self.called.get(timeout=0.1)
            except queue.Empty:
                continue
            self.serve(ticket_id, window)

    def serve(self, ticket_id: int, window: int) -> None:
        """Open the ticket's case, fill the clerk's fields and complete it; stop at a refusal."""
        headers = self.world.clerks[window]
        key = str(ticket_id)
        body = {"ticket_id": ticket_id, "item_code": ITEM, "window": window}
        opened = self.until_known("case-open", key, "/v1/cases", json=body, headers=headers)
        if opened is None or not (opened.ok or opened.problem == ALREADY_OPEN[0]):
            return
        case_id = opened.body["id"] if opened.ok else opened.body["case_id"]
        path = f"/v1/cases/{case_id}"
        fields = {"values": CLERK_FIELDS}
        filled = self.until_known(
            "case-fields", key, path, method="PATCH", json=fields, headers=headers
        )
        if filled is None or not filled.ok:
            return
        self.until_known("case-complete", key, f"{path}/complete", headers=headers)

    def until_known(self, kind: str, key: str, path: str, **kwargs: Any) -> Answer | None:
        """Send until the answer is not an outage; None if the load stopped first."""
        while not self.stop.is_set():
            answer = self.send(kind, key, path, **kwargs)
            if answer.status not in (None, 503):
                return answer
            if answer.status is None:
                time.sleep(0.05)
        return None

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
    timeout = MAX_ANSWER_SECONDS + 10  # a hang shows up as a slow answer or a timeout
    clients = [httpx.Client(base_url=url, timeout=timeout) for url in base_urls]
    load = Load(clients, world)

    def serving_since(moment: float) -> Callable[[], bool]:
        return lambda: all(any(a.ok for a in load.since(moment, kind)) for kind in KINDS)

    runs = (load.check_ins, load.calls, load.cases, load.licence_changes)
    threads = [load.thread(run) for run in runs]
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
    for kind in KINDS:
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
        events = Counter(
            (row.ticket_id, row.action)
            for row in conn.execute(
                text(
                    "SELECT ticket_id, action FROM ticket_event"
                    " WHERE action IN ('called', 'started', 'completed')"
                )
            )
        )
        cases = conn.execute(
            text("SELECT id, ticket_id, window_number, status, form FROM service_case")
        ).all()
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
    # (A called ticket whose case was opened is serving, or completed with its case.)
    assert max(events.values(), default=0) <= 1, "a ticket called, started or completed twice"
    told = {
        a.body["ticket"]["id"]: int(a.key)
        for a in answers
        if a.kind == "call" and a.ok and a.body["ticket"] is not None
    }
    called = {
        row.id: row.window_number
        for row in tickets
        if row.status in ("called", "serving", "completed")
    }
    assert set(called) == {ticket for ticket, action in events if action == "called"}
    assert {t: called.get(t) for t in told} == told
    unknown_calls = sum(1 for a in answers if a.kind == "call" and a.status in (None, 503))
    unknown_calls -= sum(1 for a in answers if a.kind == "call" and a.problem == UNAVAILABLE)
    assert len(set(called) - set(told)) <= unknown_calls, (called, told)

    _check_cases(cases, {row.id: row.status for row in tickets}, events, answers, told)

    # Licence changes: an event for each 200, none for a refusal or an outage 503, never two.
    assert max(reasons.values(), default=0) <= 1, reasons
    changes = {a.key: a for a in answers if a.kind == "licence"}
    for reason, answer in changes.items():
        if answer.ok:
            assert reasons[reason] == 1, answer
        elif answer.stored_nothing:
            assert reasons[reason] == 0, answer
    assert set(reasons) <= set(changes)


def _tries(answers: list[Answer], kind: str) -> dict[int, list[Answer]]:
    """The answers of ``kind`` by ticket, in order: one request, sent until its outcome was
    known (Load.until_known)."""
    by_ticket: dict[int, list[Answer]] = {}
    for answer in answers:
        if answer.kind == kind:
            by_ticket.setdefault(int(answer.key), []).append(answer)
    return by_ticket


def _stored(tries: list[Answer], already: tuple[str, ...]) -> bool | None:
    """Whether the request was stored, by its answers: True (a 2xx, or "already done" after
    an attempt of unknown outcome), False (every answer promises nothing was stored), None
    (unknown outcomes only). A refusal other than "already done" after an unknown outcome is
    a finding, and so is more than one 2xx."""
    assert sum(1 for a in tries if a.ok) <= 1, tries
    for n, answer in enumerate(tries):
        if answer.status is not None and 400 <= answer.status < 500:
            assert answer.problem in already, tries
            assert any(a.unknown for a in tries[:n]), ("done by whom?", tries)
            assert n == len(tries) - 1, tries  # the retrying ends there
            return True
    if any(a.ok for a in tries):
        return True
    return None if any(a.unknown for a in tries) else False


def _check_cases(
    cases: Sequence[Row[Any]],
    ticket_status: dict[int, str],
    events: Counter[tuple[int, str]],
    answers: list[Answer],
    told: dict[int, int],
) -> None:
    """Cases: opened for called tickets only, never two for one ticket (service_case has no
    unique constraint on ticket_id: the ticket's row lock and state are what prevent it),
    one for every 201 open and none for an open that stored nothing; completed once, for
    every 200 complete, and never for a complete that stored nothing; the ticket follows."""
    by_ticket = Counter(row.ticket_id for row in cases)
    assert max(by_ticket.values(), default=0) <= 1, "two cases for one ticket"
    case_of = {row.ticket_id: row for row in cases}
    opens = _tries(answers, "case-open")
    fills = _tries(answers, "case-fields")
    completes = _tries(answers, "case-complete")
    assert set(opens) <= set(told), "a case opened for a ticket not called"
    assert set(case_of) <= set(opens), "a case nobody opened"
    assert set(fills) | set(completes) <= set(opens)
    in_service = {t for t, status in ticket_status.items() if status in ("serving", "completed")}
    assert in_service == set(case_of), "a ticket in service without its case, or the reverse"
    for ticket_id, tries in opens.items():
        row = case_of.get(ticket_id)
        stored = _stored(tries, ALREADY_OPEN)
        if stored is False:
            assert row is None, tries
            assert ticket_status[ticket_id] == "called", tries
            assert not (events[ticket_id, "started"] or events[ticket_id, "completed"]), tries
            continue
        if stored is None:  # either; but then the clerk learnt no case to go on with
            assert ticket_id not in fills, tries
            if row is None:
                assert ticket_status[ticket_id] == "called", tries
                continue
        assert row is not None, tries
        assert row.window_number == told[ticket_id], (row, tries)
        assert events[ticket_id, "started"] == 1, tries
        for answer in tries:
            if answer.ok:
                assert answer.body["id"] == row.id, (row, answer)
            elif answer.problem == ALREADY_OPEN[0]:
                assert answer.body["case_id"] == row.id, (row, answer)

        # The clerk's fields: idempotent, so only the answers' kinds matter.
        filled = fills.get(ticket_id, [])
        assert all(a.status is None or a.ok or a.status == 503 for a in filled), filled
        values = {f["name"]: f["value"] for f in row.form}
        if any(a.ok for a in filled):
            assert {name: values[name] for name in CLERK_FIELDS} == CLERK_FIELDS, row.form

        # Completion: exactly once, or not at all.
        completed = _stored(completes.get(ticket_id, []), ALREADY_CLOSED)
        done = row.status == "completed"
        if completed is not None:
            assert done is completed, (row.status, completes.get(ticket_id))
        assert ticket_status[ticket_id] == ("completed" if done else "serving"), row
        assert events[ticket_id, "completed"] == int(done), row
        if not done:
            assert row.status in ("opened", "in-progress"), row
