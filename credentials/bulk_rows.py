"""Rows of a bulk seed (no database): entities, licence counts, status slots, COPY text.

Entity ``i`` gets a distinct, valid USCC built from the counter (``bulk_uscc``), in divisions
the small demo data set never uses, so the two never collide. One entity in ten holds ten
licences; the others share the rest (``licence_counts``). Licences are numbered ``n`` round
by round (every holder's first licence, then every second one, ...), so one holder's
licences lie far apart in the table, as licences issued over years would. Licence ``n`` with
``n % 100 == 2`` was amended once, so both its versions are rows: row ``p`` (counting those
superseded versions, ``row_position``) takes the ``p``-th status slot after the seed's first
one (``SlotPlan``). The signed licence rows themselves are made in
``credentials.bulk_signing``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from codeid.uscc import organisation_check_char, uscc_check_char

DIVISIONS = ["440305", "440303", "110105", "310115", "330106", "510107", "420106", "350203"]
ENTITY_COLUMNS = (
    "uscc",
    "name",
    "entity_type",
    "legal_representative",
    "registered_address",
    "registration_authority",
    "date_established",
    "status",
    "check_override",
    "created_at",
    "updated_at",
)
LICENCE_COLUMNS = (
    "identifier",
    "type_code",
    "holder_uscc",
    "issuer_uscc",
    "licence_number",
    "serial",
    "version",
    "fields",
    "issue_date",
    "valid_from",
    "valid_until",
    "status",
    "previous_identifier",
    "status_list",
    "status_index",
    "jws",
    "row_version",
    "created_at",
    "updated_at",
)
_PLACE = "广东省广州市天河区天河路385号"
# One realistic field set per type (every required field); NAME_FIELD gets the holder's name.
FIELDS: dict[str, dict[str, Any]] = {
    "business-licence": {"name": "", "entity_type": "有限责任公司（自然人投资或控股）", "legal_representative": "陈志明", "registered_capital": 500.0, "date_established": "2016-05-12", "business_scope": "软件开发；信息技术咨询服务；计算机系统服务", "address": _PLACE, "registration_authority": "广州市天河区市场监督管理局"},  # noqa: E501
    "food-business": {"operator_name": "", "legal_representative": "陈志明", "address": _PLACE, "business_premises": _PLACE, "main_business_form": "餐饮服务经营者", "business_items": "热食类食品制售；冷食类食品制售", "complaint_hotline": "12315"},  # noqa: E501
    "food-production": {"producer_name": "", "legal_representative": "陈志明", "address": _PLACE, "production_address": "广东省广州市白云区太和镇工业园8号", "food_category": "糕点；饮料"},  # noqa: E501
    "drug-business": {"enterprise_name": "", "legal_representative": "陈志明", "enterprise_principal": "陈志明", "quality_principal": "李丽华", "registered_address": _PLACE, "business_mode": "零售", "business_scope": "中成药、化学药制剂、抗生素制剂、生化药品、生物制品"},  # noqa: E501
    "medical-device-filing": {"enterprise_name": "", "legal_representative": "陈志明", "enterprise_principal": "陈志明", "address": _PLACE, "business_premises": _PLACE, "business_mode": "零售", "business_scope": "第二类医疗器械（不含体外诊断试剂）", "filing_date": "2021-03-08"},  # noqa: E501
    "special-equipment-use": {"user_name": "", "equipment_category": "电梯", "equipment_variety": "曳引驱动乘客电梯", "equipment_code": "31104401062019050123", "installation_address": _PLACE},  # noqa: E501
    "road-transport": {"operator_name": "", "principal": "陈志明", "address": _PLACE, "business_scope": "道路普通货物运输", "vehicle_count": 12},  # noqa: E501
    "tobacco-retail": {"enterprise_name": "", "principal": "陈志明", "business_premises": _PLACE, "permitted_scope": "卷烟零售、雪茄烟零售", "supply_unit": "广东省烟草公司广州市公司"},  # noqa: E501
    "taxpayer-qualification": {"taxpayer_name": "", "qualification": "增值税一般纳税人", "effective_date": "2019-01-01", "registration_date": "2016-05-20", "tax_authority": "国家税务总局广州市天河区税务局"},  # noqa: E501
}  # fmt: skip
NAME_FIELD = {code: next(iter(fields)) for code, fields in FIELDS.items()}


def bulk_uscc(i: int) -> str:
    """The USCC of bulk entity ``i`` (valid check characters; up to 10**8 entities)."""
    body = f"{i:08d}"
    first17 = "91" + DIVISIONS[i % len(DIVISIONS)] + body + organisation_check_char(body)
    return first17 + uscc_check_char(first17)


def bulk_name(i: int) -> str:
    return f"广州宏达{i}科技有限公司"


def licence_counts(entities: int, per_entity: float) -> list[int]:
    """Licences held by each entity, ``round(entities * per_entity)`` in all: entity i holds
    ten when ``i % 10 == 0`` (fewer if there are not that many), the others share the rest."""
    total = round(entities * per_entity)
    tenners = (entities + 9) // 10
    tens = min(10, total // tenners) if tenners else 0
    others = entities - tenners
    base, extra = divmod(total - tens * tenners, others) if others else (0, 0)
    counts, rank = [], 0
    for i in range(entities):
        if i % 10 == 0:
            counts.append(tens)
        else:
            counts.append(base + (1 if rank < extra else 0))
            rank += 1
    return counts


def entity_rows(first: int, count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Rows of bulk entities ``first`` .. ``first + count - 1`` (ENTITY_COLUMNS order)."""
    for i in range(first, first + count):
        yield (
            bulk_uscc(i),
            bulk_name(i),
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


def row_position(n: int) -> int:
    """Where licence ``n``'s first row falls, counting the superseded versions before it."""
    return n + (n + 97) // 100


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """Status slots of a seed: row p takes the p-th slot from (first_list, first_index)."""

    first_list: int
    first_index: int
    first_size: int  # capacity of the first list
    list_size: int  # capacity of every list the seed opens

    def slot(self, position: int) -> tuple[str, int]:
        left = self.first_size - self.first_index
        if position < left:
            return str(self.first_list), self.first_index + position
        later = position - left
        return str(self.first_list + 1 + later // self.list_size), later % self.list_size

    def lists(self, rows: int) -> list[tuple[str, int, int]]:
        """(list id, size, next_index) of every list the seed's ``rows`` rows touch."""
        if rows <= 0:
            return []
        last_list, last_index = self.slot(rows - 1)
        result = []
        for number in range(self.first_list, int(last_list) + 1):
            size = self.first_size if number == self.first_list else self.list_size
            used = last_index + 1 if number == int(last_list) else size
            result.append((str(number), size, used))
        return result


@dataclass(frozen=True, slots=True)
class Chunk:
    """Holders ``first`` .. ``end - 1`` in one round; their licences are ``n0``, ``n0 + 1``..."""

    round: int
    first: int
    end: int
    n0: int


def plan_chunks(counts: Sequence[int], *, size: int = 5000) -> Iterator[Chunk]:
    """The licences in row order, cut into chunks of about ``size`` licences."""
    n = 0
    for round_ in range(max(counts, default=0)):
        first = held = 0
        for i, count in enumerate(counts):
            held += count > round_
            if held == size or (i == len(counts) - 1 and held):
                yield Chunk(round_, first, i + 1, n)
                n, first, held = n + held, i + 1, 0


def copy_text(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """Rows in PostgreSQL's COPY text format (what psycopg's write_row would send)."""
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows).encode()


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_ISO: dict[date, str] = {}  # a seed's dates repeat: format each once


def _escaped(text: str) -> str:
    # Four scans for one character each are far faster than one regex or translate.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _escaped(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is dict:
        return _escaped(json.dumps(value, ensure_ascii=False))
    if kind is date or kind is datetime:  # datetimes with their offset
        text = _ISO.get(value)
        if text is None:
            text = _ISO[value] = value.isoformat()
        return text
    return _escaped(str(value))
