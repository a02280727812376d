"""The licence store: issue and amend signed e-licences; read them and their history.

A licence number is unique per issuer: issuing it twice is refused (amend, or re-import, to
change it). Amending writes a new row, version + 1 with a new identifier (same serial),
signed anew with a new status slot; the previous version becomes ``superseded``. Nothing is
ever deleted or rewritten except the stored status of a version, and every change is a
LicenceEvent. Suspend, resume and revoke live in ``credentials.licence_lifecycle``, the
shared pieces in ``credentials.licence_records``; both are re-exported here.

Concurrency: ``Licence.row_version`` is an optimistic lock, and the unique
(issuer, number, version) constraint backs it: of two concurrent amendments of one version,
exactly one commits; the other gets ConcurrentChange (also when SQLite reports its stale
snapshot as "database is locked") and its session must be rolled back. Functions only flush.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from codeid.keys.keyring import Signer
from codeid.uscc import normalise_uscc
from credentials.catalogue import Catalogue, LicenceType, default_catalogue
from credentials.errors import LicenceExists, LicenceStateConflict
from credentials.issuers import issuer_public_keys
from credentials.licence_jws import china_date
from credentials.licence_lifecycle import resume_licence, revoke_licence, suspend_licence
from credentials.licence_records import (
    EXPIRED,
    NOT_YET_VALID,
    Content,
    add_event,
    effective_status,
    get_licence,
    licensable_holder,
    new_version,
    owned_licence,
    parse_licence_date,
    writing,
)
from credentials.models import Issuer, Licence, LicenceEvent, LicenceStatus
from credentials.trust import require_trusted

__all__ = [
    "EXPIRED",
    "NOT_YET_VALID",
    "amend_licence",
    "current_version",
    "effective_status",
    "get_licence",
    "issue_licence",
    "licence_history",
    "licence_today",
    "list_licences",
    "parse_licence_date",
    "resume_licence",
    "revoke_licence",
    "suspend_licence",
]

DATE_KEYS = ("issue_date", "valid_from", "valid_until")
_SERIAL_RANDOM_DIGITS = 8


def issue_licence(
    session: Session,
    *,
    issuer: Issuer,
    licence_type: str,
    holder_uscc: str,
    licence_number: str,
    fields: Mapping[str, Any],
    issue_date: date | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    signer: Signer,
    actor: str,
    now: datetime,
    catalogue: Catalogue | None = None,
    status_base_url: str = "",
) -> Licence:
    """Issue version 1 of a licence, signed by ``signer`` (the issuer's active key).

    Dates default to today in China: ``issue_date`` to today, ``valid_from`` to the issue
    date, ``valid_until`` to the type's default validity (open-ended when it has none).
    """
    ltype = (catalogue or default_catalogue()).get(licence_type)
    holder = licensable_holder(session, holder_uscc)
    require_trusted(session, issuer_uscc=issuer.uscc, licence_type=ltype.code, at=now)
    number = ltype.check_number(licence_number)
    clean = ltype.check_fields(fields)
    issued_on = issue_date or china_date(now)
    start = valid_from or issued_on
    end = valid_until if valid_until is not None else default_valid_until(ltype, start)
    content = Content(clean, issued_on, start, end)
    content.check_period()
    _check_signer(session, issuer, signer)
    exists = LicenceExists(
        f"issuer {issuer.uscc} already issued licence number {number}; amend it instead",
        issuer=issuer.uscc,
        licence_number=number,
    )
    if current_version(session, issuer_uscc=issuer.uscc, licence_number=number) is not None:
        raise exists
    with writing(f"{issuer.uscc}/{number}", duplicate=exists):
        licence = new_version(
            session,
            issuer=issuer,
            ltype=ltype,
            holder_uscc=holder.uscc,
            number=number,
            serial=_new_serial(session, issuer.uscc, issued_on),
            version=1,
            content=content,
            previous=None,
            signer=signer,
            now=now,
            status_base_url=status_base_url,
        )
        add_event(
            session,
            licence,
            "issued",
            actor=actor,
            now=now,
            reason="",
            type=ltype.code,
            holder=holder.uscc,
            licence_number=number,
        )
        session.flush()
    return licence


def amend_licence(
    session: Session,
    identifier: str,
    *,
    issuer: Issuer,
    changes: Mapping[str, Any],
    reason: str,
    signer: Signer,
    actor: str,
    now: datetime,
    catalogue: Catalogue | None = None,
    status_base_url: str = "",
) -> Licence:
    """Make version + 1 of a valid licence; the given version becomes superseded.

    ``changes`` maps field names to new values (None removes an optional field) and may
    hold ``valid_from``, ``valid_until`` (None: open-ended) and ``issue_date`` (default:
    today). Fields not named keep their values. An amendment that changes nothing is refused.
    """
    old = owned_licence(session, identifier, issuer)
    if old.status != LicenceStatus.VALID.value:
        raise LicenceStateConflict(
            f"licence {old.identifier} is {old.status}; only a valid licence can be amended",
            identifier=old.identifier,
            status=old.status,
        )
    ltype = (catalogue or default_catalogue()).get(old.type_code)
    require_trusted(session, issuer_uscc=issuer.uscc, licence_type=ltype.code, at=now)
    content = amended_content(ltype, old, changes, today=china_date(now))
    changed = content.changes_from(old, issue_date_given="issue_date" in changes)
    if not changed:
        raise InvalidInput(f"the amendment does not change licence {old.identifier}")
    _check_signer(session, issuer, signer)
    with writing(old.identifier):
        old.status = LicenceStatus.SUPERSEDED.value
        old.updated_at = now
        session.add(old)
        session.flush()  # the optimistic lock: a concurrent change of ``old`` fails here
        new = new_version(
            session,
            issuer=issuer,
            ltype=ltype,
            holder_uscc=old.holder_uscc,
            number=old.licence_number,
            serial=old.serial,
            version=old.version + 1,
            content=content,
            previous=old.identifier,
            signer=signer,
            now=now,
            status_base_url=status_base_url,
        )
        add_event(
            session, old, "superseded", actor=actor, now=now, reason=reason, by=new.identifier
        )
        add_event(
            session,
            new,
            "amended",
            actor=actor,
            now=now,
            reason=reason,
            previous=old.identifier,
            changed=changed,
        )
        session.flush()
    return new


def amended_content(
    ltype: LicenceType, old: Licence, changes: Mapping[str, Any], *, today: date
) -> Content:
    """The content of the next version: ``old`` with ``changes`` applied and checked."""
    merged = dict(old.fields)
    for name, value in changes.items():
        if name in DATE_KEYS:
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    fields = ltype.check_fields(merged)
    dates = {name: parse_licence_date(name, changes[name]) for name in DATE_KEYS if name in changes}
    valid_from = dates.get("valid_from") or old.valid_from
    content = Content(
        fields=fields,
        issue_date=dates.get("issue_date") or today,
        valid_from=valid_from,
        valid_until=dates.get("valid_until", old.valid_until),
    )
    content.check_period()
    return content


def licence_today(now: datetime) -> date:
    """The calendar day in China at ``now``: what licence dates are compared with."""
    return china_date(now)


def default_valid_until(ltype: LicenceType, valid_from: date) -> date | None:
    """Valid for exactly ``default_validity_days`` days, the first being ``valid_from``."""
    days = ltype.default_validity_days
    return None if days is None else valid_from + timedelta(days=days - 1)


def current_version(session: Session, *, issuer_uscc: str, licence_number: str) -> Licence | None:
    """The latest version of the issuer's licence with this number, whatever its status."""
    query = (
        select(Licence)
        .where(Licence.issuer_uscc == issuer_uscc, Licence.licence_number == licence_number)
        .order_by(col(Licence.version).desc())
        .limit(1)
    )
    return session.exec(query).first()


def list_licences(
    session: Session, *, holder_uscc: str, include_history: bool = False
) -> list[Licence]:
    """The holder's licences (current versions; every version with ``include_history``)."""
    query = select(Licence).where(Licence.holder_uscc == normalise_uscc(holder_uscc))
    if not include_history:
        query = query.where(Licence.status != LicenceStatus.SUPERSEDED.value)
    query = query.order_by(
        col(Licence.type_code), col(Licence.licence_number), col(Licence.version).desc()
    )
    return list(session.exec(query).all())


def licence_history(session: Session, identifier: str) -> list[LicenceEvent]:
    """Every event of every version of the licence, oldest first."""
    licence = get_licence(session, identifier)
    versions = select(Licence.identifier).where(
        Licence.issuer_uscc == licence.issuer_uscc,
        Licence.licence_number == licence.licence_number,
    )
    query = (
        select(LicenceEvent)
        .where(col(LicenceEvent.identifier).in_(versions))
        .order_by(col(LicenceEvent.at), col(LicenceEvent.id))
    )
    return list(session.exec(query).all())


def _check_signer(session: Session, issuer: Issuer, signer: Signer) -> None:
    # A licence signed by a key outside the issuer's ring could never be verified.
    if signer.kid not in issuer_public_keys(session, issuer.uscc):
        raise InvalidInput(
            f"key {signer.kid} is not a signing key of issuer {issuer.uscc}; sign with its "
            "active key"
        )


def _new_serial(session: Session, issuer_uscc: str, issued_on: date) -> str:
    """Issue date + random digits: no counter row to contend on, unique per issuer."""
    for _ in range(10):
        serial = f"{issued_on:%Y%m%d}{secrets.randbelow(10**_SERIAL_RANDOM_DIGITS):08d}"
        taken = select(Licence.id).where(
            Licence.issuer_uscc == issuer_uscc, Licence.serial == serial
        )
        if session.exec(taken).first() is None:
            return serial
    raise LicenceStateConflict(f"no free serial for issuer {issuer_uscc} on {issued_on}")
