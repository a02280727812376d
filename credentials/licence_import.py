"""Bulk import of one department's licences from JSON Lines, idempotent by licence number.

One object per line::

    {"type": "food-business", "holder": "<USCC>", "number": "JY13301060012345",
     "fields": {...}, "issue_date": "2026-03-01", "valid_from": "2026-03-01",
     "valid_until": "2031-02-28"}

``type``, ``holder`` and ``number`` are required, ``fields`` is the licence's complete field
set (``{}`` when omitted), the dates are optional (defaults as for issue_licence). Other keys
are refused. The issuer is the importing department, never a column of the file.

Semantics
- Idempotent by (issuer, licence number): a number not issued yet is issued; a number whose
  current version has the same fields and the same stated dates is ``unchanged``; any other
  difference amends it (a new version, the previous one superseded). Re-importing a file
  therefore writes nothing. Rows apply in file order, so a later row for the same number
  sees the earlier one. A date left out of a row is not compared.
- A row may not move a licence to another holder or type (``licence-identity-changed``),
  nor change a revoked or suspended licence (``licence-state``).
- All-or-nothing per file, like the entity import: if any row is rejected, nothing is
  written (one SAVEPOINT); the report lists every rejected row with its line, reason code
  and message. After the first rejection, later rows are still validated (shape, type,
  number, fields, dates, holder, trust) but no longer written. Counts are of applied rows.
- The importer only flushes; the caller commits. If another writer changes one of the same
  licences meanwhile, ConcurrentChange propagates and the caller rolls back and may retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from codeid.entities.readers import ROW_ERROR_KEY, read_entity_stream
from codeid.errors import CodeidError
from codeid.keys.keyring import Signer
from credentials.catalogue import Catalogue, LicenceType, default_catalogue
from credentials.errors import ConcurrentChange, LicenceIdentityChanged, MalformedLicenceRow
from credentials.licence_records import Content, licensable_holder, parse_licence_date
from credentials.licences import DATE_KEYS, amend_licence, current_version, issue_licence
from credentials.models import Issuer, Licence
from credentials.trust import require_trusted

ROW_KEYS = frozenset({"type", "holder", "number", "fields", *DATE_KEYS})
REQUIRED_KEYS = ("type", "holder", "number")


@dataclass(frozen=True, slots=True)
class RejectedLicenceRow:
    line: int
    number: str | None
    code: str
    message: str


@dataclass(slots=True)
class LicenceImportReport:
    rows: int = 0
    inserted: int = 0
    amended: int = 0
    unchanged: int = 0
    rejected: list[RejectedLicenceRow] = field(default_factory=list)
    applied: bool = False


@dataclass(frozen=True, slots=True)
class _Row:
    ltype: LicenceType
    holder: str
    number: str
    fields: dict[str, Any]
    dates: dict[str, date | None]  # only the dates the row states
    current: Licence | None  # the latest version of this number, if issued already


def read_licence_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Numbered rows of a UTF-8 JSON Lines file; a line that is no object carries its error."""
    with path.open(encoding="utf-8-sig") as stream:
        yield from read_entity_stream(stream, "jsonl")


def import_licences(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    issuer: Issuer,
    signer: Signer,
    actor: str,
    now: datetime,
    catalogue: Catalogue | None = None,
    status_base_url: str = "",
) -> LicenceImportReport:
    """Import ``(line, row)`` pairs for ``issuer``; see the module doc."""
    cat = catalogue or default_catalogue()
    report = LicenceImportReport()
    counts = {"inserted": 0, "amended": 0, "unchanged": 0}
    savepoint = session.begin_nested()
    try:
        for line, raw in rows:
            report.rows += 1
            try:
                row = _prepare(session, raw, cat, issuer, now)
                if not report.rejected:
                    outcome = _apply(
                        session, row, line, issuer, signer, actor, now, cat, status_base_url
                    )
                    counts[outcome] += 1
            except ConcurrentChange:
                raise  # another writer raced this import: the session must be rolled back
            except CodeidError as error:
                number = raw.get("number") if isinstance(raw.get("number"), str) else None
                report.rejected.append(RejectedLicenceRow(line, number, error.code, error.message))
        if report.rejected:
            savepoint.rollback()
            return report
        savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    report.inserted, report.amended, report.unchanged = (
        counts["inserted"],
        counts["amended"],
        counts["unchanged"],
    )
    report.applied = True
    return report


def _prepare(
    session: Session, raw: Mapping[str, Any], cat: Catalogue, issuer: Issuer, now: datetime
) -> _Row:
    """Everything that can be checked without writing."""
    if ROW_ERROR_KEY in raw:
        raise MalformedLicenceRow(str(raw[ROW_ERROR_KEY]))
    unknown = sorted(set(raw) - ROW_KEYS)
    if unknown:
        raise MalformedLicenceRow(
            f"unknown keys {', '.join(unknown)}; a row has {', '.join(sorted(ROW_KEYS))}"
        )
    missing = [key for key in REQUIRED_KEYS if not isinstance(raw.get(key), str)]
    if missing:
        raise MalformedLicenceRow(f"{', '.join(missing)} must be given as text")
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise MalformedLicenceRow("fields must be a JSON object")
    ltype = cat.get(raw["type"])
    holder = licensable_holder(session, raw["holder"]).uscc
    require_trusted(session, issuer_uscc=issuer.uscc, licence_type=ltype.code, at=now)
    number = ltype.check_number(raw["number"])
    clean = ltype.check_fields(fields)
    dates = {name: parse_licence_date(name, raw[name]) for name in DATE_KEYS if name in raw}
    start, end = dates.get("valid_from"), dates.get("valid_until")
    if start is not None and end is not None:
        Content(clean, start, start, end).check_period()
    current = current_version(session, issuer_uscc=issuer.uscc, licence_number=number)
    row = _Row(ltype, holder, number, clean, dates, current)
    if current is not None:
        _check_identity(current, row)
    return row


def _apply(
    session: Session,
    row: _Row,
    line: int,
    issuer: Issuer,
    signer: Signer,
    actor: str,
    now: datetime,
    cat: Catalogue,
    status_base_url: str,
) -> str:
    current = row.current
    if current is None:
        issue_licence(
            session,
            issuer=issuer,
            licence_type=row.ltype.code,
            holder_uscc=row.holder,
            licence_number=row.number,
            fields=row.fields,
            issue_date=row.dates.get("issue_date"),
            valid_from=row.dates.get("valid_from"),
            valid_until=row.dates.get("valid_until"),
            signer=signer,
            actor=actor,
            now=now,
            catalogue=cat,
            status_base_url=status_base_url,
        )
        return "inserted"
    if _same(current, row):
        return "unchanged"
    # The row carries the complete field set: fields it leaves out are removed.
    changes: dict[str, Any] = dict.fromkeys(current.fields)
    changes |= row.fields
    changes |= row.dates
    amend_licence(
        session,
        current.identifier,
        issuer=issuer,
        changes=changes,
        reason=f"import line {line}",
        signer=signer,
        actor=actor,
        now=now,
        catalogue=cat,
        status_base_url=status_base_url,
    )
    return "amended"


def _check_identity(current: Licence, row: _Row) -> None:
    for what, stored, given in (
        ("holder", current.holder_uscc, row.holder),
        ("type", current.type_code, row.ltype.code),
    ):
        if stored != given:
            raise LicenceIdentityChanged(
                f"licence number {row.number} belongs to {what} {stored}, not {given}; "
                "revoke it and issue a new number instead",
                licence_number=row.number,
            )


def _same(current: Licence, row: _Row) -> bool:
    return current.fields == row.fields and all(
        getattr(current, name) == value for name, value in row.dates.items()
    )
