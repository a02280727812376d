"""Errors of the service hall. Each has a stable ``code`` slug; append new classes at the end."""

from __future__ import annotations

from codeid.errors import CodeidError, Conflict, InvalidInput, NotFound


class CounterError(CodeidError):
    """Base of the counter's errors (mixed into the generic kinds below)."""

    code = "counter-error"


class HallNotLoaded(CounterError, NotFound):
    """No hall set-up has been loaded yet."""

    code = "hall-not-loaded"


class HallInvalid(CounterError, InvalidInput):
    """A hall document failed validation; the message names the path of the bad element."""

    code = "hall-invalid"

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message, problems=problems or [message])
        self.problems: list[str] = problems or [message]


class ItemNotFound(CounterError, NotFound):
    code = "service-item-not-found"


class CategoryNotFound(CounterError, NotFound):
    code = "service-category-not-found"


class WindowNotFound(CounterError, NotFound):
    code = "window-not-found"


class SlotNotFound(CounterError, NotFound):
    code = "slot-not-found"


class SlotFull(CounterError, Conflict):
    code = "slot-full"


class SlotUnavailable(CounterError, Conflict):
    """The slot is in the past (or already started) and cannot be booked."""

    code = "slot-unavailable"


class NoFreeSlot(CounterError, Conflict):
    """No slot of the category has room on the requested day."""

    code = "no-free-slot"


class TooManyBookings(CounterError, Conflict):
    code = "too-many-bookings"


class BookingNotFound(CounterError, NotFound):
    code = "booking-not-found"


class BookingStateConflict(CounterError, Conflict):
    """The booking is not in a state that allows the action (e.g. confirming an expired hold)."""

    code = "booking-state"


# ---- other helpers: append new classes below this line ----


# ---- cases and ratings (counter.cases) ----


class CaseNotFound(CounterError, NotFound):
    code = "case-not-found"


class CaseAlreadyOpen(CounterError, Conflict):
    code = "case-already-open"


class CaseStateConflict(CounterError, Conflict):
    """The case is not in a state that allows the action (e.g. completing a rejected case)."""

    code = "case-state"


class UnknownFormField(CounterError, InvalidInput):
    code = "unknown-form-field"


class OverrideReasonRequired(CounterError, InvalidInput):
    """A field filled from a signed licence changes only with a recorded reason."""

    code = "override-reason-required"


class FormIncomplete(CounterError, InvalidInput):
    """A required form field is still empty."""

    code = "form-incomplete"


class NotYourCase(CounterError, InvalidInput):
    """Only the business the case was for can rate it."""

    code = "not-your-case"


class AlreadyRated(CounterError, Conflict):
    code = "already-rated"


# ---- tickets and windows (counter.check_in, counter.tickets, counter.windows) ----


class TicketNotFound(CounterError, NotFound):
    code = "ticket-not-found"


class TicketStateConflict(CounterError, Conflict):
    """The ticket is not in a state that allows the action (e.g. starting a waiting ticket)."""

    code = "ticket-state"


class WrongWindow(CounterError, Conflict):
    """A window acts only on a ticket called to it."""

    code = "wrong-window"


class WindowClosed(CounterError, Conflict):
    code = "window-closed"


# ---- walk-ins without a code (counter.walk_in) ----


class TicketNotIdentified(CounterError, Conflict):
    """A walk-in ticket taken without a code: the window scans the business code first."""

    code = "ticket-not-identified"


class TicketAlreadyIdentified(CounterError, Conflict):
    code = "ticket-already-identified"
