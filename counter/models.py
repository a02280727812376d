"""Tables of the service hall: set-up, appointments, queue tickets, windows, cases, ratings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime

# ---- hall set-up (loaded from a data file; see counter/hall.py) ----


class Hall(SQLModel, table=True):
    """The one service hall this instance runs: name, time zone, opening hours, rules."""

    __tablename__ = "hall"

    id: int = Field(default=1, primary_key=True)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    # {"mon": [["09:00", "12:00"], ["13:30", "17:30"]], ...}
    opening_hours: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # Tunables: booking hold minutes, max open bookings, early/late check-in minutes,
    # recalls before no-show, walk-in starvation bound, slot minutes ...
    rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ServiceCategory(SQLModel, table=True):
    __tablename__ = "service_category"

    code: str = Field(primary_key=True, max_length=8)  # also the ticket prefix: A, B, C ...
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    slot_capacity: int = 4  # bookings per slot


class ServiceItem(SQLModel, table=True):
    __tablename__ = "service_item"

    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    category_code: str = Field(max_length=8, index=True)
    department: str = Field(max_length=200)
    # [{"kind": "licence", "licence_type": "food-business", "name_zh": ...},
    #  {"kind": "document", "name_zh": ..., "name_en": ...}]
    materials: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # [{"name", "label_zh", "label_en", "type", "required",
    #   "source": {"kind": "entity", "field": "name"} | {"kind": "licence",
    #   "licence_type": ..., "field": ...} | {"kind": "clerk"}}]
    form: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Window(SQLModel, table=True):
    __tablename__ = "window"

    number: int = Field(primary_key=True)
    name: str = Field(default="", max_length=100)
    categories: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # by preference
    open: bool = True


class Clerk(SQLModel, table=True):
    """A clerk's desk profile: the windows a clerk user may act at."""

    __tablename__ = "clerk"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    windows: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# ---- appointments ----


class Slot(SQLModel, table=True):
    __tablename__ = "slot"
    __table_args__ = (UniqueConstraint("category_code", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    category_code: str = Field(max_length=8)
    day: date = Field(index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    capacity: int
    booked: int = 0  # held + confirmed bookings; never above capacity


class Booking(SQLModel, table=True):
    __tablename__ = "booking"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    slot_id: int = Field(index=True)
    uscc: str = Field(max_length=18, index=True)
    item_code: str = Field(max_length=40)
    agent: str | None = Field(default=None, max_length=100)  # the person acting, once agents exist
    status: str = Field(max_length=16)  # held, confirmed, cancelled, expired, checked-in, no-show
    held_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# ---- queue tickets and windows ----


class TicketCounter(SQLModel, table=True):
    """Last ticket number given per category and day (numbers are never reused in a day)."""

    __tablename__ = "ticket_counter"

    day: date = Field(primary_key=True)
    category_code: str = Field(primary_key=True, max_length=8)
    last_seq: int = 0


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        # The number (prefix of the issuing category + seq) is unique per day; category_code
        # is the queue the ticket waits in, which a transfer may change.
        UniqueConstraint("day", "number"),
        Index("ix_ticket_queue", "day", "status", "category_code", "queued_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    category_code: str = Field(max_length=8)
    seq: int
    number: str = Field(max_length=12)  # A001
    uscc: str = Field(max_length=18, index=True)
    item_code: str | None = Field(default=None, max_length=40)
    booking_id: int | None = None
    priority: str = Field(max_length=16)  # appointment, walk-in
    # waiting, called, serving, parked, completed, no-show
    status: str = Field(max_length=16)
    window_number: int | None = None
    recalls: int = 0
    code_id: str | None = Field(default=None, max_length=32)  # the dynamic code consumed
    # Who presented the code, when it named a person acting for the business (codeid.mandates).
    mandate_id: int | None = Field(default=None, foreign_key="mandate.id")
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Place in the queue; kept on transfer so a ticket does not lose its turn.
    queued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    called_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class TicketEvent(SQLModel, table=True):
    """Append-only: issued, called, recalled, transferred, parked, resumed, started, ..."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    action: str = Field(max_length=24)
    window_number: int | None = None
    actor: str = Field(default="", max_length=100)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ---- cases ----


class Case(SQLModel, table=True):
    __tablename__ = "service_case"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    uscc: str = Field(max_length=18, index=True)
    item_code: str = Field(max_length=40)
    window_number: int
    clerk: str = Field(default="", max_length=100)
    status: str = Field(max_length=16)  # opened, in-progress, completed, rejected
    # [{"name", "label_zh", "value", "source": {...}, "read_only": bool, "override_reason"}]
    form: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"material", "state": "satisfied"|"missing"|"not-valid", "licence", "why"}]
    materials: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    rejection_reason: str | None = Field(default=None, max_length=300)
    waiting_seconds: float | None = None
    service_seconds: float | None = None
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Rating(SQLModel, table=True):
    __tablename__ = "rating"

    case_id: int = Field(primary_key=True)
    score: str = Field(max_length=8)  # good, average, poor
    comment: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
