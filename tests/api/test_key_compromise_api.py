"""The key compromise drill over HTTP and from the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from codeid.accounts.models import Role
from tests.api.callers import Auth, Headers
from tests.api.test_api_entities import HUAWEI, assert_problem
from tests.api.test_cli import Codeid, codeid  # noqa: F401 - the fixture, shared

USCC = HUAWEI["uscc"]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _verify(client: TestClient, headers: Headers, payload: str, **extra: str) -> Any:
    return _ok(client.post("/v1/codes/verify", json={"payload": payload, **extra}, headers=headers))


def _platform(client: TestClient, admin: Headers) -> dict[str, str]:
    keys = _ok(client.get("/v1/keys", params={"ring": "platform"}, headers=admin))
    return {key["kid"]: key["status"] for key in keys}


def test_compromising_the_platform_key_refuses_its_codes_and_reissues(
    client: TestClient, auth: Auth
) -> None:
    admin = auth.admin()
    _ok(client.post("/v1/entities", json=HUAWEI, headers=admin), 201)
    codes = f"/v1/entities/{USCC}/codes"
    static = _ok(client.post(codes, json={"kind": "static"}, headers=admin), 201)
    dynamic = _ok(client.post(codes, json={"kind": "dynamic"}, headers=admin), 201)
    old = static["kid"]
    assert _verify(client, admin, static["payload"])["valid"] is True

    done = _ok(client.post(f"/v1/keys/{old}/compromise", headers=admin))
    assert done["key"]["kid"] == old and done["key"]["status"] == "compromised"
    assert done["key"]["compromised_at"] and done["active"]["kid"] != old
    assert done["reissue"] == {
        "entities": 1,
        "revoked": 1,
        "reissued": 1,
        "skipped": 0,
        "batches": 1,
    }
    new = done["active"]["kid"]
    assert _platform(client, admin) == {old: "compromised", new: "active"}
    jwks = _ok(client.get("/.well-known/jwks.json"))
    assert [key["kid"] for key in jwks["keys"]] == [new]

    # Staff, a partner and the public check all see the new reason.
    _, partner = auth.partner(["codes:verify"])
    for code in (static, dynamic):
        answer = _verify(client, admin, code["payload"])
        assert (answer["valid"], answer["reason"]) == (False, "key-compromised")
        narrow = _verify(client, partner, code["payload"], purpose="account opening")
        assert (narrow["valid"], narrow["reason"]) == (False, "key-compromised")
        assert "entity" not in narrow or narrow["entity"] is None
    public = _ok(client.get("/v1/public/check", params={"code": static["payload"]}))
    assert (public["valid"], public["reason"]) == (False, "key-compromised")

    # The business gets its current static code the usual way: signed with the new key.
    fresh = _ok(client.post(codes, json={"kind": "static"}, headers=admin), 201)
    assert fresh["kid"] == new and _verify(client, admin, fresh["payload"])["valid"] is True

    again = _ok(client.post(f"/v1/keys/{old}/compromise", json={}, headers=admin))
    assert again["key"]["compromised_at"] == done["key"]["compromised_at"]
    assert again["active"]["kid"] == new
    assert again["reissue"]["revoked"] == again["reissue"]["reissued"] == 0


def test_without_reissue_and_refusals(client: TestClient, auth: Auth) -> None:
    admin = auth.admin()
    _ok(client.post("/v1/entities", json=HUAWEI, headers=admin), 201)
    static = _ok(
        client.post(f"/v1/entities/{USCC}/codes", json={"kind": "static"}, headers=admin), 201
    )
    url = f"/v1/keys/{static['kid']}/compromise"
    clerk = auth.user(Role.CLERK)[1]
    assert_problem(client.post(url, headers=clerk), 403, "forbidden")
    assert_problem(client.post(url), 401, "unauthenticated")
    missing = client.post("/v1/keys/AAAAAAAAAAA/compromise", headers=admin)
    assert_problem(missing, 404, "key-not-found")
    assert_problem(client.post("/v1/keys/a%20b/compromise", headers=admin), 422, "validation")

    done = _ok(client.post(url, json={"reissue": False}, headers=admin))
    assert done["reissue"] is None
    # Not re-issued: the old code is still on record and unrevoked, but refused all the same.
    assert _verify(client, admin, static["payload"])["reason"] == "key-compromised"


def test_compromising_the_auth_key_ends_the_tokens_it_signed(
    client: TestClient, auth: Auth
) -> None:
    admin = auth.admin()
    keys = _ok(client.get("/v1/keys", params={"ring": "auth"}, headers=admin))
    (active,) = [key["kid"] for key in keys if key["status"] == "active"]
    done = _ok(client.post(f"/v1/keys/{active}/compromise", headers=admin))
    assert done["key"]["ring"] == "auth" and done["reissue"] is None
    assert client.get("/v1/keys", headers=admin).status_code == 401  # at once, not in 30 s
    fresh = auth.admin()  # signed by the new active key
    statuses = {k["kid"]: k["status"] for k in _ok(client.get("/v1/keys", headers=fresh))}
    assert statuses[active] == "compromised"
    login_jwks = _ok(client.get("/oauth/jwks.json"))
    assert active not in {key["kid"] for key in login_jwks["keys"]}


def test_the_drill_from_the_command_line(codeid: Codeid, tmp_path: Path) -> None:  # noqa: F811
    codeid("entity", "add", "--uscc", USCC, "--name", "华为")
    static = codeid("code", "issue", USCC).stdout.splitlines()[-1]
    dynamic = codeid("code", "issue", USCC, "--dynamic").stdout.splitlines()[-1]
    (old,) = [json.loads(line)["kid"] for line in codeid("keys", "list").stdout.splitlines()]

    out = tmp_path / "replacements.jsonl"
    done = json.loads(codeid("keys", "compromise", old, "--batch", "1", "--out", str(out)).stdout)
    assert done["status"] == "compromised" and done["active_kid"] != old
    assert done["reissue"] == {
        "entities": 1,
        "revoked": 1,
        "reissued": 1,
        "skipped": 0,
        "batches": 1,
    }
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    assert line["uscc"] == USCC and len(line["revoked"]) == 1

    for payload in (static, dynamic):
        refused = codeid("code", "verify", payload, ok=False)
        assert refused.returncode == 1
        assert json.loads(refused.stdout)["reason"] == "key-compromised"
    new = json.loads(codeid("code", "verify", line["payload"]).stdout)
    assert new["valid"] is True

    jwks = tmp_path / "jwks.json"
    jwks.write_text(codeid("keys", "jwks").stdout)
    offline = codeid("code", "verify", static, "--jwks", str(jwks), ok=False)
    assert json.loads(offline.stdout)["reason"] == "unknown-key"  # the JWKS names no kid

    again = json.loads(codeid("keys", "compromise", old).stdout)
    assert again["reissue"]["revoked"] == again["reissue"]["reissued"] == 0
    keys = [json.loads(text) for text in codeid("keys", "list").stdout.splitlines()]
    assert sorted(k["status"] for k in keys) == ["active", "compromised"]
    assert codeid("keys", "retire", old, ok=False).returncode != 0

    missing = codeid("keys", "compromise", "AAAAAAAAAAA", ok=False)
    assert missing.returncode != 0 and "key-not-found" in missing.stderr
    assert missing.stderr.strip().count("\n") == 0
