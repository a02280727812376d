"""The demo accounts `make run` prints can sign in, and each is bound as its role needs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from codeid.accounts.users import authenticate
from codeid.demo import seed_demo
from codeid.mandates.lookup import live_mandates
from counter.demo_users import HUAWEI, seed_demo_users
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Clerk

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_demo_users_sign_in_with_their_roles_bindings(session: Session) -> None:
    seed_demo(session, count=5, now=NOW, if_empty=True)
    load_hall_file(session, demo_hall_path(), now=NOW)
    users = seed_demo_users(session, now=NOW)
    assert {u["role"] for u in users.values()} == {"admin", "issuer", "clerk", "business"}
    passwords = {u["password"] for u in users.values()}
    assert len(passwords) == len(users)  # generated, one each
    for name, user in users.items():
        signed_in = authenticate(session, username=name, password=user["password"])
        assert signed_in.role == user["role"]
    clerk = authenticate(session, username="clerk.li", password=users["clerk.li"]["password"])
    desk = session.exec(select(Clerk).where(Clerk.user_id == clerk.id)).one()
    assert desk.windows == list(range(1, 11))
    rep = authenticate(session, username="huawei.rep", password=users["huawei.rep"]["password"])
    assert rep.id is not None
    mandates = live_mandates(session, user_id=rep.id, uscc=HUAWEI, now=NOW)
    assert [m.role for m in mandates] == ["legal-representative"]
