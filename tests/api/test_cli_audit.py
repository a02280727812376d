"""`codeid audit` as an operator runs it: verify the chain, find tampering, search."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, update

from codeid.audit.log import Access, record
from codeid.audit.models import AccessEvent
from tests.api.test_cli import Codeid, codeid  # noqa: F401 - the fixture, shared

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
TABLE = AccessEvent.__table__  # type: ignore[attr-defined]


def seed(engine: Engine) -> None:
    for i, (actor, uscc) in enumerate(
        [("user:1", HUAWEI), ("client:cid_bank", TENCENT), ("user:1", TENCENT), ("user:2", HUAWEI)]
    ):
        access = Access(
            actor_kind=actor.split(":")[0],
            actor=actor,
            action="entity.read",
            outcome="ok",
            subject_uscc=uscc,
            fields=("name", "uscc"),
        )
        record(engine, [access], now=NOW + timedelta(hours=i))


def test_verify_names_the_first_tampered_entry(codeid: Codeid, engine: Engine) -> None:  # noqa: F811
    seed(engine)
    intact = codeid("audit", "verify")
    assert json.loads(intact.stdout) == {
        "intact": True,
        "checked": 4,
        "first_broken_id": None,
        "reason": "",
    }

    with engine.begin() as conn:
        conn.execute(update(TABLE).where(TABLE.c.id == 3).values(outcome="forbidden"))
    broken = codeid("audit", "verify", ok=False)
    assert broken.returncode == 1
    assert broken.stderr.strip() == (
        "codeid: access-log-broken: entry 3: its content does not match its hash"
    )
    assert json.loads(broken.stdout)["first_broken_id"] == 3

    with engine.begin() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.id >= 3))
    cut = codeid("audit", "verify", ok=False)
    assert cut.returncode == 1 and cut.stderr.startswith("codeid: access-log-broken: entry 3: ")
    assert "removed" in cut.stderr


# The search itself is tested on both databases in tests/codeid/test_access_log.py.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_search_filters(codeid: Codeid, engine: Engine) -> None:  # noqa: F811
    seed(engine)
    found = codeid("audit", "search", "--uscc", TENCENT, "--actor", "user:1")
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == [3]

    since = codeid("audit", "search", "--action", "entity.read", "--since", "2026-11-27T10:30")
    assert [json.loads(line)["id"] for line in since.stdout.splitlines()] == [4, 3, 2]

    paged = codeid("audit", "search", "--limit", "3")
    assert len(paged.stdout.splitlines()) == 3 and "more: --cursor 2" in paged.stderr
