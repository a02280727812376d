"""What a running codeid needs, built once from the settings: shared by the HTTP app and the CLI."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine
from sqlmodel import Session

from api.settings import Settings
from codeid.accounts.models import UserAccount
from codeid.accounts.tokens import AUTH_RING, mint_access_token
from codeid.clock import utcnow
from codeid.codes.issue import IssuedCode, issue_dynamic_code, issue_static_code
from codeid.codes.payload import CodeKind
from codeid.db import make_engine, transaction
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import KeyRing, Signer
from codeid.keys.sealing import load_or_create_master_secret, master_secret_from_text
from codeid.migrate import upgrade
from codeid.models import PLATFORM_RING
from credentials.issuers import issuer_keyring
from credentials.models import Issuer
from credentials.status_list import StatusListToken

log = logging.getLogger("codeid")
AUTH_KEYS_CACHE_SECONDS = 30.0


@dataclass
class Runtime:
    settings: Settings = field(default_factory=Settings)
    # Recently built status list tokens: list id -> (monotonic time built, token).
    status_tokens: dict[str, tuple[float, StatusListToken]] = field(default_factory=dict)
    # The auth ring's public keys: (monotonic time read, keys). Public data, so a short cache.
    _auth_keys: tuple[float, PublicKeySet] | None = field(default=None, repr=False)

    @cached_property
    def engine(self) -> Engine:
        if self.settings.database_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.settings
        return make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )

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
        self,
        session: Session,
        *,
        uscc: str,
        kind: CodeKind,
        now: datetime,
        mandate_id: int | None = None,
    ) -> IssuedCode:
        """Sign a static or dynamic code with the active key and the configured lifetime;
        a dynamic code issued to a person acting for the business names its ``mandate_id``."""
        signer = self.keyring(session).active_signer()
        if kind is CodeKind.STATIC:
            return issue_static_code(
                session, uscc=uscc, signer=signer, now=now, ttl=self.static_ttl
            )
        return issue_dynamic_code(
            session,
            uscc=uscc,
            signer=signer,
            now=now,
            ttl=self.dynamic_ttl,
            mandate_id=mandate_id,
        )

    def auth_keyring(self, session: Session) -> KeyRing:
        """The keys that sign access tokens (a ring apart from the code-signing keys)."""
        return KeyRing(session, ring=AUTH_RING, master_secret=self.master_secret)

    def auth_public_keys(self, kid: str | None = None) -> PublicKeySet:
        """Cached briefly; re-read at once (at most once a second) for a kid not yet seen,
        so a key rotated by another process is trusted without waiting for the cache."""
        cached = self._auth_keys
        if cached is not None:
            age = time.monotonic() - cached[0]
            fresh = age < AUTH_KEYS_CACHE_SECONDS
            if fresh and (kid is None or kid in cached[1] or age < 1.0):
                return cached[1]
        with self.session() as session:
            keys = self.auth_keyring(session).public_keys()
        self._auth_keys = (time.monotonic(), keys)
        return keys

    def forget_auth_keys(self) -> None:
        self._auth_keys = None

    def mint_user_token(self, session: Session, user: UserAccount, *, now: datetime) -> str:
        """A short-lived access token for a signed-in user."""
        assert user.id is not None
        return mint_access_token(
            self.auth_keyring(session).active_signer(),
            issuer=self.settings.issuer_url,
            subject=f"user:{user.id}",
            role=user.role,
            name=user.display_name,
            now=now,
            ttl=self.access_token_ttl,
            issuer_uscc=user.issuer_uscc,
        )

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_ttl_seconds)

    @property
    def refresh_token_ttl(self) -> timedelta:
        return timedelta(days=self.settings.refresh_token_ttl_days)

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
            self.auth_keyring(session).ensure_active(now=utcnow())

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session
