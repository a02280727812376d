"""Recording a read in the access log from a route: who, for whom, what came back, outcome.

``logged_read`` wraps the part of a route that reads an entity's data: when it raises a
domain error the refusal is recorded with the error's slug as the outcome, otherwise the
entry says "ok" with the field names the route filled in. Entries are written in their own
short transaction (codeid.audit.log.record), so an answered read stays logged even if the
request's transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Engine

from api.auth import Principal
from codeid.audit.log import Access, record
from codeid.errors import CodeidError
from codeid.mandates.models import Mandate

OK = "ok"


def field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of what a response model returns (never the values)."""
    return tuple(model.model_fields)


def on_behalf_of(mandate: Mandate | None) -> str:
    return f"mandate:{mandate.id}" if mandate is not None else ""


def access_of(
    principal: Principal,
    *,
    action: str,
    outcome: str = OK,
    subject_uscc: str | None = None,
    fields: Iterable[str] = (),
    purpose: str = "",
    on_behalf_of: str = "",
    resource: str = "",
) -> Access:
    return Access(
        actor_kind=principal.kind,
        actor=principal.subject,
        actor_role=principal.role,
        action=action,
        outcome=outcome,
        subject_uscc=subject_uscc,
        fields=tuple(fields),
        purpose=purpose,
        on_behalf_of=on_behalf_of,
        resource=resource,
    )


@dataclass
class ReadLog:
    """What the route learnt while reading; filled in before the block ends."""

    subject_uscc: str | None = None
    fields: tuple[str, ...] = ()
    on_behalf_of: str = ""
    purpose: str = ""
    resource: str = ""


@contextmanager
def logged_read(
    engine: Engine,
    principal: Principal,
    *,
    action: str,
    now: datetime,
    subject_uscc: str | None = None,
    resource: str = "",
) -> Iterator[ReadLog]:
    log = ReadLog(subject_uscc=subject_uscc, resource=resource)
    try:
        yield log
    except CodeidError as exc:
        # A refusal is logged without fields: nothing was returned.
        refused = access_of(
            principal,
            action=action,
            outcome=exc.code,
            subject_uscc=log.subject_uscc,
            purpose=log.purpose,
            on_behalf_of=log.on_behalf_of,
            resource=log.resource,
        )
        record(engine, [refused], now=now)
        raise
    answered = access_of(
        principal,
        action=action,
        subject_uscc=log.subject_uscc,
        fields=log.fields,
        purpose=log.purpose,
        on_behalf_of=log.on_behalf_of,
        resource=log.resource,
    )
    record(engine, [answered], now=now)
