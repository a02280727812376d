"""Fast seeding of a PostgreSQL database with entities and licences, by COPY.

Entities get distinct, valid USCCs built from a counter. One entity in ten holds 10
licences; the others share the rest of ``entities * per_entity`` licences. Licences are
written round by round (every holder's first licence, then every second one, ...), so one
holder's licences lie far apart in the table, as licences issued over years would.

Every licence row carries a real JWS, signed by its issuer over realistic claims, but one
per licence type, reused for every row of that type: signing 3,000,000 would time the
signer, not the database. Identifiers, numbers, serials, dates and status slots are
distinct per row. Status mix: 1% revoked, 1% suspended, 1% superseded, the rest valid.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from codeid.keys.keyring import Signer
from codeid.uscc import organisation_check_char, uscc_check_char
from credentials.catalogue import default_catalogue
from credentials.identifier import make_identifier
from credentials.issuers import issuer_keyring, register_issuer
from credentials.licence_jws import licence_claims, sign_licence_claims
from credentials.models import Licence
from credentials.status_list import DEFAULT_LIST_SIZE

MASTER = bytes(range(1, 33))
DIVISIONS = ["440106", "440305", "110105", "310115", "330106", "510107", "420106", "350203"]
ENTITY_COLUMNS = (
    "uscc, name, entity_type, legal_representative, registered_address, "
    "registration_authority, date_established, status, check_override, created_at, updated_at"
)
LICENCE_COLUMNS = (
    "identifier, type_code, holder_uscc, issuer_uscc, licence_number, serial, version, fields, "
    "issue_date, valid_from, valid_until, status, status_list, status_index, jws, row_version, "
    "created_at, updated_at"
)


def government_uscc(division: str, body: str) -> str:
    """A valid USCC of a government body (registration authority 1, category 1)."""
    first17 = "11" + division + body + organisation_check_char(body)
    return first17 + uscc_check_char(first17)


# authority kind -> the department's USCC and name
ISSUERS = {
    "market-regulation": (government_uscc("440100", "MB2C9312"), "广州市市场监督管理局"),
    "drug-administration": (government_uscc("440000", "MB2C9313"), "广东省药品监督管理局"),
    "transport": (government_uscc("440100", "MB2C9314"), "广州市交通运输局"),
    "tobacco-monopoly": (government_uscc("440100", "MB2C9315"), "广州市烟草专卖局"),
    "taxation": (government_uscc("440100", "MB2C9316"), "国家税务总局广州市税务局"),
}
# One realistic field set per type: every required field, Chinese values as issued.
_PLACE = "广东省广州市天河区天河路385号"
FIELDS: dict[str, dict[str, Any]] = {
    "business-licence": {"name": "广州宏达科技有限公司", "entity_type": "有限责任公司（自然人投资或控股）", "legal_representative": "陈志明", "registered_capital": 500.0, "date_established": "2016-05-12", "business_scope": "软件开发；信息技术咨询服务；计算机系统服务", "address": _PLACE, "registration_authority": "广州市天河区市场监督管理局"},  # noqa: E501
    "food-business": {"operator_name": "广州宏达科技有限公司", "legal_representative": "陈志明", "address": _PLACE, "business_premises": _PLACE, "main_business_form": "餐饮服务经营者", "business_items": "热食类食品制售；冷食类食品制售", "complaint_hotline": "12315"},  # noqa: E501
    "food-production": {"producer_name": "广州宏达食品有限公司", "legal_representative": "陈志明", "address": _PLACE, "production_address": "广东省广州市白云区太和镇工业园8号", "food_category": "糕点；饮料"},  # noqa: E501
    "drug-business": {"enterprise_name": "广州宏达大药房有限公司", "legal_representative": "陈志明", "enterprise_principal": "陈志明", "quality_principal": "李丽华", "registered_address": _PLACE, "business_mode": "零售", "business_scope": "中成药、化学药制剂、抗生素制剂、生化药品、生物制品"},  # noqa: E501
    "medical-device-filing": {"enterprise_name": "广州宏达大药房有限公司", "legal_representative": "陈志明", "enterprise_principal": "陈志明", "address": _PLACE, "business_premises": _PLACE, "business_mode": "零售", "business_scope": "第二类医疗器械（不含体外诊断试剂）", "filing_date": "2021-03-08"},  # noqa: E501
    "special-equipment-use": {"user_name": "广州宏达科技有限公司", "equipment_category": "电梯", "equipment_variety": "曳引驱动乘客电梯", "equipment_code": "31104401062019050123", "installation_address": _PLACE},  # noqa: E501
    "road-transport": {"operator_name": "广州宏达物流有限公司", "principal": "陈志明", "address": _PLACE, "business_scope": "道路普通货物运输", "vehicle_count": 12},  # noqa: E501
    "tobacco-retail": {"enterprise_name": "天河区陈记便利店", "principal": "陈志明", "business_premises": _PLACE, "permitted_scope": "卷烟零售、雪茄烟零售", "supply_unit": "广东省烟草公司广州市公司"},  # noqa: E501
    "taxpayer-qualification": {"taxpayer_name": "广州宏达科技有限公司", "qualification": "增值税一般纳税人", "effective_date": "2019-01-01", "registration_date": "2016-05-20", "tax_authority": "国家税务总局广州市天河区税务局"},  # noqa: E501
}  # fmt: skip


def uscc_for(i: int) -> str:
    body = f"{i:08d}"
    first17 = "91" + DIVISIONS[i % len(DIVISIONS)] + body + organisation_check_char(body)
    return first17 + uscc_check_char(first17)


def licence_counts(entities: int, per_entity: float) -> list[int]:
    """Entity i holds 10 licences when i % 10 == 0; the others share the rest evenly."""
    tenners = (entities + 9) // 10
    others = entities - tenners
    rest = max(0, round(entities * per_entity) - 10 * tenners)
    base, extra = divmod(rest, others) if others else (0, 0)
    counts, rank = [], 0
    for i in range(entities):
        if i % 10 == 0:
            counts.append(10)
        else:
            counts.append(base + (1 if rank % others < extra else 0))
            rank += 1
    return counts


@dataclass(frozen=True)
class SeedReport:
    entities: int
    licences: int
    lists: int
    seconds: dict[str, float]


def register_issuers(session: Session, now: datetime) -> dict[str, Signer]:
    """The five departments, registered for real (key rings); kind -> signer."""
    signers = {}
    for kind, (uscc, name) in ISSUERS.items():
        issuer = register_issuer(
            session,
            uscc=uscc,
            name=name,
            authority_kind=kind,
            master_secret=MASTER,
            actor="bench",
            now=now,
        )
        signers[kind] = issuer_keyring(session, issuer, master_secret=MASTER).active_signer()
    session.commit()
    return signers


def presigned_jws(signers: dict[str, Signer], now: datetime) -> dict[str, str]:
    """One genuinely signed JWS per licence type (see the module doc)."""
    tokens = {}
    for ltype in default_catalogue().types():
        uscc, name = ISSUERS[ltype.authority_kind]
        licence = Licence(
            identifier=make_identifier(
                type_code=ltype.id_type_code, issuer_code=uscc, serial="2025010100000001", version=1
            ),
            type_code=ltype.code,
            holder_uscc=uscc_for(0),
            issuer_uscc=uscc,
            licence_number="SAMPLE",
            serial="2025010100000001",
            fields=FIELDS[ltype.code],
            issue_date=date(2025, 1, 1),
            valid_from=date(2025, 1, 1),
            valid_until=date(2029, 12, 31),
            status_list="1",
            status_index=0,
            jws="",
            created_at=now,
            updated_at=now,
        )
        claims = licence_claims(licence, issuer_name=name, now=now)
        tokens[ltype.code] = sign_licence_claims(claims, signers[ltype.authority_kind])
    return tokens


def _entity_rows(entities: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    for i in range(entities):
        yield (
            uscc_for(i),
            f"广州宏达{i}科技有限公司",
            "company",
            "陈志明",
            f"广东省广州市天河区天河路{i % 999 + 1}号",
            "广州市天河区市场监督管理局",
            date(2000, 1, 1) + timedelta(days=i % 9000),
            "active",
            False,
            now,
            now,
        )


def _licence_rows(
    counts: list[int], jws: dict[str, str], now: datetime
) -> Iterator[tuple[Any, ...]]:
    types = default_catalogue().types()
    fields = {code: json.dumps(value, ensure_ascii=False) for code, value in FIELDS.items()}
    statuses = {0: "revoked", 1: "suspended", 2: "superseded"}
    usccs = [uscc_for(i) for i in range(len(counts))]
    n = 0
    for round_ in range(max(counts)):
        for i, count in enumerate(counts):
            if count <= round_:
                continue
            ltype = types[(i + round_) % len(types)]
            issuer_uscc = ISSUERS[ltype.authority_kind][0]
            serial = f"{2015 + round_:04d}{n:012d}"
            issued = date(2015, 1, 1) + timedelta(days=n % 4000)
            yield (
                make_identifier(
                    type_code=ltype.id_type_code, issuer_code=issuer_uscc, serial=serial, version=1
                ),
                ltype.code,
                usccs[i],
                issuer_uscc,
                f"B{n:015d}",
                serial,
                1,
                fields[ltype.code],
                issued,
                issued,
                issued + timedelta(days=1826) if ltype.default_validity_days else None,
                statuses.get(n % 100, "valid"),
                str(n // DEFAULT_LIST_SIZE + 1),
                n % DEFAULT_LIST_SIZE,
                jws[ltype.code],
                1,
                now,
                now,
            )
            n += 1


def _copy(engine: Engine, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> int:
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        written = 0
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        driver.commit()
        return written
    finally:
        raw.close()


@contextmanager
def _indexes_built_after(engine: Engine, table: str, seconds: dict[str, float]) -> Iterator[None]:
    """Drop the table's unique constraints and secondary indexes, rebuild them afterwards:
    building an index by sorting is far faster than maintaining it row by row."""
    with engine.begin() as conn:
        params = {"t": table}
        constraints = conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype = 'u'"
            ),
            params,
        ).all()
        indexes = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t AND indexname "
                "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass))"
            ),
            params,
        ).all()
        for name, _ in constraints:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for name, definition in constraints:
            conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for _, definition in indexes:
            conn.execute(text(definition))
    seconds[f"{table} indexes rebuilt"] = time.perf_counter() - started


def seed(engine: Engine, *, entities: int, per_entity: float, now: datetime) -> SeedReport:
    """Issuers (real), entities and licences (COPY), full status lists, then ANALYZE."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        signers = register_issuers(session, now)
    jws = presigned_jws(signers, now)
    seconds["issuers"] = time.perf_counter() - started

    started = time.perf_counter()
    entity_count = _copy(engine, "entity", ENTITY_COLUMNS, _entity_rows(entities, now))
    seconds["entities COPY"] = time.perf_counter() - started

    started = time.perf_counter()
    counts = licence_counts(entities, per_entity)
    with _indexes_built_after(engine, "licence", seconds):
        licence_count = _copy(engine, "licence", LICENCE_COLUMNS, _licence_rows(counts, jws, now))
        seconds["licences COPY"] = time.perf_counter() - started

    lists = (licence_count + DEFAULT_LIST_SIZE - 1) // DEFAULT_LIST_SIZE
    started = time.perf_counter()
    with engine.begin() as conn:
        for number in range(1, lists + 1):
            used = min(DEFAULT_LIST_SIZE, licence_count - (number - 1) * DEFAULT_LIST_SIZE)
            conn.execute(
                text(
                    "INSERT INTO status_list (id, bits, size, next_index, created_at) "
                    "VALUES (:id, 2, :size, :used, :now)"
                ),
                {"id": str(number), "size": DEFAULT_LIST_SIZE, "used": used, "now": now},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    seconds["status lists + ANALYZE"] = time.perf_counter() - started
    return SeedReport(entity_count, licence_count, lists, seconds)


def sample_holders(entities: int, count: int, rng: random.Random) -> list[str]:
    """USCCs of random entities holding 10 licences."""
    return [uscc_for(i) for i in rng.sample(range(0, entities, 10), count)]


def bench_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
