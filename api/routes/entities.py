"""Market entities: create, read, list, update, status, bulk import."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile

from api.access_record import field_names, logged_read, on_behalf_of
from api.auth import AdminDep, Allow, Principal, require_entity_access
from api.counter_schemas import MAX_ID
from api.deps import NowDep, RuntimeDep, SessionDep
from api.schemas import (
    EntityIn,
    EntityOut,
    EntityPage,
    EntityPatch,
    ImportReportOut,
    RejectedRowOut,
    StatusChange,
)
from codeid.accounts.models import Role
from codeid.entities.importer import import_entities
from codeid.entities.models import EntityStatus
from codeid.entities.readers import read_entity_stream
from codeid.entities.service import (
    EntityData,
    add_entity,
    count_entities,
    get_entity,
    search_entities,
    set_entity_status,
    update_entity,
)
from codeid.errors import InvalidInput
from codeid.uscc import parse_uscc

router = APIRouter(prefix="/v1/entities", tags=["entities"])
ENTITY_FIELDS = field_names(EntityOut)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refuse it as input, not as a 500


def actor_of(principal: Principal) -> str:
    return f"api:{principal.subject}"


@router.post("", status_code=201, response_model=EntityOut)
def create_entity(body: EntityIn, admin: AdminDep, session: SessionDep, now: NowDep) -> EntityOut:
    entity = add_entity(
        session, data=EntityData(**body.model_dump()), actor=actor_of(admin), now=now
    )
    return EntityOut.model_validate(entity)


@router.get("", response_model=EntityPage)
def list_entities(
    staff: Annotated[Principal, Depends(Allow(Role.ADMIN, Role.CLERK))],
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    name: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="substring of the name")
    ] = None,
    status: EntityStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> EntityPage:
    with logged_read(runtime.engine, staff, action="entity.search", now=now) as log:
        items = search_entities(session, name=name, status=status, limit=limit, offset=offset)
        total = count_entities(session, name=name, status=status)
        # The search terms are values, so only the size of the answer is logged.
        log.fields, log.resource = ENTITY_FIELDS, f"results:{len(items)}"
    return EntityPage(
        items=[EntityOut.model_validate(e) for e in items], total=total, limit=limit, offset=offset
    )


@router.get("/{uscc}", response_model=EntityOut)
def read_entity(
    uscc: str,
    principal: Annotated[Principal, Depends(Allow(Role.ADMIN, Role.CLERK, Role.BUSINESS))],
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> EntityOut:
    """Staff read any entity; a business user the entities it acts for."""
    with logged_read(runtime.engine, principal, action="entity.read", now=now) as log:
        # Malformed codes are refused before any lookup (and never reach the log's subject).
        code = parse_uscc(uscc, allow_check_override=True).code
        log.subject_uscc = code
        # Access before existence, so a business user learns nothing of entities not its own.
        log.on_behalf_of = on_behalf_of(require_entity_access(session, principal, code, now))
        entity = get_entity(session, code)
        log.fields = ENTITY_FIELDS
    return EntityOut.model_validate(entity)


@router.patch("/{uscc}", response_model=EntityOut)
def patch_entity(
    uscc: str, body: EntityPatch, admin: AdminDep, session: SessionDep, now: NowDep
) -> EntityOut:
    changes = body.model_dump(exclude_unset=True)
    entity = update_entity(session, uscc, changes=changes, actor=actor_of(admin), now=now)
    return EntityOut.model_validate(entity)


@router.post("/{uscc}/status", response_model=EntityOut)
def change_status(
    uscc: str, body: StatusChange, admin: AdminDep, session: SessionDep, now: NowDep
) -> EntityOut:
    set_entity_status(
        session,
        uscc,
        status=EntityStatus(body.status),
        reason=body.reason,
        actor=actor_of(admin),
        now=now,
    )
    return EntityOut.model_validate(get_entity(session, uscc))


@router.post("/import", response_model=ImportReportOut)
def import_file(
    file: UploadFile, admin: AdminDep, session: SessionDep, now: NowDep
) -> ImportReportOut:
    """CSV or JSON Lines; all-or-nothing: one rejected row and nothing is written."""
    name = (file.filename or "").lower()
    fmt = "csv" if name.endswith(".csv") or file.content_type == "text/csv" else "jsonl"
    raw = file.file.read()  # a sync route: the import's writes run in the thread pool
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("import file is not UTF-8 text", position=exc.start) from exc
    report = import_entities(
        session, read_entity_stream(io.StringIO(text), fmt=fmt), actor=actor_of(admin), now=now
    )
    return ImportReportOut(
        rows=report.rows,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=[
            RejectedRowOut(line=r.line, uscc=r.uscc, reason=r.code, message=r.message)
            for r in report.rejected
        ],
        batches_applied=report.batches_applied,
        batches_rejected=report.batches_rejected,
        seconds=report.seconds,
    )
