"""User administration (administrators): accounts, roles, a clerk's windows."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AdminDep
from api.auth_schemas import ClerkWindowsIn, UserIn, UserOut, UserPatch
from api.counter_schemas import PathId
from api.deps import NowDep, SessionDep
from codeid.accounts.models import Role, UserStatus
from codeid.accounts.sessions import revoke_user_sessions
from codeid.accounts.users import create_user, get_user, list_users, set_password, set_status
from codeid.errors import InvalidInput
from counter.hall import register_clerk

router = APIRouter(prefix="/v1/users", tags=["admin"])


@router.post("", status_code=201, response_model=UserOut)
def add_user(body: UserIn, _admin: AdminDep, session: SessionDep, now: NowDep) -> UserOut:
    """Create an account. Issuer users name their department; clerk users their windows."""
    if body.windows and body.role is not Role.CLERK:
        raise InvalidInput("only clerk users work at windows")
    if body.role is Role.CLERK and not body.windows:
        raise InvalidInput("a clerk user needs at least one window")
    user = create_user(
        session,
        username=body.username,
        role=body.role,
        password=body.password,
        display_name=body.display_name,
        issuer_uscc=body.issuer_uscc,
        now=now,
    )
    if body.role is Role.CLERK:
        register_clerk(session, user=user, windows=list(body.windows), now=now)
    return UserOut.model_validate(user)


@router.get("", response_model=list[UserOut])
def users(_admin: AdminDep, session: SessionDep, role: Role | None = None) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in list_users(session, role=role)]


@router.get("/{user_id}", response_model=UserOut)
def user(user_id: PathId, _admin: AdminDep, session: SessionDep) -> UserOut:
    return UserOut.model_validate(get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserOut)
def change_user(
    user_id: PathId, body: UserPatch, _admin: AdminDep, session: SessionDep, now: NowDep
) -> UserOut:
    """Disable or re-enable an account, or set its password; either signs it out everywhere."""
    account = get_user(session, user_id)
    if body.password is not None:
        set_password(session, account, body.password, now=now)
    if body.status is not None:
        set_status(session, account, UserStatus(body.status))
    if account.id is not None:
        revoke_user_sessions(session, account.id, now=now)
    return UserOut.model_validate(account)


@router.put("/{user_id}/windows", response_model=UserOut)
def clerk_windows(
    user_id: PathId, body: ClerkWindowsIn, _admin: AdminDep, session: SessionDep, now: NowDep
) -> UserOut:
    """Set the windows a clerk user works at."""
    account = get_user(session, user_id)
    register_clerk(session, user=account, windows=list(body.windows), now=now)
    return UserOut.model_validate(account)
