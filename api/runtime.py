"""What a running codeid needs, built once from the settings: shared by the HTTP app and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine
from sqlmodel import Session

from api.settings import Settings
from codeid.clock import utcnow
from codeid.codes.issue import IssuedCode, issue_dynamic_code, issue_static_code
from codeid.codes.payload import CodeKind
from codeid.db import make_engine, transaction
from codeid.keys.keyring import KeyRing, Signer
from codeid.keys.sealing import load_or_create_master_secret, master_secret_from_text
from codeid.migrate import upgrade
from codeid.models import PLATFORM_RING
from credentials.issuers import issuer_keyring
from credentials.models import Issuer
from credentials.status_list import StatusListToken

log = logging.getLogger("codeid")


@dataclass
class Runtime:
    settings: Settings = field(default_factory=Settings)
    # Recently built status list tokens: list id -> (monotonic time built, token).
    status_tokens: dict[str, tuple[float, StatusListToken]] = field(default_factory=dict)

    @cached_property
    def engine(self) -> Engine:
        if self.settings.database_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return make_engine(self.settings.database_url)

    @cached_property
    def master_secret(self) -> bytes:
        if self.settings.master_key is not None:
            return master_secret_from_text(self.settings.master_key.get_secret_value())
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return load_or_create_master_secret(self.settings.master_key_file)

    @property
    def dynamic_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.dynamic_code_ttl_seconds)

    @property
    def status_list_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.status_list_ttl_seconds)

    @property
    def static_ttl(self) -> timedelta:
        return timedelta(days=self.settings.static_code_ttl_days)

    def migrate(self) -> None:
        upgrade(self.engine)

    def keyring(self, session: Session) -> KeyRing:
        return KeyRing(session, ring=PLATFORM_RING, master_secret=self.master_secret)

    def issue_code(
        self, session: Session, *, uscc: str, kind: CodeKind, now: datetime
    ) -> IssuedCode:
        """Sign a static or dynamic code with the active key and the configured lifetime."""
        signer = self.keyring(session).active_signer()
        if kind is CodeKind.STATIC:
            return issue_static_code(
                session, uscc=uscc, signer=signer, now=now, ttl=self.static_ttl
            )
        return issue_dynamic_code(session, uscc=uscc, signer=signer, now=now, ttl=self.dynamic_ttl)

    def issuer_signer(self, session: Session, issuer: Issuer) -> Signer:
        """The department's active signing key (its own ring, sealed like the platform's)."""
        return issuer_keyring(session, issuer, master_secret=self.master_secret).active_signer()

    @classmethod
    def prepared(cls) -> Runtime:
        """A runtime from the environment, its database migrated and a signing key ready."""
        runtime = cls()
        runtime.prepare()
        return runtime

    def prepare(self) -> None:
        """Migrate and make sure the platform has an active signing key."""
        self.migrate()
        with self.session() as session:
            self.keyring(session).ensure_active(now=utcnow())

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session
