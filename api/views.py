"""Domain results shaped into API answers."""

from __future__ import annotations

from api.counter_schemas import ActingOut, BookingOut, TicketOut
from api.licence_schemas import LicenceViewOut
from api.schemas import ClaimsOut, EntityOut, IssuedCodeOut, VerifyOut
from codeid.codes.issue import IssuedCode
from codeid.codes.qr import qr_version
from counter.resolve import CounterResolution


def issued_out(issued: IssuedCode) -> IssuedCodeOut:
    fields = {
        name: getattr(issued, name) for name in IssuedCodeOut.model_fields if name != "qr_version"
    }
    return IssuedCodeOut(**fields, qr_version=qr_version(issued.payload))


def verify_out(resolution: CounterResolution) -> VerifyOut:
    resolved = resolution.resolved
    result = resolved.result
    claims = result.claims
    return VerifyOut(
        valid=result.ok,
        reason=result.reason,
        message=result.message,
        entity=EntityOut.model_validate(result.entity) if result.entity else None,
        claims=ClaimsOut.model_validate(claims, from_attributes=True) if claims else None,
        licences=[LicenceViewOut.model_validate(view) for view in resolved.licences],
        bookings_today=[BookingOut.model_validate(b) for b in resolution.bookings_today],
        open_tickets=[TicketOut.model_validate(t) for t in resolution.open_tickets],
        acting=ActingOut.model_validate(resolution.acting) if resolution.acting else None,
    )
