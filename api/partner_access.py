"""What partner (and other) callers of the read paths must state, get back, and leave in the log.

- Purpose: every partner call states why (``purpose``: a body member for POST, a query
  parameter for GET), as the national e-licence sharing interfaces require; users may.
- Shaping: staff, and business users acting for the entity, get the full answer. Partners,
  and business users looking at another business, learn whether a code is valid and whose
  it is: USCC, name and status, which are public registry facts (the public check page shows
  them to anyone). Licence fields only reach a partner whose token holds ``licences:read``
  and whose holder consented to it for that licence type.
- Logging: each call is one access-log entry naming the field names returned, never values.

Per-client rate limits are applied to every partner call when its token is read
(api.auth.current_principal -> credentials.partners.clients.admit_client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Engine
from sqlmodel import Session

from api.access_record import access_of
from api.auth import STAFF, Forbidden, Principal
from api.licence_access import may_read, partner_consented_types
from api.licence_schemas import LicenceOut, LicenceViewOut
from api.licence_views import licence_out
from api.partner_schemas import (
    PURPOSE_DESCRIPTION,
    EntitySummaryOut,
    LicenceSummaryOut,
    LicenceVerdictView,
    PartnerVerifyOut,
)
from api.schemas import EntityOut, VerifyOut
from api.views import verify_out
from codeid.accounts.models import Role
from codeid.audit.log import Access, record
from codeid.errors import InvalidInput
from codeid.mandates.lookup import live_mandates
from counter.resolve import CounterResolution
from credentials.licence_verify import LicenceVerdict
from credentials.licences import effective_status, licence_today
from credentials.models import Licence

PurposeQuery = Annotated[str | None, Query(max_length=300, description=PURPOSE_DESCRIPTION)]


class PurposeRequired(InvalidInput):
    code = "purpose-required"


def require_purpose(principal: Principal, purpose: str | None) -> str:
    """The stated purpose (stripped); partners must state one."""
    text = (purpose or "").strip()
    if any(ord(ch) < 32 for ch in text):
        raise InvalidInput("the purpose must be plain text, without control characters")
    if principal.kind == "client" and not text:
        raise PurposeRequired("partner calls must state their purpose (the purpose field)")
    return text


def log_access(engine: Engine, principal: Principal, *, now: datetime, **details: Any) -> None:
    """One access-log entry (see ``access``), committed at once in its own transaction."""
    record(engine, [access_of(principal, **details)], now=now)


def licence_field_names(type_code: str, fields: Mapping[str, Any]) -> list[str]:
    return [f"licence.{type_code}.{name}" for name in ("licence_number", *fields)]


def acts_for(session: Session, principal: Principal, uscc: str, *, now: datetime) -> bool:
    """Staff, or a business user with a live mandate for ``uscc``: the full answer."""
    if principal.role in STAFF:
        return True
    if principal.role == Role.BUSINESS.value and principal.user_id is not None:
        return bool(live_mandates(session, user_id=principal.user_id, uscc=uscc, now=now))
    return False


def code_answer(
    session: Session, principal: Principal, resolution: CounterResolution, *, now: datetime
) -> tuple[VerifyOut | PartnerVerifyOut, list[str]]:
    """The answer this caller may see, and the names of the fields in it."""
    result = resolution.resolved.result
    uscc = result.claims.uscc if result.claims else None
    entity = result.entity
    if principal.role in STAFF or (entity and acts_for(session, principal, entity.uscc, now=now)):
        full = verify_out(resolution)
        return full, full_answer_fields(full)
    answer = PartnerVerifyOut(valid=result.ok, reason=result.reason, message=result.message)
    answer.uscc = entity.uscc if entity is not None else uscc
    names = ["uscc"] if answer.uscc else []
    if entity is not None:
        answer.entity = EntitySummaryOut.model_validate(entity)
        names += ["entity.name", "entity.status"]
        types = partner_consented_types(session, principal, entity.uscc, now=now)
        answer.consented_types = sorted(types)
        for licence in resolution.resolved.licences:
            if licence.type_code in types:
                answer.licences.append(LicenceViewOut.model_validate(licence))
                names += licence_field_names(licence.type_code, licence.fields)
    return answer, names


def full_answer_fields(full: VerifyOut) -> list[str]:
    """The names of what a full code answer disclosed (for the access log)."""
    names = [f"entity.{name}" for name in EntityOut.model_fields] if full.entity else []
    for view in full.licences:
        names += licence_field_names(view.type_code, view.fields)
    extras = ("acting", "bookings_today", "open_tickets")  # "acting": who shows the code
    return names + [name for name in extras if getattr(full, name, None)]


def code_access(
    principal: Principal,
    resolution: CounterResolution,
    *,
    action: str,
    purpose: str,
    fields: Iterable[str],
    location: str = "",
) -> Access:
    """The access-log entry of one code verified or scanned."""
    result = resolution.resolved.result
    claims = result.claims
    return access_of(
        principal,
        action=action,
        outcome=result.reason,
        purpose=purpose,
        subject_uscc=claims.uscc if claims else None,
        resource=f"code:{claims.code_id}" if claims else "code",
        fields=fields,
        on_behalf_of=location,
    )


def licence_verdict(
    session: Session, principal: Principal, verdict: LicenceVerdict, *, now: datetime
) -> tuple[LicenceVerdictView, list[str]]:
    """The full licence to whoever may read it; otherwise only what it is and its status."""
    licence = verdict.licence
    view = LicenceVerdictView(valid=verdict.valid, reason=verdict.reason, message=verdict.message)
    if licence is None:
        return view, []
    if may_read(session, principal, licence, now=now):
        full: LicenceOut = licence_out(licence, now=now)
        view.licence = full
        names = ["licence.jws", *licence_field_names(licence.type_code, licence.fields)]
        return view, names
    view.licence = LicenceSummaryOut(
        identifier=licence.identifier,
        type_code=licence.type_code,
        holder_uscc=licence.holder_uscc,
        issuer_uscc=licence.issuer_uscc,
        status=licence.status,
        effective_status=effective_status(licence, today=licence_today(now)),
    )
    return view, ["licence.type_code", "licence.holder_uscc", "licence.status"]


def licence_names(licences: Iterable[Licence]) -> list[str]:
    names: list[str] = []
    for licence in licences:
        names += ["licence.jws", *licence_field_names(licence.type_code, licence.fields)]
    return names


def guard_licence_read(
    engine: Engine,
    session: Session,
    principal: Principal,
    licence: Licence,
    *,
    action: str,
    purpose: str,
    now: datetime,
) -> None:
    """api.licence_access.require_licence_read, with the refusal logged (committed on its
    own: the request's transaction is rolled back by the refusal)."""
    if may_read(session, principal, licence, now=now):
        return
    log_access(
        engine,
        principal,
        now=now,
        action=action,
        outcome="forbidden",
        purpose=purpose,
        subject_uscc=licence.holder_uscc,
        resource=f"licence:{licence.identifier}",
    )
    raise Forbidden(f"you may not read licence {licence.identifier}")
