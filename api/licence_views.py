"""Licence domain objects shaped into API answers."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from api.licence_schemas import LicenceOut
from credentials.licences import effective_status, licence_today
from credentials.models import Licence


def licence_out(licence: Licence, *, now: datetime) -> LicenceOut:
    out = LicenceOut.model_validate(licence)
    out.effective_status = effective_status(licence, today=licence_today(now))
    return out


def import_report_out(report: Any) -> dict[str, Any]:
    data: dict[str, Any] = dataclasses.asdict(report)
    return data
