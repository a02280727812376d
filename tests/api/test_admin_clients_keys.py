"""Administration over HTTP: partner clients (secret shown once) and signing-key rotation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from codeid.accounts.models import Role
from tests.api.callers import Auth, Headers
from tests.api.test_api_entities import HUAWEI, assert_problem

TOKEN_FORM = {"grant_type": "client_credentials"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _partner_verify(client: TestClient, headers: Headers) -> Any:
    body = {"payload": "not a code", "purpose": "account opening"}
    return client.post("/v1/codes/verify", json=body, headers=headers)


def test_a_client_is_registered_with_its_secret_shown_once(client: TestClient, auth: Auth) -> None:
    admin = auth.admin()
    body = {"name": "招商银行 对公开户", "scopes": ["codes:verify"], "rate_limit_per_minute": 50}
    made = _ok(client.post("/v1/clients", json=body, headers=admin), 201)
    cid, secret = made["client_id"], made["client_secret"]
    assert cid.startswith("cid_") and secret.startswith("cs_")
    assert made["status"] == "active" and made["client_secret_basic"] is True
    assert made["rate_limit_per_minute"] == 50 and not made["private_key_jwt"]

    listed = _ok(client.get("/v1/clients", headers=admin))
    mine = [c for c in listed if c["client_id"] == cid]
    assert len(mine) == 1 and mine[0]["name"] == "招商银行 对公开户"
    assert "client_secret" not in mine[0] and secret not in str(listed)

    # The secret works at the token endpoint, and the token at a partner route.
    token = _ok(client.post("/oauth/token", data=TOKEN_FORM, auth=(cid, secret)))
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert _ok(_partner_verify(client, bearer))["valid"] is False

    gone = _ok(client.post(f"/v1/clients/{cid}/disable", headers=admin))
    assert gone["status"] == "disabled" and gone["disabled_at"]
    again = _ok(client.post(f"/v1/clients/{cid}/disable", headers=admin))
    assert again["disabled_at"] == gone["disabled_at"]  # idempotent
    assert_problem(_partner_verify(client, bearer), 401, "client-disabled")
    refused = client.post("/oauth/token", data=TOKEN_FORM, auth=(cid, secret))
    assert refused.status_code == 401
    active = _ok(client.get("/v1/clients", params={"active": True}, headers=admin))
    assert cid not in {c["client_id"] for c in active}


def test_client_registration_refuses_bad_input(client: TestClient, auth: Auth) -> None:
    admin = auth.admin()
    unknown = {"name": "银行", "scopes": ["codes:verify", "everything"]}
    assert_problem(client.post("/v1/clients", json=unknown, headers=admin), 422, "invalid-scope")
    blank = {"name": "   ", "scopes": ["codes:verify"]}
    assert_problem(client.post("/v1/clients", json=blank, headers=admin), 422, "invalid-input")
    no_key = {"name": "银行", "scopes": ["codes:verify"], "with_secret": False}
    assert_problem(client.post("/v1/clients", json=no_key, headers=admin), 422, "invalid-input")
    none = {"name": "银行", "scopes": []}
    assert_problem(client.post("/v1/clients", json=none, headers=admin), 422, "validation")
    missing = client.post("/v1/clients/cid_0000000000000000/disable", headers=admin)
    assert_problem(missing, 404, "client-not-found")
    assert _ok(client.get("/v1/clients", headers=admin)) == []


def test_only_administrators_manage_clients_and_keys(client: TestClient, auth: Auth) -> None:
    clerk = auth.user(Role.CLERK)[1]
    body = {"name": "银行", "scopes": ["codes:verify"]}
    assert_problem(client.post("/v1/clients", json=body, headers=clerk), 403, "forbidden")
    assert_problem(client.get("/v1/keys"), 401, "unauthenticated")
    rotate = client.post("/v1/keys/rotate", json={"ring": "auth"}, headers=clerk)
    assert_problem(rotate, 403, "forbidden")


def test_rotating_the_platform_ring_keeps_old_codes_verifying(
    client: TestClient, auth: Auth
) -> None:
    admin = auth.admin()
    _ok(client.post("/v1/entities", json=HUAWEI, headers=admin), 201)
    before = _ok(client.get("/v1/keys", headers=admin))
    assert {k["ring"] for k in before} == {"platform", "auth"}
    assert all("private" not in name for k in before for name in k)
    (old,) = [k for k in before if k["ring"] == "platform" and k["status"] == "active"]
    code = _ok(client.post(f"/v1/entities/{HUAWEI['uscc']}/codes", json={}, headers=admin), 201)
    assert code["kid"] == old["kid"]

    new = _ok(client.post("/v1/keys/rotate", json={"ring": "platform"}, headers=admin))
    assert new["ring"] == "platform" and new["status"] == "active" and new["kid"] != old["kid"]
    platform = {
        k["kid"]: k["status"]
        for k in _ok(client.get("/v1/keys", params={"ring": "platform"}, headers=admin))
    }
    assert platform == {old["kid"]: "verify-only", new["kid"]: "active"}

    fresh = _ok(client.post(f"/v1/entities/{HUAWEI['uscc']}/codes", json={}, headers=admin), 201)
    assert fresh["kid"] == new["kid"]
    for issued in (code, fresh):
        verdict = _ok(
            client.post("/v1/codes/verify", json={"payload": issued["payload"]}, headers=admin)
        )
        assert verdict["valid"] is True, verdict
    unknown = client.post("/v1/keys/rotate", json={"ring": "issuer"}, headers=admin)
    assert_problem(unknown, 422, "validation")


def test_rotating_the_auth_ring_trusts_new_tokens_at_once_and_old_ones_still(
    client: TestClient, auth: Auth
) -> None:
    admin = auth.admin()
    assert _ok(client.get("/v1/keys", headers=admin))  # the token keys are now cached
    old = _ok(client.post("/v1/keys/rotate", json={"ring": "auth"}, headers=admin))
    newer = auth.admin()  # signed by the key just made active
    keys = _ok(client.get("/v1/keys", params={"ring": "auth"}, headers=newer))
    assert [k["status"] for k in keys if k["kid"] == old["kid"]] == ["active"]
    assert len([k for k in keys if k["status"] == "verify-only"]) == 1
    assert _ok(client.get("/v1/keys", headers=admin))  # the old token still verifies
    login_jwks = _ok(client.get("/oauth/jwks.json"))
    assert old["kid"] in {k["kid"] for k in login_jwks["keys"]}
