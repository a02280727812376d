"""A service hall seeded through the domain (as `codeid demo seed` does) for the deploy tests:
entities with licences, the demo hall, clerks at some windows, a department's officer, and a
stack of dynamic codes to check in with. Tokens are minted as /auth/login would."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from api.runtime import Runtime
from api.settings import Settings
from codeid.accounts.models import Role
from codeid.accounts.users import create_user
from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.demo import seed_demo
from codeid.entities.models import Entity
from counter.hall import demo_hall_path, load_hall_file, register_clerk
from credentials.demo import MARKET_REGULATION, seed_licence_demo
from credentials.models import Licence

WALK_IN_WINDOWS = (1, 2, 3, 4)  # demo hall: these serve category A, where walk-ins queue


@dataclass
class World:
    settings: Settings
    clerks: dict[int, dict[str, str]] = field(default_factory=dict)  # window -> headers
    issuer: dict[str, str] = field(default_factory=dict)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (code id, payload)
    licences: list[str] = field(default_factory=list)  # identifiers of the department's
    login: tuple[str, str] = ("", "")  # a clerk who signs in with a password


def server_settings(database_url: str, data_dir: Path, public_url: str) -> Settings:
    """What every API process and the seeding share: database, master key, public URL."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        public_url=public_url,
        webhook_worker=False,
    )


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `codeid serve` process sharing ``settings``."""
    assert settings.master_key is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEID_")}
    env.update(
        CODEID_DATABASE_URL=settings.database_url,
        CODEID_MASTER_KEY=settings.master_key.get_secret_value(),
        CODEID_DATA_DIR=str(settings.data_dir),
        CODEID_PUBLIC_URL=settings.public_url,
        CODEID_WEBHOOK_WORKER="false",
    )
    env.update(extra)
    return env


def seed_world(settings: Settings, *, entities: int, codes: int) -> World:
    """Migrate, seed, and return the callers and codes the load will use."""
    runtime = Runtime(settings)
    runtime.prepare()
    world = World(settings)
    now = utcnow()
    with runtime.session() as session:
        seed_demo(session, count=entities, now=now, if_empty=False)
        seed_licence_demo(session, master_secret=runtime.master_secret, now=now)
        load_hall_file(session, demo_hall_path(), now=now)
        for window in WALK_IN_WINDOWS:
            clerk = create_user(session, username=f"clerk.w{window}", role=Role.CLERK, now=now)
            register_clerk(session, user=clerk, windows=[window], now=now)
            world.clerks[window] = _bearer(runtime.mint_user_token(session, clerk, now=now))
        password = secrets.token_urlsafe(12)
        create_user(session, username="clerk.login", role=Role.CLERK, password=password, now=now)
        world.login = ("clerk.login", password)
        officer = create_user(
            session,
            username="amr.load",
            role=Role.ISSUER,
            issuer_uscc=MARKET_REGULATION[0],
            now=now,
        )
        world.issuer = _bearer(runtime.mint_user_token(session, officer, now=now))
        usccs = list(session.exec(select(Entity.uscc).order_by(col(Entity.uscc))).all())
        for n in range(codes):
            issued = runtime.issue_code(
                session, uscc=usccs[n % len(usccs)], kind=CodeKind.DYNAMIC, now=now
            )
            world.codes.append((issued.code_id, issued.payload))
        query = select(Licence.identifier).where(
            Licence.issuer_uscc == MARKET_REGULATION[0], Licence.status == "valid"
        )
        world.licences = list(session.exec(query.order_by(col(Licence.id))).all())
    runtime.engine.dispose()
    return world


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
