"""A window uploads a photo or camera frame: decode, verify, resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from pydantic import BaseModel, Field

from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.routes.entities import actor_of
from api.schemas import ScanCodeOut, ScanOut, VerifyOut
from api.views import verify_out
from codeid.errors import InvalidInput
from scanners.frames import load_image_bytes
from scanners.pipeline import resolve_typed, scan_and_resolve

router = APIRouter(prefix="/v1", tags=["scans"])


class UploadTooLarge(InvalidInput):
    code = "upload-too-large"


async def read_upload(upload: UploadFile, *, limit: int) -> bytes:
    """The uploaded bytes, refused (413) past ``limit`` without reading more than limit + 1."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"image is larger than {limit} bytes", limit=limit)
    return data


@router.post("/scans", response_model=ScanOut)
async def scan(
    image: UploadFile,
    request: Request,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
    location: Annotated[str, Form(max_length=100)] = "",
) -> ScanOut:
    """Every code found in the image, each verified and resolved (or refused with its reason)."""
    frame = load_image_bytes(await read_upload(image, limit=runtime.settings.max_upload_bytes))
    outcome = scan_and_resolve(
        session,
        frame,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(request),
        location=location,
        channel="scan",
    )
    return ScanOut(
        codes=[
            ScanCodeOut(
                text=code.text,
                engine=code.engine,
                verification=verify_out(code.resolved),
            )
            for code in outcome.codes
        ],
        ms=outcome.ms,
        steps=outcome.steps,
    )


class TypedScanIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096, description="What the scan gun typed")
    location: str = Field(default="", max_length=100)


@router.post("/scans/text", response_model=VerifyOut)
def scan_typed(
    body: TypedScanIn, request: Request, session: SessionDep, keyring: KeyRingDep, now: NowDep
) -> VerifyOut:
    """A USB scan gun types the payload into a field: resolve that text."""
    result = resolve_typed(
        session,
        body.text,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(request),
        location=body.location,
    )
    return verify_out(result)
