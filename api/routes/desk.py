"""The signed-in clerk's windows: what the window page starts from."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ClerkDep
from api.counter_schemas import TicketOut
from api.deps import NowDep, SessionDep
from counter.desk import desk_windows

router = APIRouter(prefix="/v1", tags=["windows"])


class DeskWindowOut(BaseModel):
    number: int
    name: str
    categories: list[str] = Field(description="The queues it calls from, by preference")
    open: bool
    waiting: int = Field(description="Waiting tickets this window may call now")
    current: TicketOut | None = Field(
        default=None, description="The ticket called to or being served at the window"
    )
    case_id: int | None = Field(default=None, description="The current ticket's open case")


@router.get("/me/windows", response_model=list[DeskWindowOut])
def my_windows(clerk: ClerkDep, session: SessionDep, now: NowDep) -> list[DeskWindowOut]:
    """The windows this clerk works at, each with its current ticket and open case."""
    return [
        DeskWindowOut(
            number=desk.window.number,
            name=desk.window.name,
            categories=list(desk.window.categories),
            open=desk.window.open,
            waiting=desk.waiting,
            current=TicketOut.model_validate(desk.current) if desk.current else None,
            case_id=desk.case.id if desk.case else None,
        )
        for desk in desk_windows(session, clerk.windows, now=now)
    ]
