"""Who is calling, and may they: one bearer-token principal, and one declaration per route.

Every route declares its callers with an ``Allow`` dependency (roles, partner scopes, or
public). ``tests/api/test_route_roles.py`` walks the app's routes, reads these declarations
and proves that every other kind of caller is refused.

Access tokens are JWTs we signed (codeid.accounts.tokens); what a principal may touch beyond
its role (an issuer's own licences, a clerk's own windows, a business user's own entities) is
decided further in, by the dependencies below and by the domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from api.deps import NowDep, RuntimeDep, SessionDep
from codeid.accounts.errors import Forbidden, Unauthenticated
from codeid.accounts.models import Role
from codeid.accounts.tokens import AccessClaims, token_kid, verify_access_token
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import Mandate
from counter.models import Clerk
from credentials.issuers import get_issuer
from credentials.models import Issuer, IssuerStatus
from credentials.partners.clients import admit_client

PARTNER = "partner"  # the role claim of a partner client's token

bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /auth/login (users) or POST /oauth/token (partners)",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

__all__ = ["Forbidden", "Unauthenticated"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    kind: str  # "user", "client" or "anonymous"
    subject: str = "anonymous"  # "user:12", "client:cid_…"
    role: str = ""  # a Role value, PARTNER, or "" for anonymous
    name: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    issuer_uscc: str | None = None

    @property
    def user_id(self) -> int | None:
        return int(self.subject.split(":", 1)[1]) if self.kind == "user" else None

    @property
    def client_id(self) -> str | None:
        return self.subject.split(":", 1)[1] if self.kind == "client" else None

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    @classmethod
    def from_claims(cls, claims: AccessClaims) -> Principal:
        kind = claims.subject.split(":", 1)[0]
        if kind not in ("user", "client"):
            raise Unauthenticated("the access token names no user or client")
        if kind == "user" and not claims.subject.split(":", 1)[1].isdigit():
            raise Unauthenticated("the access token names no user")
        return cls(
            kind=kind,
            subject=claims.subject,
            role=claims.role,
            name=claims.name,
            scopes=claims.scopes,
            issuer_uscc=claims.issuer_uscc,
        )


ANONYMOUS = Principal(kind="anonymous")


def current_principal(credentials: Credentials, runtime: RuntimeDep, now: NowDep) -> Principal:
    """The token's principal, or ANONYMOUS without one. A bad token is refused, not ignored."""
    if credentials is None:
        return ANONYMOUS
    token = credentials.credentials
    claims = verify_access_token(
        token,
        keys=runtime.auth_public_keys(token_kid(token)),
        issuer=runtime.settings.issuer_url,
        now=now,
    )
    principal = Principal.from_claims(claims)
    if principal.client_id is not None:  # every partner call: client still active, rate limit
        admit_client(runtime.engine, client_id=principal.client_id, now=now)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class Allow:
    """A route's declaration of who may call it.

    ``Allow(Role.ADMIN)`` - administrators only; ``Allow(Role.CLERK, scopes={"codes:verify"})``
    - clerks, and partner clients holding that scope; ``Allow(public=True)`` - anyone, the
    principal (possibly anonymous) is still passed on for the access log.
    """

    def __init__(
        self, *roles: Role, scopes: frozenset[str] | set[str] = frozenset(), public: bool = False
    ) -> None:
        self.roles = frozenset(role.value for role in roles)
        self.scopes = frozenset(scopes)
        self.public = public

    def __repr__(self) -> str:
        if self.public:
            return "Allow(public)"
        return f"Allow(roles={sorted(self.roles)}, scopes={sorted(self.scopes)})"

    def __call__(self, principal: PrincipalDep) -> Principal:
        if self.public:
            return principal
        if principal.is_anonymous:
            raise Unauthenticated("this call needs an access token (Authorization: Bearer …)")
        if principal.kind == "client":
            if self.scopes and principal.scopes & self.scopes:
                return principal
            if self.scopes:
                raise Forbidden(
                    "the partner token lacks the scope this call needs "
                    f"({' or '.join(sorted(self.scopes))})"
                )
            raise Forbidden("partner clients may not make this call")
        if principal.role in self.roles:
            return principal
        raise Forbidden(f"a {principal.role or 'caller'} may not make this call")


def allow(
    *roles: Role, scopes: frozenset[str] | set[str] = frozenset(), public: bool = False
) -> Any:
    """``Depends(Allow(...))``, for a route's ``dependencies=[...]`` or a parameter default."""
    return Depends(Allow(*roles, scopes=scopes, public=public))


AdminDep = Annotated[Principal, Depends(Allow(Role.ADMIN))]
PublicDep = Annotated[Principal, Depends(Allow(public=True))]


def current_issuer(
    principal: Annotated[Principal, Depends(Allow(Role.ISSUER))], session: SessionDep
) -> Issuer:
    """The department an issuer user acts for; it must still be active."""
    if principal.issuer_uscc is None:
        raise Forbidden("this issuer user belongs to no department")
    issuer = get_issuer(session, principal.issuer_uscc)
    if issuer.status != IssuerStatus.ACTIVE.value:
        raise Forbidden(f"department {issuer.uscc} is not active")
    return issuer


IssuerDep = Annotated[Issuer, Depends(current_issuer)]


def clerk_of(session: Session, principal: Principal) -> Clerk:
    clerk = session.exec(select(Clerk).where(Clerk.user_id == principal.user_id)).first()
    if clerk is None:
        raise Forbidden("this clerk user has no desk profile (windows) yet")
    return clerk


def current_clerk(
    principal: Annotated[Principal, Depends(Allow(Role.CLERK))], session: SessionDep
) -> Clerk:
    return clerk_of(session, principal)


ClerkDep = Annotated[Clerk, Depends(current_clerk)]


def require_window(clerk: Clerk, window_number: int) -> None:
    """Clerks act only at their own windows."""
    if window_number not in clerk.windows:
        raise Forbidden(f"clerk {clerk.name!r} does not work at window {window_number}")


STAFF = frozenset({Role.ADMIN.value, Role.CLERK.value})


def require_entity_access(
    session: Session, principal: Principal, uscc: str, now: datetime
) -> Mandate | None:
    """Staff (administrators, clerks) may act on any entity; a business user only on an
    entity it holds a live mandate for (returned). Issuers and partners are refused here:
    what they may read is decided by their own routes."""
    if principal.role in STAFF:
        return None
    if principal.role == Role.BUSINESS.value and principal.user_id is not None:
        mandates = live_mandates(session, user_id=principal.user_id, uscc=uscc, now=now)
        if mandates:
            return mandates[0]
        raise Forbidden(f"you hold no mandate to act for {uscc}")
    raise Forbidden(f"a {principal.role or 'caller'} may not act for {uscc}")
