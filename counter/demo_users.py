"""Demo accounts for trying every page at once: one per role, with generated passwords.

The passwords are random per database and returned once (``codeid demo seed`` prints them
and writes them to the data directory's demo-users.json, readable by its owner only).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from codeid.accounts.models import Role
from codeid.accounts.users import create_user
from codeid.mandates.models import Mandate, MandateRole
from counter.hall import register_clerk

HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
MARKET_REGULATION = "11440100MB2C92747J"


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    role: Role
    display_name: str
    issuer_uscc: str | None = None
    windows: tuple[int, ...] = ()
    legal_representative_of: str | None = None


DEMO_USERS = (
    DemoUser("admin", Role.ADMIN, "系统管理员"),
    DemoUser("amr.officer", Role.ISSUER, "市场监管局 陈科长", issuer_uscc=MARKET_REGULATION),
    DemoUser("clerk.li", Role.CLERK, "李敏 (1-10号窗口)", windows=tuple(range(1, 11))),
    DemoUser("clerk.wang", Role.CLERK, "王强 (35-37号综合窗口)", windows=(35, 36, 37)),
    DemoUser("huawei.rep", Role.BUSINESS, "华为 法定代表人", legal_representative_of=HUAWEI),
    DemoUser("tencent.rep", Role.BUSINESS, "腾讯 法定代表人", legal_representative_of=TENCENT),
)


def seed_demo_users(session: Session, *, now: datetime) -> dict[str, dict[str, str]]:
    """Create the demo accounts (the hall must be loaded); returns username -> role, password."""
    created: dict[str, dict[str, str]] = {}
    for demo in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        user = create_user(
            session,
            username=demo.username,
            role=demo.role,
            password=password,
            display_name=demo.display_name,
            issuer_uscc=demo.issuer_uscc,
            now=now,
        )
        assert user.id is not None
        if demo.windows:
            register_clerk(session, user=user, windows=list(demo.windows), now=now)
        if demo.legal_representative_of:
            session.add(
                Mandate(
                    uscc=demo.legal_representative_of,
                    user_id=user.id,
                    role=MandateRole.LEGAL_REPRESENTATIVE.value,
                    valid_from=now - timedelta(minutes=1),
                    created_at=now,
                )
            )
        created[demo.username] = {"role": demo.role.value, "password": password}
    session.flush()
    return created
