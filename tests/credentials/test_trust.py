"""The trust registry: grants with validity windows, revocation, the published trust list."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from codeid.errors import InvalidInput
from codeid.uscc import random_uscc
from credentials.errors import IssuerNotFound, IssuerNotTrusted, UnknownLicenceType
from credentials.issuers import get_issuer, issuer_jwks, register_issuer
from credentials.models import IssuerStatus, TrustGrant
from credentials.trust import (
    grant_trust,
    is_trusted,
    require_trusted,
    revoke_trust,
    trust_list,
)

MASTER = bytes(range(100, 132))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RNG = random.Random(9)
AMR = random_uscc(RNG, authority="1", category="1", division="330106")
DRUGS = random_uscc(RNG, authority="1", category="1", division="330000")
TOBACCO = random_uscc(RNG, authority="1", category="1", division="330100")
START = NOW + timedelta(days=1)
END = NOW + timedelta(days=366)


@pytest.fixture
def issuers(session: Session) -> None:
    for uscc, name, kind in [
        (AMR, "杭州市西湖区市场监督管理局", "market-regulation"),
        (DRUGS, "浙江省药品监督管理局", "drug-administration"),
        (TOBACCO, "杭州市烟草专卖局", "tobacco-monopoly"),
    ]:
        register_issuer(
            session,
            uscc=uscc,
            name=name,
            authority_kind=kind,
            master_secret=MASTER,
            actor="admin",
            now=NOW,
        )
    session.commit()


def _grant(
    session: Session, uscc: str = AMR, licence_type: str = "food-business", **kw: Any
) -> TrustGrant:
    args: dict[str, Any] = {"valid_from": START, "valid_until": END} | kw
    return grant_trust(
        session, issuer_uscc=uscc, licence_type=licence_type, actor="admin", now=NOW, **args
    )


def _trusted(session: Session, at: datetime, uscc: str = AMR, kind: str = "food-business") -> bool:
    return is_trusted(session, issuer_uscc=uscc, licence_type=kind, at=at)


@pytest.mark.usefixtures("issuers")
def test_a_grant_covers_its_window_only(session: Session) -> None:
    grant = _grant(session)
    session.commit()
    assert (grant.issuer_uscc, grant.licence_type, grant.revoked_at) == (AMR, "food-business", None)
    assert not _trusted(session, START - timedelta(seconds=1))
    assert _trusted(session, START)
    assert _trusted(session, END - timedelta(seconds=1))
    assert not _trusted(session, END)
    assert not _trusted(session, START + timedelta(days=2), kind="food-production")
    assert not _trusted(session, START + timedelta(days=2), uscc=DRUGS)


@pytest.mark.usefixtures("issuers")
def test_require_trusted_says_why_not(session: Session) -> None:
    _grant(session)
    require_trusted(session, issuer_uscc=AMR, licence_type="food-business", at=START)
    cases = [
        (NOW, AMR, "food-business", "its grant starts at 2026-03-02T09:00:00Z"),
        (END, AMR, "food-business", "its grant ended at 2027-03-02T09:00:00Z"),
        (START, AMR, "tobacco-retail", "not trusted to issue tobacco-retail licences.*no trust"),
        (START, random_uscc(RNG), "food-business", "is not registered"),
    ]
    for at, uscc, kind, message in cases:
        with pytest.raises(IssuerNotTrusted, match=message) as caught:
            require_trusted(session, issuer_uscc=uscc, licence_type=kind, at=at)
        assert caught.value.details == {"issuer": uscc, "licence_type": kind}
        assert caught.value.code == "issuer-not-trusted"
    with pytest.raises(IssuerNotTrusted, match=f"issuer {AMR} \\(杭州市西湖区市场监督管理局\\)"):
        require_trusted(session, issuer_uscc=AMR, licence_type="drug-business", at=START)


@pytest.mark.usefixtures("issuers")
def test_revocation_ends_trust_from_that_moment(session: Session) -> None:
    _grant(session, valid_until=None)
    revoked_at = START + timedelta(days=10)
    assert _trusted(session, revoked_at + timedelta(days=1000))  # open-ended grant
    count = revoke_trust(
        session, issuer_uscc=AMR, licence_type="food-business", actor="admin", now=revoked_at
    )
    session.commit()
    assert count == 1
    assert _trusted(session, revoked_at - timedelta(seconds=1))  # history stays true
    assert not _trusted(session, revoked_at)
    assert not _trusted(session, revoked_at + timedelta(days=1000))
    with pytest.raises(IssuerNotTrusted, match="its grant was revoked at 2026-03-12T09:00:00Z"):
        require_trusted(session, issuer_uscc=AMR, licence_type="food-business", at=revoked_at)
    again = revoke_trust(
        session, issuer_uscc=AMR, licence_type="food-business", actor="admin", now=END
    )
    assert again == 0


@pytest.mark.usefixtures("issuers")
def test_a_new_grant_after_revocation_restores_trust(session: Session) -> None:
    _grant(session)
    revoke_trust(session, issuer_uscc=AMR, licence_type="food-business", actor="a", now=START)
    later = START + timedelta(days=30)
    _grant(session, valid_from=later, valid_until=None)
    assert not _trusted(session, later - timedelta(seconds=1))
    assert _trusted(session, later)


@pytest.mark.usefixtures("issuers")
def test_a_suspended_issuer_is_not_trusted(session: Session) -> None:
    _grant(session)
    issuer = get_issuer(session, AMR)
    issuer.status = IssuerStatus.SUSPENDED.value
    session.add(issuer)
    session.flush()
    with pytest.raises(IssuerNotTrusted, match="is suspended"):
        require_trusted(session, issuer_uscc=AMR, licence_type="food-business", at=START)


@pytest.mark.usefixtures("issuers")
def test_bad_grants_are_refused(session: Session) -> None:
    with pytest.raises(UnknownLicenceType, match="'fishing'"):
        _grant(session, licence_type="fishing")
    with pytest.raises(IssuerNotFound):
        _grant(session, uscc=random_uscc(RNG))
    with pytest.raises(InvalidInput, match="must be after valid_from"):
        _grant(session, valid_until=START)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        _grant(session, valid_from=START.replace(tzinfo=None))


@pytest.mark.usefixtures("issuers")
def test_trust_list_has_every_active_issuer_with_current_and_future_grants(
    session: Session,
) -> None:
    _grant(session, valid_from=NOW - timedelta(days=10))  # current
    _grant(session, licence_type="food-production", valid_from=END, valid_until=None)  # future
    _grant(session, licence_type="business-licence", valid_from=NOW - timedelta(days=10),
           valid_until=NOW - timedelta(days=1))  # fmt: skip  # ended
    _grant(session, DRUGS, "drug-business", valid_from=NOW - timedelta(days=10))
    _grant(session, DRUGS, "medical-device-filing", valid_from=NOW - timedelta(days=10))
    revoke_trust(session, issuer_uscc=DRUGS, licence_type="medical-device-filing", actor="a",
                 now=NOW - timedelta(hours=1))  # fmt: skip
    tobacco = get_issuer(session, TOBACCO)
    tobacco.status = IssuerStatus.SUSPENDED.value
    session.add(tobacco)
    session.commit()

    doc = trust_list(session, now=NOW)
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert doc["issued_at"] == "2026-03-01T09:00:00Z"
    by_uscc = {entry["uscc"]: entry for entry in doc["issuers"]}
    assert set(by_uscc) == {AMR, DRUGS}
    amr = by_uscc[AMR]
    assert (amr["name"], amr["authority_kind"]) == (
        "杭州市西湖区市场监督管理局",
        "market-regulation",
    )
    assert amr["jwks"] == issuer_jwks(session, AMR)
    assert len(amr["jwks"]["keys"]) == 1
    assert amr["grants"] == [
        {
            "licence_type": "food-business",
            "valid_from": "2026-02-19T09:00:00Z",
            "valid_until": "2027-03-02T09:00:00Z",
        },
        {
            "licence_type": "food-production",
            "valid_from": "2027-03-02T09:00:00Z",
            "valid_until": None,
        },
    ]
    assert [g["licence_type"] for g in by_uscc[DRUGS]["grants"]] == ["drug-business"]
