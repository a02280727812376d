"""Building blocks of the licence store: lookup, effective status, new versions, events.

Shared by issue/amend (credentials.licences), the status changes
(credentials.licence_lifecycle), verification and import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from codeid.entities.errors import EntityDeregistered
from codeid.entities.models import Entity, EntityStatus
from codeid.entities.service import get_entity
from codeid.errors import CodeidError, InvalidInput
from codeid.keys.keyring import Signer
from credentials.catalogue import LicenceType
from credentials.errors import (
    ConcurrentChange,
    InvalidLicenceDates,
    LicenceNotFound,
    NotYourLicence,
)
from credentials.identifier import make_identifier, parse_identifier
from credentials.licence_jws import licence_claims, sign_licence_claims
from credentials.models import Issuer, Licence, LicenceEvent, LicenceStatus
from credentials.status_list import allocate_status_index

VALID = LicenceStatus.VALID.value
NOT_YET_VALID = "not-yet-valid"
EXPIRED = "expired"
MAX_REASON = 300
MAX_ACTOR = 100


def effective_status(licence: Licence, *, today: date) -> str:
    """The stored status, or for a valid licence what its dates make it on ``today``.

    ``today`` is the calendar day in China (credentials.licence_jws.china_date(now)).
    """
    if licence.status != VALID:
        return licence.status
    if today < licence.valid_from:
        return NOT_YET_VALID
    if licence.valid_until is not None and today > licence.valid_until:
        return EXPIRED
    return VALID


@dataclass(frozen=True, slots=True)
class Content:
    """What one version of a licence says (besides who issued it to whom)."""

    fields: dict[str, Any]
    issue_date: date
    valid_from: date
    valid_until: date | None

    def check_period(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InvalidLicenceDates(
                f"valid_until {self.valid_until} must be after valid_from {self.valid_from}"
            )

    def changes_from(self, licence: Licence, *, issue_date_given: bool) -> list[str]:
        """Names of the fields and dates that differ from ``licence``."""
        names = sorted(
            name
            for name in set(self.fields) | set(licence.fields)
            if self.fields.get(name) != licence.fields.get(name)
        )
        dates = ("valid_from", "valid_until") + (("issue_date",) if issue_date_given else ())
        names.extend(name for name in dates if getattr(self, name) != getattr(licence, name))
        return names


def parse_licence_date(name: str, value: Any) -> date | None:
    """A date given as a ``date`` or an ISO ``YYYY-MM-DD`` string (None stays None)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidLicenceDates(f"{name} must be a date YYYY-MM-DD, got {value!r}")


def get_licence(session: Session, identifier: str) -> Licence:
    """The licence version with this identifier (InvalidLicenceIdentifier when malformed)."""
    text = parse_identifier(identifier).text
    licence = session.exec(select(Licence).where(Licence.identifier == text)).first()
    if licence is None:
        raise LicenceNotFound(f"no licence with identifier {text}", identifier=text)
    return licence


def licensable_holder(session: Session, holder_uscc: str) -> Entity:
    """The holder entity; a deregistered entity can hold no new licence."""
    entity = get_entity(session, holder_uscc)
    if entity.status == EntityStatus.DEREGISTERED.value:
        raise EntityDeregistered(
            f"entity {entity.uscc} is deregistered; no licence can be issued to it",
            uscc=entity.uscc,
        )
    return entity


def owned_licence(session: Session, identifier: str, issuer: Issuer) -> Licence:
    """The licence, if ``issuer`` issued it: a department changes only its own licences."""
    licence = get_licence(session, identifier)
    if licence.issuer_uscc != issuer.uscc:
        raise NotYourLicence(
            f"licence {licence.identifier} was issued by {licence.issuer_uscc}; "
            f"issuer {issuer.uscc} cannot change it",
            identifier=licence.identifier,
        )
    return licence


def new_version(
    session: Session,
    *,
    issuer: Issuer,
    ltype: LicenceType,
    holder_uscc: str,
    number: str,
    serial: str,
    version: int,
    content: Content,
    previous: str | None,
    signer: Signer,
    now: datetime,
    status_base_url: str,
) -> Licence:
    """A new signed licence row with its own status slot (added, not flushed)."""
    identifier = make_identifier(
        type_code=ltype.id_type_code, issuer_code=issuer.uscc, serial=serial, version=version
    )
    list_id, index = allocate_status_index(session, now=now)
    licence = Licence(
        identifier=identifier,
        type_code=ltype.code,
        holder_uscc=holder_uscc,
        issuer_uscc=issuer.uscc,
        licence_number=number,
        serial=serial,
        version=version,
        fields=content.fields,
        issue_date=content.issue_date,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        status=VALID,
        previous_identifier=previous,
        status_list=list_id,
        status_index=index,
        jws="",
        created_at=now,
        updated_at=now,
    )
    claims = licence_claims(
        licence, issuer_name=issuer.name, now=now, status_base_url=status_base_url
    )
    licence.jws = sign_licence_claims(claims, signer)
    session.add(licence)
    return licence


def add_event(
    session: Session,
    licence: Licence,
    action: str,
    *,
    actor: str,
    now: datetime,
    reason: str,
    **detail: Any,
) -> None:
    check_reason(reason, actor)
    session.add(
        LicenceEvent(
            identifier=licence.identifier,
            action=action,
            actor=actor,
            at=now,
            reason=reason.strip(),
            detail=detail,
        )
    )


def check_reason(reason: str, actor: str, *, required: bool = False) -> None:
    if required and not reason.strip():
        raise InvalidInput("a reason is required for this change")
    if len(reason.strip()) > MAX_REASON:
        raise InvalidInput(f"a reason has at most {MAX_REASON} characters, got {len(reason)}")
    if len(actor) > MAX_ACTOR:
        raise InvalidInput(f"an actor name has at most {MAX_ACTOR} characters")


@contextmanager
def writing(what: str, *, duplicate: CodeidError | None = None) -> Iterator[None]:
    """Turn a lost race into ConcurrentChange (or ``duplicate`` for a unique violation).

    PostgreSQL: the optimistic lock (StaleDataError) or a unique constraint. SQLite: a
    writer whose snapshot is older than a concurrent commit gets "database is locked".
    """
    message = f"licence {what} was changed by another request at the same time; reload, retry"
    try:
        yield
    except StaleDataError as exc:
        raise ConcurrentChange(message, licence=what) from exc
    except IntegrityError as exc:
        raise (duplicate or ConcurrentChange(message, licence=what)) from exc
    except OperationalError as exc:
        if "database is locked" not in str(exc):
            raise
        raise ConcurrentChange(message, licence=what) from exc
