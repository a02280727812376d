"""Bulk import from CSV and JSON Lines on SQLite and PostgreSQL: idempotent upserts,
all-or-nothing batches, rejected rows reported with their line numbers."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.entities.data import ENTITY_FIELDS
from codeid.entities.errors import ImportFormatError
from codeid.entities.importer import ImportReport, import_entities
from codeid.entities.models import Entity, EntityEvent, EntityStatus
from codeid.entities.readers import read_entity_rows, read_entity_stream
from codeid.entities.service import (
    EntityData,
    add_entity,
    count_entities,
    deregister_entity,
    get_entity,
    set_entity_status,
)
from codeid.uscc import random_uscc

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
HEADER = list(ENTITY_FIELDS)


def rows_for(count: int, *, seed: int = 1, suffix: str = "") -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "uscc": random_uscc(rng),
            "name": f"广州测试{i:04d}贸易有限公司{suffix}",
            "entity_type": "company",
            "legal_representative": "陈志明",
            "registered_address": f"广州市天河区天河路{i}号{suffix}",
            "registration_authority": "广州市天河区市场监督管理局",
            "date_established": "2015-06-01",
        }
        for i in range(count)
    ]


def write_csv(path: Path, rows: Iterable[dict[str, str]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def run(session: Session, path: Path, **options: Any) -> ImportReport:
    return import_entities(session, read_entity_rows(path), actor="importer", now=NOW, **options)


def names(session: Session) -> dict[str, str]:
    return {e.uscc: e.name for e in session.exec(select(Entity)).all()}


def import_events(session: Session) -> list[EntityEvent]:
    statement = select(EntityEvent).where(EntityEvent.action == "imported")
    return list(session.exec(statement.order_by(col(EntityEvent.id))).all())


def test_csv_import(session: Session, tmp_path: Path) -> None:
    rows = rows_for(5)
    report = run(session, write_csv(tmp_path / "entities.csv", rows))
    session.commit()
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert (report.batches_applied, report.batches_rejected, report.rejected) == (1, 0, [])
    assert report.seconds > 0
    entity = get_entity(session, rows[3]["uscc"])
    assert entity.name == "广州测试0003贸易有限公司"
    assert entity.date_established == date(2015, 6, 1)
    assert entity.status == EntityStatus.ACTIVE and not entity.check_override
    assert entity.created_at == NOW == entity.updated_at
    [event] = import_events(session)
    assert (event.uscc, event.actor, event.at) == ("", "importer", NOW)
    assert event.detail == {
        "batch": 1,
        "first_line": 2,
        "last_line": 6,
        "inserted": 5,
        "updated": 0,
        "unchanged": 0,
    }


@pytest.mark.parametrize("filename", ["entities.jsonl", "entities.ndjson", "entities.txt"])
def test_jsonl_import(session: Session, tmp_path: Path, filename: str) -> None:
    rows: list[dict[str, Any]] = rows_for(3)
    rows[1] = {"uscc": rows[1]["uscc"], "name": "最少字段", "entity_type": "sole_trader"}
    rows[2]["date_established"] = None
    report = run(session, write_jsonl(tmp_path / filename, rows))
    assert (report.inserted, report.rejected) == (3, [])
    minimal = get_entity(session, rows[1]["uscc"])
    assert (minimal.entity_type, minimal.legal_representative, minimal.date_established) == (
        "sole_trader",
        "",
        None,
    )
    assert get_entity(session, rows[2]["uscc"]).date_established is None


def test_csv_format_is_sniffed_without_extension(session: Session, tmp_path: Path) -> None:
    report = run(session, write_csv(tmp_path / "export.dat", rows_for(2)))
    assert report.inserted == 2


def test_reimport_is_idempotent_and_updates(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", rows_for(6))
    first = run(session, path)
    session.commit()
    again = run(session, path)
    session.commit()
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    assert count_entities(session) == 6
    # Unchanged rows are not rewritten.
    assert {e.updated_at for e in session.exec(select(Entity)).all()} == {NOW}
    changed = rows_for(6, suffix="（新）")
    report = import_entities(
        session, read_entity_rows(write_csv(tmp_path / "b.csv", changed)), actor="i", now=LATER
    )
    session.commit()
    assert (first.inserted, report.inserted, report.updated, report.unchanged) == (6, 0, 6, 0)
    assert count_entities(session) == 6
    entity = get_entity(session, changed[0]["uscc"])
    assert entity.name.endswith("（新）") and entity.registered_address.endswith("（新）")
    assert (entity.created_at, entity.updated_at) == (NOW, LATER)


@pytest.mark.parametrize("chunk_size", [2, 100])
def test_last_row_for_a_uscc_wins(session: Session, tmp_path: Path, chunk_size: int) -> None:
    rows = rows_for(3)
    rows += [dict(rows[0], name="第二次"), dict(rows[1]), dict(rows[0], name="第三次")]
    report = run(session, write_csv(tmp_path / "dups.csv", rows), chunk_size=chunk_size)
    assert count_entities(session) == 3
    assert get_entity(session, rows[0]["uscc"]).name == "第三次"
    # Rows apply in order: 3 inserts, then two changes of rows[0] and one repeat of rows[1].
    assert (report.inserted, report.updated, report.unchanged) == (3, 2, 1)


def test_a_bad_row_rejects_the_whole_batch(session: Session, tmp_path: Path) -> None:
    add_entity(
        session, data=EntityData(TENCENT, "腾讯科技（深圳）有限公司", "company"), actor="c", now=NOW
    )
    session.commit()
    rows = rows_for(7)
    rows[2]["uscc"] = rows[2]["uscc"][:17] + ("0" if rows[2]["uscc"][17] != "0" else "1")
    rows[5]["entity_type"] = "bank"
    rows.append({**rows[0], "uscc": TENCENT, "name": "改名"})  # a valid update, not applied
    report = run(session, write_csv(tmp_path / "bad.csv", rows), chunk_size=3)
    session.commit()
    assert (report.rows, report.inserted, report.updated) == (8, 0, 0)
    assert (report.batches_applied, report.batches_rejected) == (0, 1)
    assert [(r.line, r.uscc, r.code) for r in report.rejected] == [
        (4, rows[2]["uscc"], "uscc-check"),
        (7, rows[5]["uscc"], "entity-type"),
    ]
    assert "check character is" in report.rejected[0].message
    assert "'bank' is not one of" in report.rejected[1].message
    assert names(session) == {TENCENT: "腾讯科技（深圳）有限公司"}
    assert import_events(session) == []


def test_written_chunks_are_undone_but_callers_work_survives(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    add_entity(session, data=EntityData(TENCENT, "腾讯", "company"), actor="c", now=NOW)
    rows = rows_for(6)
    rows[5]["date_established"] = "2015/06/01"  # line 7, in the third chunk of two
    report = run(session, write_csv(tmp_path / "late.csv", rows), chunk_size=2)
    assert [(r.line, r.code) for r in report.rejected] == [(7, "entity-date")]
    assert "not a date in the form YYYY-MM-DD" in report.rejected[0].message
    session.commit()
    with Session(engine) as other:
        assert names(other) == {TENCENT: "腾讯"}  # two chunks were written, then undone


def test_batches_commit_independently(session: Session, engine: Engine, tmp_path: Path) -> None:
    rows = rows_for(7)
    rows[3]["name"] = ""  # line 5, in the second batch of three
    progress: list[int] = []
    report = run(
        session,
        write_csv(tmp_path / "batches.csv", rows),
        batch_size=3,
        chunk_size=2,
        on_progress=progress.append,
    )
    assert (report.batches_applied, report.batches_rejected) == (2, 1)
    assert (report.inserted, report.rows) == (4, 7)
    [rejected] = report.rejected
    assert (rejected.line, rejected.code, rejected.message) == (
        5,
        "entity-field",
        "name must not be empty",
    )
    assert progress == [2, 3, 5, 6, 7]
    with Session(engine) as other:  # committed by the importer
        stored = set(names(other))
        events = import_events(other)
    assert stored == {rows[i]["uscc"] for i in (0, 1, 2, 6)}
    assert [(e.detail["batch"], e.detail["first_line"], e.detail["last_line"]) for e in events] == [
        (1, 2, 4),
        (3, 8, 8),
    ]


def test_single_batch_is_left_to_the_caller(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    report = run(session, write_csv(tmp_path / "a.csv", rows_for(4)))
    assert report.inserted == 4
    session.rollback()
    with Session(engine) as other:
        assert count_entities(other) == 0
        assert import_events(other) == []


def test_no_check_override_in_bulk(session: Session, tmp_path: Path) -> None:
    pilot = HUAWEI[:17] + "7"
    add_entity(
        session, data=EntityData(pilot, "华为", "company"), actor="s", now=NOW, override_check=True
    )
    report = run(
        session,
        write_jsonl(tmp_path / "o.jsonl", [{"uscc": pilot, "name": "X", "entity_type": "company"}]),
    )
    assert [(r.line, r.code) for r in report.rejected] == [(1, "uscc-check")]
    assert get_entity(session, pilot).name == "华为"


def test_deregistered_entities_are_not_changed(session: Session, tmp_path: Path) -> None:
    add_entity(session, data=EntityData(HUAWEI, "华为技术有限公司", "company"), actor="c", now=NOW)
    deregister_entity(session, HUAWEI, reason="注销", actor="c", now=NOW)
    rows = [{"uscc": HUAWEI, "name": "复活", "entity_type": "company"}, *rows_for(2)]
    report = run(session, write_jsonl(tmp_path / "d.jsonl", rows))
    assert [(r.line, r.uscc, r.code) for r in report.rejected] == [
        (1, HUAWEI, "entity-deregistered")
    ]
    assert count_entities(session) == 1


def test_import_keeps_status(session: Session, tmp_path: Path) -> None:
    add_entity(session, data=EntityData(HUAWEI, "华为", "company"), actor="c", now=NOW)
    set_entity_status(
        session, HUAWEI, status=EntityStatus.SUSPENDED, reason="r", actor="c", now=NOW
    )
    report = run(
        session,
        write_jsonl(
            tmp_path / "s.jsonl",
            [{"uscc": HUAWEI, "name": "华为技术有限公司", "entity_type": "company"}],
        ),
    )
    assert report.updated == 1
    entity = get_entity(session, HUAWEI)
    assert (entity.name, entity.status) == ("华为技术有限公司", "suspended")


def test_bom_and_whitespace(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(
        "\ufeff USCC , Name ,entity_type,date_established\r\n"
        f"  {TENCENT.lower()} ,  腾讯科技（深圳）有限公司  , Company , 1998-11-11 \r\n"
        "\r\n"
        f'{HUAWEI},"华为技术\n有限公司",company,\r\n',
        encoding="utf-8",
    )
    report = run(session, path)
    assert (report.inserted, report.rejected) == (2, [])
    entity = get_entity(session, TENCENT)
    assert (entity.uscc, entity.name, entity.entity_type) == (
        TENCENT,
        "腾讯科技（深圳）有限公司",
        "company",
    )
    assert entity.date_established == date(1998, 11, 11)
    assert get_entity(session, HUAWEI).name == "华为技术\n有限公司"


def test_malformed_lines_are_reported_with_line_numbers(session: Session) -> None:
    good = rows_for(2)
    text = (
        "uscc,name,entity_type\n"
        f"{good[0]['uscc']},A,company\n"
        f"{good[1]['uscc']},B,company,extra\n"
        "\n"
        ",Nameless,company\n"
    )
    report = import_entities(
        session, read_entity_stream(io.StringIO(text), "csv"), actor="i", now=NOW
    )
    assert [(r.line, r.uscc, r.code) for r in report.rejected] == [
        (3, good[1]["uscc"], "import-row"),
        (5, None, "uscc-length"),
    ]
    assert report.rejected[0].message == "row has 4 fields, the header has 3"
    lines = [
        "\ufeff" + json.dumps({"uscc": good[0]["uscc"], "name": "A", "entity_type": "company"}),
        "",
        '{"uscc": ',
        "[1, 2]",
        '{"uscc": 914403001922038216}',
    ]
    jsonl = "\n".join(lines) + "\n"
    report = import_entities(
        session, read_entity_stream(io.StringIO(jsonl), "jsonl"), actor="i", now=NOW
    )
    assert [(r.line, r.code) for r in report.rejected] == [
        (3, "import-row"),
        (4, "import-row"),
        (5, "entity-field"),
    ]
    assert report.rejected[0].message.startswith("not valid JSON")
    assert report.rejected[1].message == "expected a JSON object, got list"
    assert report.rejected[2].message == "uscc must be a string, got int"
    assert count_entities(session) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("uscc,name,entity_type,colour\n", "unknown CSV column(s): 'colour'"),
        ("uscc,name\n", "lacks column(s): entity_type"),
        ("uscc,name,entity_type,name\n", "repeats column(s): name"),
    ],
)
def test_unreadable_csv_header(
    session: Session, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(
        ImportFormatError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as info:
        run(session, path)
    assert info.value.code == "import-format"


def test_not_utf8(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        b"uscc,name,entity_type\n" + f"{HUAWEI},华为技术有限公司,company\n".encode("gbk")
    )
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        run(session, path)
    with pytest.raises(ImportFormatError, match="unknown import format"):
        list(read_entity_stream(io.StringIO(""), "xlsx"))
