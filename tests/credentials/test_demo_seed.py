"""The demo data set that `make run` loads is consistent: every licence verifies."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlmodel import Session, select

from codeid.demo import seed_demo
from credentials.demo import seed_licence_demo
from credentials.licence_verify import verify_licence
from credentials.models import Licence

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_demo_seed_issues_verifiable_licences(session: Session) -> None:
    assert seed_demo(session, count=25, now=NOW, if_empty=True) == 25
    summary = seed_licence_demo(session, master_secret=os.urandom(32), now=NOW)
    session.commit()
    licences = session.exec(select(Licence)).all()
    assert summary["licences"] == len(licences) >= 25  # every entity has a business licence
    assert {licence.type_code for licence in licences} >= {"business-licence"}
    for licence in licences:
        verdict = verify_licence(session, licence.jws, now=NOW)
        assert verdict.valid, (licence.type_code, verdict.reason, verdict.message)
    assert seed_demo(session, count=25, now=NOW, if_empty=True) == 0
