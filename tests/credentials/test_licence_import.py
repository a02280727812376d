"""Bulk licence import: idempotent by (issuer, number), versions on change, all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from credentials.licence_import import LicenceImportReport, import_licences, read_licence_rows
from credentials.licence_verify import verify_licence
from credentials.licences import current_version, licence_history, revoke_licence
from credentials.models import Licence, LicenceEvent
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    HOLDER,
    ISSUER,
    NOW,
    OTHER_HOLDER,
    World,
    food_number,
    make_world,
)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def _row(n: int, **changes: Any) -> dict[str, Any]:
    return (
        {"type": "food-business", "holder": HOLDER, "number": food_number(n)}
        | {"fields": FOOD_FIELDS}
        | changes
    )


def _import(session: Session, world: World, rows: Iterable[dict[str, Any]]) -> LicenceImportReport:
    report = import_licences(
        session,
        list(enumerate(rows, start=1)),
        issuer=world.issuer,
        signer=world.signer,
        actor="bulk",
        now=NOW,
    )
    session.commit()
    return report


def _count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _counts(report: LicenceImportReport) -> tuple[int, int, int, int]:
    return (report.inserted, report.amended, report.unchanged, len(report.rejected))


def test_import_issues_new_numbers(session: Session, world: World) -> None:
    rows = [_row(1), _row(2, holder=OTHER_HOLDER, valid_until="2027-12-31"), _row(3)]
    report = _import(session, world, rows)
    assert report.applied and report.rows == 3
    assert _counts(report) == (3, 0, 0, 0)
    second = current_version(session, issuer_uscc=ISSUER, licence_number=food_number(2))
    assert second is not None and second.holder_uscc == OTHER_HOLDER
    assert second.valid_until == date(2027, 12, 31) and second.issuer_uscc == ISSUER
    assert verify_licence(session, second.jws, now=NOW).reason == "ok"


def test_reimport_is_idempotent(session: Session, world: World) -> None:
    rows = [_row(1), _row(2, issue_date="2026-01-05", valid_from="2026-01-05")]
    _import(session, world, rows)
    licences, events = _count(session, Licence), _count(session, LicenceEvent)
    report = _import(session, world, rows)
    assert _counts(report) == (0, 0, 2, 0) and report.applied
    assert (_count(session, Licence), _count(session, LicenceEvent)) == (licences, events)


def test_changed_rows_make_new_versions(session: Session, world: World) -> None:
    _import(
        session, world, [_row(1), _row(2), _row(3, fields=FOOD_FIELDS | {"online_business": True})]
    )
    report = _import(
        session,
        world,
        [
            _row(1, fields=FOOD_FIELDS | {"address": "杭州市上城区解放路9号"}),
            _row(2, valid_until="2028-06-30"),
            _row(3),  # online_business left out: the row is the complete field set
        ],
    )
    assert _counts(report) == (0, 3, 0, 0)
    first = current_version(session, issuer_uscc=ISSUER, licence_number=food_number(1))
    assert first is not None and first.version == 2
    assert first.fields["address"] == "杭州市上城区解放路9号"
    second = current_version(session, issuer_uscc=ISSUER, licence_number=food_number(2))
    assert second is not None and second.valid_until == date(2028, 6, 30)
    third = current_version(session, issuer_uscc=ISSUER, licence_number=food_number(3))
    assert third is not None and "online_business" not in third.fields
    history = licence_history(session, first.identifier)
    assert [e.action for e in history] == ["issued", "superseded", "amended"]
    assert history[-1].reason == "import line 1" and history[-1].actor == "bulk"
    # The same file again changes nothing more.
    again = _import(
        session,
        world,
        [
            _row(1, fields=FOOD_FIELDS | {"address": "杭州市上城区解放路9号"}),
            _row(2, valid_until="2028-06-30"),
            _row(3),
        ],
    )
    assert _counts(again) == (0, 0, 3, 0)


def test_rows_apply_in_order_within_a_file(session: Session, world: World) -> None:
    report = _import(
        session,
        world,
        [_row(1), _row(1), _row(1, fields=FOOD_FIELDS | {"business_items": "预包装食品销售"})],
    )
    assert _counts(report) == (1, 1, 1, 0)
    versions = session.exec(
        select(Licence.version, Licence.status).order_by(col(Licence.version))
    ).all()
    assert [tuple(v) for v in versions] == [(1, "superseded"), (2, "valid")]


def test_a_rejected_row_writes_nothing_and_every_problem_is_reported(
    session: Session, world: World
) -> None:
    _import(session, world, [_row(9)])
    before = _count(session, Licence)
    rows: list[tuple[int, dict[str, Any]]] = [
        (1, _row(1)),
        (2, {"__row_error__": "not valid JSON: Expecting value (column 1)"}),
        (3, _row(3, colour="red")),
        (4, _row(4, type="no-such-type")),
        (5, _row(5, fields={"operator_name": "x"})),
        (6, _row(6, holder="91350100M000100Y40")),
        (7, _row(9, holder=OTHER_HOLDER)),
        (8, _row(8, type="tobacco-retail", number="330106100123", fields={})),
        (9, _row(10, valid_from="2026-05-01", valid_until="2026-04-01")),
        (10, {"type": "food-business", "holder": HOLDER}),
        (11, _row(11)),
    ]
    report = import_licences(
        session, rows, issuer=world.issuer, signer=world.signer, actor="bulk", now=NOW
    )
    session.commit()
    assert not report.applied and report.rows == 11
    assert _counts(report) == (0, 0, 0, 9)
    assert [(r.line, r.code) for r in report.rejected] == [
        (2, "licence-import-row"),
        (3, "licence-import-row"),
        (4, "licence-type-unknown"),
        (5, "licence-fields-invalid"),
        (6, "entity-not-found"),
        (7, "licence-identity-changed"),
        (8, "issuer-not-trusted"),
        (9, "licence-dates-invalid"),
        (10, "licence-import-row"),
    ]
    assert report.rejected[0].message.startswith("not valid JSON")
    assert report.rejected[3].number == food_number(5)
    assert "colour" in report.rejected[1].message
    assert _count(session, Licence) == before


def test_a_revoked_licence_is_not_changed_by_import(session: Session, world: World) -> None:
    _import(session, world, [_row(1)])
    licence = current_version(session, issuer_uscc=ISSUER, licence_number=food_number(1))
    assert licence is not None
    revoke_licence(
        session, licence.identifier, issuer=world.issuer, reason="closed", actor="a", now=NOW
    )
    session.commit()
    assert _counts(_import(session, world, [_row(1)])) == (0, 0, 1, 0)
    report = _import(session, world, [_row(1, valid_until="2029-01-01")])
    assert [r.code for r in report.rejected] == ["licence-state"]


def test_import_is_per_issuer(session: Session, world: World) -> None:
    _import(session, world, [_row(1)])
    report = import_licences(
        session,
        [(1, _row(1))],
        issuer=world.other,
        signer=world.other_signer,
        actor="other",
        now=NOW,
    )
    assert _counts(report) == (1, 0, 0, 0)
    issuers = session.exec(select(Licence.issuer_uscc).order_by(col(Licence.issuer_uscc))).all()
    assert list(issuers) == sorted([ISSUER, world.other.uscc])


def test_read_licence_rows_from_a_json_lines_file(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "licences.jsonl"
    lines = [json.dumps(_row(1), ensure_ascii=False), "", "{not json", json.dumps(_row(2))]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    rows = list(read_licence_rows(path))
    assert [line for line, _ in rows] == [1, 3, 4]
    report = import_licences(
        session, rows, issuer=world.issuer, signer=world.signer, actor="bulk", now=NOW
    )
    assert [(r.line, r.code) for r in report.rejected] == [(3, "licence-import-row")]
    path.write_text("\n".join([lines[0], lines[3]]) + "\n", encoding="utf-8")
    report = import_licences(
        session,
        read_licence_rows(path),
        issuer=world.issuer,
        signer=world.signer,
        actor="bulk",
        now=NOW,
    )
    assert report.applied and _counts(report) == (2, 0, 0, 0)
