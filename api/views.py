"""Domain results shaped into API answers."""

from __future__ import annotations

from api.licence_schemas import LicenceViewOut
from api.schemas import ClaimsOut, EntityOut, IssuedCodeOut, VerifyOut
from codeid.codes.issue import IssuedCode
from codeid.codes.qr import qr_version
from credentials.resolve import ResolvedWithLicences


def issued_out(issued: IssuedCode) -> IssuedCodeOut:
    fields = {
        name: getattr(issued, name) for name in IssuedCodeOut.model_fields if name != "qr_version"
    }
    return IssuedCodeOut(**fields, qr_version=qr_version(issued.payload))


def verify_out(resolved: ResolvedWithLicences) -> VerifyOut:
    result = resolved.result
    claims = result.claims
    return VerifyOut(
        valid=result.ok,
        reason=result.reason,
        message=result.message,
        entity=EntityOut.model_validate(result.entity) if result.entity else None,
        claims=ClaimsOut.model_validate(claims, from_attributes=True) if claims else None,
        licences=[LicenceViewOut.model_validate(view) for view in resolved.licences],
    )
