"""Appointment slots: made per category and day from the opening hours; places taken and given back.

A slot's ``booked`` counts held and confirmed bookings. It is only ever raised by one
conditional ``UPDATE slot SET booked = booked + 1 WHERE id = :id AND booked < capacity``
(``take_place``): a row count of 0 means full, and on PostgreSQL the row lock makes concurrent
takers queue and re-check the condition. Slot times are the hall's local wall-clock times,
stored as UTC.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from codeid.db import is_postgresql
from codeid.errors import InvalidInput
from counter.errors import SlotNotFound
from counter.hall import get_category, get_hall, hall_zone, local_day, rules_of
from counter.hall_schema import WEEKDAYS, minutes_of
from counter.models import Hall, ServiceCategory, Slot


def ensure_slots(session: Session, *, day: date, now: datetime) -> int:
    """Create the day's slots of every category from the opening hours; how many were new.

    Idempotent and safe when two callers race (INSERT ... ON CONFLICT DO NOTHING).
    """
    hall = get_hall(session)
    if day < local_day(now, hall):
        raise InvalidInput(f"{day.isoformat()} is in the past; slots are made for today or later")
    minutes = rules_of(hall).slot_minutes
    starts = slot_starts(hall, day, minutes)
    categories = session.exec(select(ServiceCategory)).all()
    rows = [
        {
            "category_code": category.code,
            "day": day,
            "starts_at": start,
            "ends_at": start + timedelta(minutes=minutes),
            "capacity": category.slot_capacity,
            "booked": 0,
        }
        for category in categories
        for start in starts
    ]
    if not rows:
        return 0
    insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    statement = (
        insert(Slot)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["category_code", "starts_at"])
        .returning(col(Slot.id))
    )
    return len(session.exec(statement).all())


def slot_starts(hall: Hall, day: date, minutes: int) -> list[datetime]:
    """Slot start times (UTC) within the day's opening periods, in the hall's local time."""
    zone = hall_zone(hall)
    starts: list[datetime] = []
    for opens, closes in hall.opening_hours.get(WEEKDAYS[day.weekday()], []):
        at, end = minutes_of(opens), minutes_of(closes)
        while at + minutes <= end:
            # Wall-clock time in the hall's zone, stored as UTC.
            local = datetime.combine(day, time(at // 60, at % 60), tzinfo=zone)
            starts.append(local.astimezone(UTC))
            at += minutes
    return starts


def list_slots(session: Session, *, category_code: str, day: date) -> list[Slot]:
    category = get_category(session, category_code)
    query = (
        select(Slot)
        .where(Slot.category_code == category.code, Slot.day == day)
        .order_by(col(Slot.starts_at))
    )
    return list(session.exec(query).all())


def get_slot(session: Session, slot_id: int) -> Slot:
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound(f"no slot {slot_id}", slot_id=slot_id)
    return slot


def take_place(session: Session, slot_id: int | None) -> bool:
    """One place in the slot if it has room (True), else False."""
    taken = session.exec(
        update(Slot)
        .where(col(Slot.id) == slot_id, col(Slot.booked) < col(Slot.capacity))
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:
        forget(session, Slot, slot_id)
        return True
    return False


def release_places(session: Session, counts: Counter[int]) -> None:
    """Give places back (each count comes from bookings this transaction moved off a slot)."""
    for slot_id, n in counts.items():
        session.exec(
            update(Slot)
            .where(col(Slot.id) == slot_id)
            .values(booked=Slot.booked - n)
            .execution_options(synchronize_session=False)
        )
        forget(session, Slot, slot_id)


def forget(session: Session, model: Any, key: Any) -> None:
    """Expire a cached row changed behind the ORM's back, so the next read sees the new values."""
    cached = session.identity_map.get(session.identity_key(model, key))
    if cached is not None:
        session.expire(cached)
