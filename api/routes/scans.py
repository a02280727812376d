"""A window uploads a photo or camera frame: decode, verify, resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, UploadFile
from pydantic import BaseModel, Field

from api.auth import Allow, Principal
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.observability.metrics import observe_scan
from api.partner_access import code_access, full_answer_fields
from api.routes.entities import actor_of
from api.schemas import ScanCodeOut, ScanOut, VerifyOut
from api.views import verify_out
from codeid.accounts.models import Role
from codeid.audit.log import Access, append
from codeid.errors import InvalidInput
from counter.resolve import CounterResolution
from scanners.frames import load_image_bytes
from scanners.pipeline import resolve_typed, scan_and_resolve

router = APIRouter(prefix="/v1", tags=["scans"])
# Scanning at a window: clerks (and administrators trying the hall out).
ScannerDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.CLERK))]


class UploadTooLarge(InvalidInput):
    code = "upload-too-large"


def read_upload(upload: UploadFile, *, limit: int) -> bytes:
    """The uploaded bytes, refused (413) past ``limit`` without reading more than limit + 1.

    Synchronous on purpose: the routes that take uploads then decode and write to the
    database, blocking work that belongs in the thread pool, not on the event loop (an async
    route waiting there on a lock held by another request stalls every request).
    """
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"image is larger than {limit} bytes", limit=limit)
    return data


@router.post("/scans", response_model=ScanOut)
def scan(
    image: UploadFile,
    principal: ScannerDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
    location: Annotated[str, Form(max_length=100)] = "",
) -> ScanOut:
    """Every code found in the image, each verified and resolved (or refused with its reason)."""
    frame = load_image_bytes(read_upload(image, limit=runtime.settings.max_upload_bytes))
    outcome = scan_and_resolve(
        session,
        frame,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(principal),
        location=location,
        channel="scan",
    )
    codes, entries = [], []
    for code in outcome.codes:
        answer = verify_out(code.resolved)
        codes.append(ScanCodeOut(text=code.text, engine=code.engine, verification=answer))
        entries.append(_scan_access(principal, code.resolved, answer, location))
    append(session, entries, now=now)  # with the resolution records, in this transaction
    observe_scan(outcome.ms, [code.resolved.resolved.result.ok for code in outcome.codes])
    return ScanOut(codes=codes, ms=outcome.ms, steps=outcome.steps)


class TypedScanIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096, description="What the scan gun typed")
    location: str = Field(default="", max_length=100)


@router.post("/scans/text", response_model=VerifyOut)
def scan_typed(
    body: TypedScanIn, principal: ScannerDep, session: SessionDep, keyring: KeyRingDep, now: NowDep
) -> VerifyOut:
    """A USB scan gun types the payload into a field: resolve that text."""
    result = resolve_typed(
        session,
        body.text,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(principal),
        location=body.location,
    )
    answer = verify_out(result)
    append(session, [_scan_access(principal, result, answer, body.location)], now=now)
    return answer


def _scan_access(
    principal: Principal, resolution: CounterResolution, answer: VerifyOut, location: str
) -> Access:
    """Scans are staff's: the full answer, logged as such (field names, not values)."""
    fields = full_answer_fields(answer)
    return code_access(
        principal, resolution, action="code.scan", purpose="", fields=fields, location=location
    )
