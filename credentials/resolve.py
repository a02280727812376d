"""Resolve a business code to its entity together with the entity's current licences.

What a service window shows after a scan: the entity (as codeid.codes.resolve finds it) and
every current licence version (superseded versions left out), each with its effective status
at ``now``: valid first, then not yet valid, suspended, expired, revoked. Within a status,
licences follow the catalogue's order of types, then the licence number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, bindparam, select
from sqlmodel import Session

from codeid.codes.resolve import ResolveResult, resolve_code
from codeid.keys.jwks import PublicKeySet
from credentials.catalogue import Catalogue, default_catalogue
from credentials.licence_jws import china_date
from credentials.licence_records import EXPIRED, NOT_YET_VALID, effective_status
from credentials.models import Issuer, Licence, LicenceStatus

STATUS_ORDER = {
    LicenceStatus.VALID.value: 0,
    NOT_YET_VALID: 1,
    LicenceStatus.SUSPENDED.value: 2,
    EXPIRED: 3,
    LicenceStatus.REVOKED.value: 4,
}


@dataclass(frozen=True, slots=True)
class LicenceView:
    """One licence as a window shows it (no JWS: fetch the licence for that)."""

    identifier: str
    type_code: str
    type_name_zh: str
    type_name_en: str
    licence_number: str
    status: str  # effective status at the time asked about
    valid_from: date
    valid_until: date | None
    issuer_uscc: str
    issuer_name: str
    fields: dict[str, Any]
    version: int


@dataclass(frozen=True, slots=True)
class ResolvedWithLicences:
    result: ResolveResult
    licences: list[LicenceView]


def resolve_code_with_licences(
    session: Session,
    payload: str,
    *,
    keys: PublicKeySet,
    now: datetime,
    actor: str,
    location: str,
    channel: str,
    consume_for: str | None = None,
    catalogue: Catalogue | None = None,
) -> ResolvedWithLicences:
    """resolve_code, then the licences of the entity when one is known (also when the code
    is refused only because the entity is not active). Flushes only (the resolution log)."""
    result = resolve_code(
        session,
        payload,
        keys=keys,
        now=now,
        actor=actor,
        location=location,
        channel=channel,
        consume_for=consume_for,
    )
    if result.entity is None:
        return ResolvedWithLicences(result, [])
    views = current_licence_views(session, result.entity.uscc, now=now, catalogue=catalogue)
    return ResolvedWithLicences(result, views)


def current_licence_views(
    session: Session, holder_uscc: str, *, now: datetime, catalogue: Catalogue | None = None
) -> list[LicenceView]:
    """The holder's current licence versions, ordered for display (one query).

    A Core query of the columns shown (every resolution runs it): no JWS, no ORM objects,
    about half the time of loading the Licence rows."""
    cat = catalogue or default_catalogue()
    type_rank = {ltype.code: rank for rank, ltype in enumerate(cat.types())}
    today = china_date(now)
    session.flush()  # what the ORM query this replaces did first (autoflush)
    rows = session.execute(_CURRENT, {"holder": holder_uscc}).all()
    # effective_status reads only status, valid_from and valid_until, which each row has.
    views = [_view(row, effective_status(cast(Licence, row), today=today), cat) for row in rows]
    views.sort(
        key=lambda view: (
            STATUS_ORDER.get(view.status, len(STATUS_ORDER)),
            type_rank.get(view.type_code, len(type_rank)),
            view.licence_number,
        )
    )
    return views


_LICENCES = Licence.__table__  # type: ignore[attr-defined]
_ISSUERS = Issuer.__table__  # type: ignore[attr-defined]
_CURRENT = (
    select(
        *(_LICENCES.c[name] for name in (
            "identifier", "type_code", "licence_number", "status", "valid_from", "valid_until",
            "issuer_uscc", "fields", "version",
        )),
        _ISSUERS.c.name.label("issuer_name"),
    )
    .select_from(_LICENCES.outerjoin(_ISSUERS, _ISSUERS.c.uscc == _LICENCES.c.issuer_uscc))
    .where(
        _LICENCES.c.holder_uscc == bindparam("holder"),
        _LICENCES.c.status != LicenceStatus.SUPERSEDED.value,
    )
)  # fmt: skip


def _view(row: Row[*tuple[Any, ...]], status: str, cat: Catalogue) -> LicenceView:
    if row.type_code in cat:
        ltype = cat.get(row.type_code)
        name_zh, name_en = ltype.name_zh, ltype.name_en
    else:  # a type dropped from the catalogue still shows, under its code
        name_zh = name_en = row.type_code
    return LicenceView(
        identifier=row.identifier,
        type_code=row.type_code,
        type_name_zh=name_zh,
        type_name_en=name_en,
        licence_number=row.licence_number,
        status=status,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        issuer_uscc=row.issuer_uscc,
        issuer_name=row.issuer_name or "",
        fields=dict(row.fields),
        version=row.version,
    )
