"""Signing in over HTTP: password login, short-lived access tokens, refresh rotation, logout."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from codeid.accounts.models import Role
from codeid.clock import utcnow
from tests.api.callers import Auth, bearer
from tests.api.conftest import Clock
from tests.api.test_api_entities import assert_problem

PASSWORD = "correct horse battery"


def _login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_login_me_and_the_token_works_where_the_role_may(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    auth.user(Role.ADMIN, username="root", password=PASSWORD)
    pair = _login(client, "ROOT")
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 600
    headers = bearer(str(pair["access_token"]))
    me = client.get("/auth/me", headers=headers).json()
    assert (me["username"], me["role"]) == ("root", "admin")
    assert client.get("/v1/users", headers=headers).status_code == 200

    wrong = client.post("/auth/login", json={"username": "root", "password": "not it at all"})
    assert_problem(wrong, 401, "invalid-credentials")
    unknown = client.post("/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert_problem(unknown, 401, "invalid-credentials")
    assert unknown.json()["detail"] == wrong.json()["detail"]  # no hint which one was wrong

    clock.now = utcnow() + timedelta(minutes=11)
    assert_problem(client.get("/auth/me", headers=headers), 401, "token-expired")


def test_refresh_rotates_and_a_replayed_refresh_token_ends_the_sign_in(
    client: TestClient, auth: Auth
) -> None:
    auth.user(Role.BUSINESS, username="owner", password=PASSWORD)
    first = _login(client, "owner")
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(replay, 401, "refresh-token-reused")
    after = client.post("/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert_problem(after, 401, "invalid-credentials")


def test_logout_revokes_the_refresh_token(client: TestClient, auth: Auth) -> None:
    auth.user(Role.CLERK, username="li.min", password=PASSWORD)
    pair = _login(client, "li.min")
    out = client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    again = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(again, 401, "invalid-credentials")


def test_admin_manages_users_and_disabling_ends_sessions(client: TestClient, auth: Auth) -> None:
    admin = auth.admin()
    made = client.post(
        "/v1/users",
        headers=admin,
        json={"username": "amr.officer", "role": "issuer", "password": PASSWORD},
    )
    assert_problem(made, 422, "invalid-input")  # an issuer user needs its department
    made = client.post(
        "/v1/users",
        headers=admin,
        json={
            "username": "amr.officer",
            "role": "issuer",
            "password": PASSWORD,
            "issuer_uscc": "11440100MB2C92747J",
        },
    )
    assert made.status_code == 201, made.text
    user = made.json()
    assert "password" not in made.text and "argon2" not in made.text
    pair = _login(client, "amr.officer")
    patched = client.patch(f"/v1/users/{user['id']}", headers=admin, json={"status": "disabled"})
    assert patched.json()["status"] == "disabled"
    refused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(refused, 401, "invalid-credentials")
    blocked = client.post("/auth/login", json={"username": "amr.officer", "password": PASSWORD})
    assert_problem(blocked, 401, "invalid-credentials")
    clash = client.post(
        "/v1/users",
        headers=admin,
        json={"username": "amr.officer", "role": "admin", "password": PASSWORD},
    )
    assert_problem(clash, 409, "username-taken")


def test_bad_tokens_are_told_apart(client: TestClient, auth: Auth) -> None:
    assert_problem(client.get("/auth/me"), 401, "unauthenticated")
    garbage = client.get("/auth/me", headers=bearer("not.a.jwt"))
    assert_problem(garbage, 401, "token-invalid")
    assert garbage.headers["www-authenticate"].startswith("Bearer")
    _, partner = auth.partner(["codes:verify"])
    assert_problem(client.get("/v1/users", headers=partner), 403, "forbidden")
    assert_problem(client.get("/v1/users", headers=auth.clerk([])), 403, "forbidden")
