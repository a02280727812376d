"""The access log at the counter: check-ins and case openings, and who acts for the business.

Check-in and case opening write (a ticket, a case), so an answered one is logged in the
request's own transaction (codeid.audit.log.append): the entry exists exactly when the
ticket or case does. A refused one is logged after the request's transaction is rolled back,
in a short transaction of its own (codeid.audit.log.record): SQLite has one writer, and the
request's transaction would otherwise still hold the write lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from api.access_record import access_of
from api.auth import Principal
from api.counter_schemas import ActingOut
from codeid.audit.log import append, record
from codeid.codes.errors import CodeRejected
from codeid.errors import CodeidError
from codeid.mandates.acting import describe, find_mandate

CHECK_IN = "counter.checkin"
CASE_OPEN = "case.open"


def mandate_ref(mandate_id: int | None) -> str:
    return f"mandate:{mandate_id}" if mandate_id is not None else ""


def acting_out(session: Session, mandate_id: int | None, *, now: datetime) -> ActingOut | None:
    """Who acts for the business under ``mandate_id`` (None when no mandate is named)."""
    if mandate_id is None:
        return None
    mandate = find_mandate(session, mandate_id)
    if mandate is None:
        return None
    return ActingOut.model_validate(describe(session, [mandate], now=now)[0])


def form_sources(form: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The names of the data a filled form was taken from ("food-business.licence_number",
    "entity.name"): what the access log records instead of the values."""
    names = []
    for field in form:
        source = field.get("source") or {}
        if field.get("value") is None:
            continue
        if source.get("kind") == "licence":
            names.append(f"{source.get('licence_type')}.{source.get('field')}")
        elif source.get("kind") == "entity":
            names.append(f"entity.{source.get('field')}")
    return tuple(names)


def log_answered(
    session: Session,
    principal: Principal,
    *,
    action: str,
    now: datetime,
    subject_uscc: str,
    **details: Any,
) -> None:
    """In the request's transaction, which has just written the ticket or case."""
    append(
        session,
        [access_of(principal, action=action, subject_uscc=subject_uscc, **details)],
        now=now,
    )


def log_refused(
    engine: Engine,
    session: Session,
    principal: Principal,
    error: CodeidError,
    *,
    action: str,
    now: datetime,
    subject_uscc: str | None = None,
    **details: Any,
) -> None:
    """Roll the request back, then log the refusal (its slug as the outcome) on its own."""
    session.rollback()
    claims = error.claims if isinstance(error, CodeRejected) else None
    if subject_uscc is None:
        named = claims.uscc if claims else error.details.get("uscc")
        subject_uscc = named if isinstance(named, str) and len(named) <= 18 else None
    if "on_behalf_of" not in details and claims is not None:
        details["on_behalf_of"] = mandate_ref(claims.mandate_id)
    if "on_behalf_of" not in details and "mandate_id" in error.details:
        details["on_behalf_of"] = mandate_ref(error.details["mandate_id"])
    refused = access_of(
        principal, action=action, outcome=error.code, subject_uscc=subject_uscc, **details
    )
    record(engine, [refused], now=now)
