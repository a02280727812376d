"""codeid user ...: accounts for administrators, department issuers, clerks, business users."""

from __future__ import annotations

import secrets
import sys

import typer

from api.auth_schemas import UserOut
from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from codeid.accounts.models import Role, UserStatus
from codeid.accounts.sessions import revoke_user_sessions
from codeid.accounts.users import create_user, find_user, list_users, set_password, set_status
from codeid.clock import utcnow
from counter.hall import register_clerk

app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password from standard input, or a generated one (then printed once)."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliFailure("--password-stdin: standard input had no password")
        return line, False
    return secrets.token_urlsafe(15), True


@app.command("add")
def add(
    username: str,
    role: Role = typer.Option(..., help="admin, issuer, clerk or business."),
    name: str = typer.Option("", help="Display name (default: the username)."),
    issuer: str = typer.Option(None, help="Issuer users: the department's USCC."),
    window: list[int] = typer.Option(None, "--window", help="Clerk users: a window, repeatable."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create an account; without --password-stdin a password is generated and printed once."""
    password, generated = _password(password_stdin)
    now = utcnow()
    with Runtime.prepared().session() as session:
        user = create_user(
            session,
            username=username,
            role=role,
            password=password,
            display_name=name,
            issuer_uscc=issuer,
            now=now,
        )
        if role is Role.CLERK:
            if not window:
                raise CliFailure("a clerk user needs at least one --window")
            register_clerk(session, user=user, windows=window, now=now)
        elif window:
            raise CliFailure("only clerk users work at windows")
        out = UserOut.model_validate(user).model_dump(mode="json")
    emit(out | ({"password": password} if generated else {}))
    if generated:
        say("keep the password: it is shown only now")


@app.command("list")
def list_(role: Role = typer.Option(None, help="Only this role.")) -> None:
    with Runtime.prepared().session() as session:
        for user in list_users(session, role=role):
            emit(UserOut.model_validate(user))


def _set_status(username: str, status: UserStatus) -> None:
    now = utcnow()
    with Runtime.prepared().session() as session:
        user = find_user(session, username)
        set_status(session, user, status)
        assert user.id is not None
        revoke_user_sessions(session, user.id, now=now)
        emit(UserOut.model_validate(user))


@app.command("disable")
def disable(username: str) -> None:
    """Refuse further sign-ins and end the user's sessions."""
    _set_status(username, UserStatus.DISABLED)


@app.command("enable")
def enable(username: str) -> None:
    _set_status(username, UserStatus.ACTIVE)


@app.command("passwd")
def passwd(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """Set a new password (generated unless read from standard input); ends all sessions."""
    password, generated = _password(password_stdin)
    now = utcnow()
    with Runtime.prepared().session() as session:
        user = find_user(session, username)
        set_password(session, user, password, now=now)
        assert user.id is not None
        revoke_user_sessions(session, user.id, now=now)
    emit({"username": user.username} | ({"password": password} if generated else {}))
