"""Callers of every kind for API tests: real accounts in the database, real signed tokens.

Tokens are minted directly (as /auth/login and /oauth/token do after checking a password or a
client secret) so a test pays for argon2 only where it tests signing in.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from api.runtime import Runtime
from codeid.accounts.models import Role, UserAccount
from codeid.accounts.tokens import mint_access_token
from codeid.accounts.users import create_user
from codeid.mandates.models import Mandate, MandateRole
from counter.hall import register_clerk
from credentials.models import PartnerClient

Headers = dict[str, str]
_serial = itertools.count(1)


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


class Auth:
    def __init__(self, runtime: Runtime, clock: Callable[[], datetime]) -> None:
        self.runtime = runtime
        self.clock = clock
        runtime.prepare()  # migrated, with signing keys, even before a client starts the app

    def user(
        self,
        role: Role,
        *,
        issuer_uscc: str | None = None,
        windows: Iterable[int] = (),
        password: str | None = None,
        username: str | None = None,
    ) -> tuple[UserAccount, Headers]:
        now, desk = self.clock(), list(windows)
        with self.runtime.session() as session:
            user = create_user(
                session,
                username=username or f"{role.value}-{next(_serial)}-{secrets.token_hex(3)}",
                role=role,
                password=password,
                issuer_uscc=issuer_uscc,
                now=now,
            )
            if role is Role.CLERK and desk:  # the windows must exist (a hall is loaded)
                register_clerk(session, user=user, windows=desk, now=now)
            token = self.runtime.mint_user_token(session, user, now=now)
        return user, bearer(token)

    def admin(self) -> Headers:
        return self.user(Role.ADMIN)[1]

    def issuer(self, uscc: str) -> Headers:
        return self.user(Role.ISSUER, issuer_uscc=uscc)[1]

    def clerk(self, windows: Iterable[int]) -> Headers:
        return self.user(Role.CLERK, windows=windows)[1]

    def business(
        self,
        uscc: str,
        role: MandateRole = MandateRole.LEGAL_REPRESENTATIVE,
        *,
        scope: Iterable[str] = (),
        valid_until: datetime | None = None,
    ) -> tuple[UserAccount, Headers]:
        """A business user holding a mandate for ``uscc``."""
        user, headers = self.user(Role.BUSINESS)
        now = self.clock()
        with self.runtime.session() as session:
            assert user.id is not None
            session.add(
                Mandate(
                    uscc=uscc,
                    user_id=user.id,
                    role=role.value,
                    scope=list(scope),
                    valid_from=now - timedelta(minutes=1),
                    valid_until=valid_until,
                    created_at=now,
                )
            )
        return user, headers

    def partner(self, scopes: Iterable[str], *, name: str = "Test Bank") -> tuple[str, Headers]:
        """A registered partner client and a token for it with ``scopes``."""
        now = self.clock()
        client_id = f"cid_{secrets.token_hex(8)}"
        with self.runtime.session() as session:
            session.add(
                PartnerClient(client_id=client_id, name=name, scopes=list(scopes), created_at=now)
            )
            token = mint_access_token(
                self.runtime.auth_keyring(session).active_signer(),
                issuer=self.runtime.settings.issuer_url,
                subject=f"client:{client_id}",
                role="partner",
                name=name,
                now=now,
                ttl=timedelta(minutes=5),
                scopes=frozenset(scopes),
                client_id=client_id,
            )
        return client_id, bearer(token)


def as_admin(client: TestClient, auth: Auth) -> TestClient:
    """The client, calling as an administrator by default (for tests of what, not of who)."""
    client.headers.update(auth.admin())
    return client
