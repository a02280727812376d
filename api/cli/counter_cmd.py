"""The service hall from a shell: hall, book, checkin, window, case, report."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.output import CliFailure, emit
from api.cli.parsing import iso_date, name_value_pairs
from api.counter_schemas import BookingOut, CaseOut, TicketOut
from api.runtime import Runtime
from codeid.clock import utcnow
from counter.booking_create import book
from counter.booking_lifecycle import confirm_booking
from counter.cases import complete_case, open_case, update_case_fields
from counter.check_in import check_in
from counter.hall import (
    demo_hall_path,
    get_hall,
    load_hall_file,
    local_day,
    read_hall,
)
from counter.reports import daily_report, report_csv
from counter.tickets import get_ticket
from counter.windows import call_next
from scanners.frames import load_image_file
from scanners.pipeline import first_verified_code

hall_app = typer.Typer(help="The service hall set-up.", no_args_is_help=True)
window_app = typer.Typer(help="What a window does.", no_args_is_help=True)
case_app = typer.Typer(help="Cases and their auto-filled forms.", no_args_is_help=True)


@hall_app.command("load")
def hall_load(
    file: Path = typer.Argument(None, help="Hall file (JSON); default: the demo hall."),
) -> None:
    """Validate and load categories, service items, windows and opening hours."""
    with Runtime.prepared().session() as session:
        emit(load_hall_file(session, file or demo_hall_path(), now=utcnow()).as_json())


@hall_app.command("show")
def hall_show() -> None:
    with Runtime.prepared().session() as session:
        emit(read_hall(session))


def book_cmd(
    uscc: str = typer.Option(...),
    item: str = typer.Option(..., help="Service item code (codeid hall show)."),
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD, default today."),
) -> None:
    """Book the first free slot of the day for a service item; held, then confirmed."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        held = book(session, uscc=uscc, item_code=item, day=iso_date(day, "--date"), now=now)
        emit(BookingOut.model_validate(confirm_booking(session, held.reference, now=now)))


def checkin_cmd(
    code: str = typer.Argument(..., metavar="CODE_IMAGE_OR_PAYLOAD"),
    item: str = typer.Option(None, help="For a walk-in: the service item."),
) -> None:
    """Check in with the business's dynamic code (a photo of it, or its text)."""
    runtime = Runtime.prepared()
    now = utcnow()
    with runtime.session() as session:
        keys = runtime.keyring(session).public_keys()
        payload = code
        if Path(code).is_file():
            frame = load_image_file(Path(code))
            payload = first_verified_code(frame, keys=keys, now=now, budget_ms=3000)
        result = check_in(session, payload, keys=keys, now=now, location="cli", item_code=item)
        emit(
            {
                "ticket": TicketOut.model_validate(result.ticket).model_dump(mode="json"),
                "number": result.ticket.number,
                "people_ahead": result.people_ahead,
                "estimated_wait_minutes": result.estimated_wait_minutes,
            }
        )


@window_app.command("call")
def window_call(window: int) -> None:
    """Call the next ticket to window N (exit 1 with "queue empty" when there is none)."""
    with Runtime.prepared().session() as session:
        ticket = call_next(session, window, now=utcnow(), clerk="cli")
        if ticket is None:
            raise CliFailure(f"queue empty for window {window}")
        emit(TicketOut.model_validate(ticket))


@case_app.command("open")
def case_open(ticket_number: str, item: str = typer.Option(..., help="Service item code.")) -> None:
    """Open the case of today's ticket (called to a window): form filled from the licences."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        ticket = get_ticket(session, ticket_number, day=local_day(now, get_hall(session)))
        if ticket.window_number is None or ticket.id is None:
            raise CliFailure(f"ticket {ticket_number} has not been called to a window")
        case = open_case(
            session,
            ticket.id,
            item_code=item,
            window_number=ticket.window_number,
            clerk="cli",
            now=now,
        )
        emit(CaseOut.model_validate(case))


@case_app.command("set")
def case_set(
    case_id: int,
    field: list[str] = typer.Option(..., "--field", help="NAME=VALUE the clerk types, repeatable."),
    reason: list[str] = typer.Option(
        None, "--reason", help="NAME=WHY for a field read from a signed licence."
    ),
) -> None:
    """Fill in or correct form fields (read-only licence fields need a reason)."""
    with Runtime.prepared().session() as session:
        case = update_case_fields(
            session,
            case_id,
            values=name_value_pairs(field, "--field"),
            reasons=name_value_pairs(reason, "--reason"),
            clerk="cli",
            now=utcnow(),
        )
        emit(CaseOut.model_validate(case))


@case_app.command("complete")
def case_complete(case_id: int) -> None:
    with Runtime.prepared().session() as session:
        emit(CaseOut.model_validate(complete_case(session, case_id, clerk="cli", now=utcnow())))


def report_cmd(
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD, default today."),
    csv: bool = typer.Option(False, "--csv", help="CSV instead of JSON."),
) -> None:
    """The day's figures per category, window and clerk."""
    with Runtime.prepared().session() as session:
        data = daily_report(
            session, day=iso_date(day, "--date") or local_day(utcnow(), get_hall(session))
        )
    if csv:
        print(report_csv(data), end="")
    else:
        emit(data)
