"""Creating, finding and signing in users. Flushes only; the caller commits."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from codeid.accounts.errors import InvalidCredentials, UsernameTaken, UserNotFound
from codeid.accounts.models import Role, UserAccount, UserStatus
from codeid.accounts.passwords import UNUSABLE, hash_password, needs_rehash, verify_password
from codeid.errors import InvalidInput
from codeid.uscc import parse_uscc

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username has 2 to 64 characters: lower-case letters, digits and . _ @ -, "
            f"starting with a letter or digit; got {username!r}"
        )
    return name


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    now: datetime,
    password: str | None = None,
    display_name: str = "",
    issuer_uscc: str | None = None,
) -> UserAccount:
    """A new account. Issuers name their department; other roles must not."""
    name = normalise_username(username)
    display = display_name.strip() or name
    if len(display) > 100:
        raise InvalidInput(f"a display name has at most 100 characters, got {len(display)}")
    if role is Role.ISSUER:
        if issuer_uscc is None:
            raise InvalidInput("an issuer user must name its department (issuer USCC)")
        issuer_uscc = parse_uscc(issuer_uscc).code
    elif issuer_uscc is not None:
        raise InvalidInput(f"only issuer users belong to a department, not {role.value} users")
    user = UserAccount(
        username=name,
        display_name=display,
        role=role.value,
        password_hash=hash_password(password) if password is not None else UNUSABLE,
        issuer_uscc=issuer_uscc,
        status=UserStatus.ACTIVE.value,
        created_at=now,
        password_changed_at=now if password is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise UsernameTaken(f"username {name!r} is taken", username=name) from exc
    return user


def get_user(session: Session, user_id: int) -> UserAccount:
    user = session.get(UserAccount, user_id)
    if user is None:
        raise UserNotFound(f"no user {user_id}", user_id=user_id)
    return user


def find_user(session: Session, username: str) -> UserAccount:
    user = session.exec(
        select(UserAccount).where(UserAccount.username == username.strip().lower())
    ).first()
    if user is None:
        raise UserNotFound(f"no user named {username!r}", username=username)
    return user


def list_users(session: Session, *, role: Role | None = None) -> list[UserAccount]:
    query = select(UserAccount).order_by(col(UserAccount.id))
    if role is not None:
        query = query.where(UserAccount.role == role.value)
    return list(session.exec(query).all())


def authenticate(session: Session, *, username: str, password: str) -> UserAccount:
    """The active user with this password; one error for every way it can fail."""
    user = session.exec(
        select(UserAccount).where(UserAccount.username == username.strip().lower()[:64])
    ).first()
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None:
        raise InvalidCredentials("the username or password is wrong")
    if user.status != UserStatus.ACTIVE.value:
        raise InvalidCredentials("the username or password is wrong")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
    return user


def set_password(session: Session, user: UserAccount, password: str, *, now: datetime) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.add(user)
    session.flush()


def set_status(session: Session, user: UserAccount, status: UserStatus) -> None:
    user.status = status.value
    session.add(user)
    session.flush()
