"""The display board above the windows: poll the feed, or follow it as server-sent events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api.auth import allow
from api.deps import NowDep, RuntimeDep, SessionDep
from codeid.accounts.models import Role
from codeid.clock import utcnow
from counter.board import board_feed
from counter.reports import daily_report, report_csv

router = APIRouter(prefix="/v1", tags=["board and reports"])
STREAM_SECONDS = 300.0  # then the stream ends; EventSource reconnects by itself


@router.get("/board", dependencies=[allow(public=True)])
def board(session: SessionDep, now: NowDep) -> dict[str, Any]:
    """The last numbers called to each window."""
    return board_feed(session, now=now)


@router.get("/board/stream", dependencies=[allow(public=True)])
def board_stream(
    runtime: RuntimeDep,
    now: NowDep,
    interval: Annotated[float, Query(ge=0.2, le=30)] = 1.0,
    seconds: Annotated[float, Query(gt=0, le=STREAM_SECONDS)] = STREAM_SECONDS,
) -> StreamingResponse:
    """Server-sent events: the feed whenever it changes (checked every `interval` seconds)."""

    skew = now - utcnow()  # zero in production; follows the clock the app was given

    def events() -> Iterator[str]:
        last = ""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with runtime.session() as session:
                feed = board_feed(session, now=utcnow() + skew)
            payload = json.dumps(feed, ensure_ascii=False, default=str)
            if payload != last:
                last = payload
                yield f"event: board\ndata: {payload}\n\n"
            else:
                yield ": keep-alive\n\n"
            time.sleep(interval)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/reports/daily", response_model=None, dependencies=[allow(Role.ADMIN, Role.CLERK)])
def report(
    day: date, session: SessionDep, format: Annotated[str, Query(pattern="^(json|csv)$")] = "json"
) -> dict[str, Any] | PlainTextResponse:
    """Tickets, waiting and service times (median, p90), no-shows, punctuality, ratings."""
    data = daily_report(session, day=day)
    if format == "csv":
        return PlainTextResponse(report_csv(data), media_type="text/csv")
    return data
