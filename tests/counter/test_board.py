"""The display board feed: last numbers called per window today, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from counter.board import board_feed
from counter.ticket_actions import complete_ticket, recall
from counter.windows import call_next
from tests.counter.queue_world import MINUTE, NOW, add_ticket, make_world


def _call(session: Session, window: int, minutes: int) -> int:
    ticket = call_next(session, window, now=NOW + minutes * MINUTE)
    assert ticket is not None and ticket.id is not None
    return ticket.id


def test_board_shows_the_last_numbers_called_per_window(session: Session) -> None:
    world = make_world(session)
    for n in range(6):
        add_ticket(session, world.usccs[0], now=NOW + n * MINUTE)
    add_ticket(session, world.usccs[0], category="C", now=NOW)
    first = _call(session, 1, 10)  # A001
    complete_ticket(session, first, window_number=1, now=NOW + 11 * MINUTE)
    for minutes in (12, 13, 14):
        _call(session, 1, minutes)  # A002 .. A004
    _call(session, 2, 15)  # A005
    c_ticket = _call(session, 18, 16)  # C001
    recall(session, c_ticket, window_number=18, now=NOW + 17 * MINUTE)
    session.commit()

    feed = board_feed(session, now=NOW + 20 * MINUTE)
    by_window = {w["window"]: w for w in feed["windows"]}
    assert len(by_window) == 37
    assert by_window[1]["last_called"] == ["A004", "A003", "A002"]  # newest first, 3 at most
    assert by_window[2]["last_called"] == ["A005"]
    assert by_window[18]["last_called"] == ["C001"]  # a recall does not list it twice
    assert by_window[3]["last_called"] == [] and by_window[3]["open"] is True
    assert by_window[1]["name"] == "1号窗口"
    recent = feed["recent"]
    assert (recent[0]["number"], recent[0]["window"], recent[0]["action"]) == (
        "C001",
        18,
        "recalled",
    )
    assert recent[0]["at"] == (NOW + 17 * MINUTE).isoformat()
    assert [r["number"] for r in recent] == ["C001", "C001", "A005", "A004", "A003", "A002", "A001"]
    assert feed["updated_at"] == (NOW + 20 * MINUTE).isoformat()
    assert board_feed(session, now=NOW + 20 * MINUTE, limit_per_window=1)["windows"][0][
        "last_called"
    ] == ["A004"]


def test_board_starts_empty_each_local_day(session: Session) -> None:
    world = make_world(session)
    add_ticket(session, world.usccs[0])
    _call(session, 1, 5)
    session.commit()
    # 16:00 UTC is midnight in Guangzhou: yesterday's calls are off the board.
    tomorrow = board_feed(session, now=NOW + timedelta(hours=14))
    assert all(w["last_called"] == [] for w in tomorrow["windows"])
    assert tomorrow["recent"] == []
    # A feed "as of" before the call does not show it either.
    assert board_feed(session, now=NOW)["recent"] == []
