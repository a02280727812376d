"""Accounts: argon2 passwords, access tokens (EdDSA JWT), refresh token rotation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from codeid.accounts.errors import (
    InvalidCredentials,
    RefreshTokenReused,
    TokenExpired,
    TokenInvalid,
    UsernameTaken,
    WeakPassword,
)
from codeid.accounts.models import RefreshToken, Role, UserStatus
from codeid.accounts.passwords import hash_password, verify_password
from codeid.accounts.sessions import end_session, rotate, start_session
from codeid.accounts.tokens import AUTH_RING, mint_access_token, verify_access_token
from codeid.accounts.users import authenticate, create_user, set_password, set_status
from codeid.errors import InvalidInput
from codeid.keys.keyring import KeyRing, Signer

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MASTER = bytes(range(32))
PASSWORD = "correct horse battery"
ISSUER = "https://codeid.test"


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)  # unknown user: same work, same answer
    assert not verify_password("!", PASSWORD)  # an account without a password
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(WeakPassword):
        hash_password("short")
    with pytest.raises(WeakPassword):
        hash_password("aaaaaaaaaaaaaaaa")


def test_create_and_authenticate(session: Session) -> None:
    user = create_user(
        session,
        username=" Li.Min ",
        role=Role.CLERK,
        password=PASSWORD,
        display_name="李敏",
        now=NOW,
    )
    assert (user.username, user.display_name, user.role) == ("li.min", "李敏", "clerk")
    assert authenticate(session, username="LI.MIN", password=PASSWORD).id == user.id
    with pytest.raises(InvalidCredentials):
        authenticate(session, username="li.min", password="wrong password!")
    with pytest.raises(InvalidCredentials):
        authenticate(session, username="nobody", password=PASSWORD)
    with pytest.raises(UsernameTaken):
        create_user(session, username="li.min", role=Role.ADMIN, now=NOW)
    set_status(session, user, UserStatus.DISABLED)
    with pytest.raises(InvalidCredentials):
        authenticate(session, username="li.min", password=PASSWORD)
    set_status(session, user, UserStatus.ACTIVE)
    set_password(session, user, "another good password", now=NOW)
    with pytest.raises(InvalidCredentials):
        authenticate(session, username="li.min", password=PASSWORD)


def test_issuer_users_belong_to_a_department(session: Session) -> None:
    with pytest.raises(InvalidInput, match="department"):
        create_user(session, username="amr", role=Role.ISSUER, now=NOW)
    with pytest.raises(InvalidInput, match="only issuer users"):
        create_user(
            session, username="clerk", role=Role.CLERK, issuer_uscc="11440100MB2C92747J", now=NOW
        )
    officer = create_user(
        session, username="amr", role=Role.ISSUER, issuer_uscc="11440100mb2c92747j", now=NOW
    )
    assert officer.issuer_uscc == "11440100MB2C92747J"


def _signer(session: Session) -> Signer:
    ring = KeyRing(session, ring=AUTH_RING, master_secret=MASTER)
    ring.ensure_active(NOW)
    return ring.active_signer()


def test_access_tokens_verify_expire_and_resist_forgery(session: Session) -> None:
    signer = _signer(session)
    keys = KeyRing(session, ring=AUTH_RING, master_secret=MASTER).public_keys()
    token = mint_access_token(
        signer,
        issuer=ISSUER,
        subject="user:7",
        role="clerk",
        name="李敏",
        now=NOW,
        ttl=timedelta(minutes=10),
    )
    claims = verify_access_token(token, keys=keys, issuer=ISSUER, now=NOW + timedelta(minutes=9))
    assert (claims.subject, claims.role, claims.name) == ("user:7", "clerk", "李敏")
    # pyjwt reads it too, given the public key: it is a standard EdDSA JWT.
    decoded = jwt.decode(
        token,
        signer.public_key(),
        algorithms=["EdDSA"],
        audience="codeid-api",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert decoded["sub"] == "user:7" and jwt.get_unverified_header(token)["typ"] == "at+jwt"

    with pytest.raises(TokenExpired):
        verify_access_token(token, keys=keys, issuer=ISSUER, now=NOW + timedelta(minutes=11))
    with pytest.raises(TokenInvalid, match="not valid"):
        verify_access_token(token, keys=keys, issuer="https://elsewhere", now=NOW)
    head, body, sig = token.split(".")
    flipped = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")
    with pytest.raises(TokenInvalid):
        verify_access_token(f"{head}.{body}.{flipped}", keys=keys, issuer=ISSUER, now=NOW)
    forged = mint_access_token(
        Signer(kid=signer.kid, private_key=Ed25519PrivateKey.generate()),
        issuer=ISSUER,
        subject="user:1",
        role="admin",
        name="x",
        now=NOW,
        ttl=timedelta(minutes=10),
    )
    with pytest.raises(TokenInvalid):
        verify_access_token(forged, keys=keys, issuer=ISSUER, now=NOW)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(b'{"sub":"user:1","role":"admin"}').rstrip(b"=").decode()
    unsigned = f"{header}.{body}."
    with pytest.raises(TokenInvalid):
        verify_access_token(unsigned, keys=keys, issuer=ISSUER, now=NOW)


def test_refresh_tokens_rotate_and_reuse_revokes_the_sign_in(session: Session) -> None:
    user = create_user(session, username="owner", role=Role.BUSINESS, password=PASSWORD, now=NOW)
    first = start_session(session, user, now=NOW)
    same_user, second = rotate(session, first.token, now=NOW + timedelta(minutes=5))
    assert same_user.id == user.id and second.family == first.family
    with pytest.raises(RefreshTokenReused):
        rotate(session, first.token, now=NOW + timedelta(minutes=6))  # a copy is replayed
    with pytest.raises(InvalidCredentials, match="ended"):
        rotate(session, second.token, now=NOW + timedelta(minutes=7))  # the family is revoked
    other = start_session(session, user, now=NOW)
    with pytest.raises(TokenExpired):
        rotate(session, other.token, now=NOW + timedelta(days=15))
    third = start_session(session, user, now=NOW)
    end_session(session, third.token, now=NOW)
    with pytest.raises(InvalidCredentials):
        rotate(session, third.token, now=NOW)
    stored = session.get(RefreshToken, 1)
    assert stored is None or third.token not in stored.token_hash
    with pytest.raises(InvalidCredentials):
        rotate(session, "rt_not-a-real-token", now=NOW)
