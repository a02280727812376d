"""The bulk seed behaves like licences issued one by one: codes of seeded entities resolve with
their licences, every seeded licence verifies (or is refused for its stored status), its JWS
says exactly what licence_claims says of its row, and the status lists agree with the rows
and with licences issued after the seed."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlmodel import Session, func, select

from codeid.codes.issue import issue_static_code
from codeid.demo import seed_demo
from codeid.keys.keyring import KeyRing
from credentials.bulk_rows import bulk_uscc, licence_counts
from credentials.bulk_seed import ISSUERS, AlreadySeeded, seed_bulk
from credentials.demo import seed_licence_demo
from credentials.identifier import parse_identifier
from credentials.issuers import get_issuer, issuer_keyring
from credentials.licence_jws import licence_claims, sign_licence_claims
from credentials.licence_verify import verify_licence
from credentials.licences import issue_licence
from credentials.models import Licence, StatusListRecord
from credentials.resolve import resolve_code_with_licences
from credentials.status_list import decode_status_list, issue_status_list_token, status_value

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MASTER = os.urandom(32)


def test_licence_counts_add_up_and_give_every_tenth_entity_ten() -> None:
    counts = licence_counts(300, 3)
    assert sum(counts) == 900 and counts[0] == counts[10] == 10
    assert set(counts[1:10]) <= {2, 3}
    assert sum(licence_counts(7, 0.5)) == 4 and licence_counts(5, 0) == [0] * 5


def test_seeded_codes_resolve_and_licences_verify(session: Session) -> None:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    report = seed_bulk(session, entities=300, licences_per_entity=3, master_secret=MASTER, now=NOW)
    session.commit()
    assert (report.entities, report.licences, report.status_lists) == (300, 900, 1)
    rows = session.exec(select(Licence)).all()
    assert len(rows) == 900 + report.superseded and report.superseded == 9

    holder = bulk_uscc(10)  # holds ten licences
    code = issue_static_code(
        session, uscc=holder, signer=ring.active_signer(), now=NOW, ttl=timedelta(days=3650)
    )
    found = resolve_code_with_licences(
        session, code.payload, keys=ring.public_keys(), now=NOW, actor="t", location="w1",
        channel="api",
    )  # fmt: skip
    assert found.result.ok and found.result.entity is not None
    assert found.result.entity.uscc == holder
    assert len(found.licences) == 10  # the current versions; a superseded one is not shown
    first = found.licences[0]
    assert first.status == "valid" and first.issuer_name
    by_identifier = verify_licence(session, first.identifier, now=NOW)
    assert by_identifier.valid, by_identifier.message
    stored = session.exec(select(Licence).where(Licence.identifier == first.identifier)).one()
    assert verify_licence(session, stored.jws, now=NOW).valid

    reasons = Counter(verify_licence(session, row.jws, now=NOW).reason for row in rows)
    assert reasons == {"ok": 882, "revoked": 9, "suspended": 9, "superseded": 9}
    names = dict(ISSUERS.values())
    signers = {
        uscc: issuer_keyring(session, get_issuer(session, uscc), master_secret=MASTER)
        .active_signer() for uscc in names
    }  # fmt: skip
    for row in rows:  # the JWS documents its own row, slot included, as issuing signs it
        claims = licence_claims(row, issuer_name=names[row.issuer_uscc], now=NOW)
        assert jwt.decode(row.jws, options={"verify_signature": False}) == claims
        assert row.jws == sign_licence_claims(claims, signers[row.issuer_uscc])
        assert parse_identifier(row.identifier).serial == row.serial
        assert row.created_at == NOW and row.row_version == 1

    with pytest.raises(AlreadySeeded):
        seed_bulk(session, entities=3, licences_per_entity=1, master_secret=MASTER, now=NOW)


def test_status_lists_hold_the_seed_and_what_is_issued_after_it(session: Session) -> None:
    seed_demo(session, count=5, now=NOW, if_empty=True)
    demo = seed_licence_demo(session, master_secret=MASTER, now=NOW)
    report = seed_bulk(
        session, entities=40, licences_per_entity=2, master_secret=MASTER, now=NOW, workers=2
    )
    market = get_issuer(session, ISSUERS["market-regulation"][0])
    signer = issuer_keyring(session, market, master_secret=MASTER).active_signer()
    later = issue_licence(
        session, issuer=market, licence_type="food-business", holder_uscc=bulk_uscc(3),
        licence_number="JY99999999999999", fields={
            "operator_name": "x", "legal_representative": "y", "address": "z",
            "business_premises": "z", "main_business_form": "餐饮服务经营者",
            "business_items": "热食类食品制售"},
        signer=signer, actor="t", now=NOW,
    )  # fmt: skip
    session.commit()
    rows = session.exec(select(Licence)).all()
    total = int(demo["licences"]) + report.licences + report.superseded + 1  # type: ignore[call-overload]
    assert len(rows) == total
    slots = [(row.status_list, row.status_index) for row in rows]
    assert len(set(slots)) == total  # no slot given twice
    assert sorted(index for _, index in slots) == list(range(total))  # dense, from 0
    assert (later.status_list, later.status_index) == ("1", total - 1)
    lists = session.exec(select(StatusListRecord)).all()
    assert [(record.id, record.next_index) for record in lists] == [("1", total)]
    assert session.exec(select(func.count()).select_from(Licence)).one() == total

    token = issue_status_list_token(session, "1", signer=signer, now=NOW, uri="/v1/status-lists/1")
    claims = jwt.decode(token.token, options={"verify_signature": False})
    values = decode_status_list(claims["status_list"])
    for row in rows:
        assert values.get(row.status_index) == status_value(row), row.status
    for row in rows:
        verdict = verify_licence(session, row.identifier, now=NOW)
        assert verdict.valid or verdict.reason in {"revoked", "suspended", "superseded"}
