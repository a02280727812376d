"""Licences over HTTP: departments issue and change their own, anyone verifies."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws

from codeid.accounts.models import Role
from tests.api.callers import Auth, as_admin
from tests.api.test_api_entities import HUAWEI, assert_problem

NOBODY = {"Authorization": ""}  # overrides the module's default administrator
GZ_AMR = "11440100MB2C92747J"  # departments have USCCs too (check characters computed)
GZ_HEALTH = "12440100455351261A"


def _json(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    return cast(dict[str, Any], response.json())


@pytest.fixture
def client(client: TestClient, auth: Auth) -> TestClient:
    """Set-up calls go as an administrator; each department calls with its own user's token."""
    return as_admin(client, auth)


def _issuer(client: TestClient, auth: Auth, uscc: str, name: str, *types: str) -> dict[str, str]:
    """Register a department (as the administrator) and sign in one of its issuer users."""
    _json(client.post("/v1/issuers", json={"uscc": uscc, "name": name}))
    for licence_type in types:
        _json(client.post(f"/v1/issuers/{uscc}/trust", json={"licence_type": licence_type}))
    return auth.issuer(uscc)


def _sample_fields(client: TestClient, code: str) -> dict[str, Any]:
    types = {t["code"]: t for t in client.get("/v1/licence-types").json()}
    values: dict[str, Any] = {}
    for spec in types[code]["fields"]:
        if not spec["required"]:
            continue
        kind = spec["type"]
        values[spec["name"]] = {
            "date": "2020-05-01",
            "integer": 3,
            "number": 100.5,
            "boolean": True,
        }.get(kind, spec.get("options", ["示例"])[0] if kind == "enum" else "示例值")
    return values


def _issue(client: TestClient, auth: dict[str, str], code: str, number: str) -> dict[str, Any]:
    body = {
        "licence_type": code,
        "holder_uscc": HUAWEI["uscc"],
        "licence_number": number,
        "fields": _sample_fields(client, code),
        "valid_until": "2099-12-31",
    }
    response = client.post("/v1/licences", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


def _verdict(client: TestClient, licence: str) -> dict[str, Any]:
    return _json(client.post("/v1/licences/verify", json={"licence": licence}))


def test_admin_and_issuer_tokens_are_required(client: TestClient, auth: Auth) -> None:
    body = {"uscc": GZ_AMR, "name": "广州市市场监督管理局"}
    assert_problem(client.post("/v1/issuers", json=body, headers=NOBODY), 401, "unauthenticated")
    clerk = auth.user(Role.CLERK)[1]
    assert_problem(client.post("/v1/issuers", json=body, headers=clerk), 403, "forbidden")
    wrong = {"Authorization": "Bearer nope"}
    assert_problem(client.post("/v1/issuers", json=body, headers=wrong), 401, "token-invalid")
    client.post("/v1/entities", json=HUAWEI)
    licence = {
        "licence_type": "food-business",
        "holder_uscc": HUAWEI["uscc"],
        "licence_number": "JY14401060000001",
        "fields": {},
    }
    assert_problem(
        client.post("/v1/licences", json=licence, headers=NOBODY), 401, "unauthenticated"
    )
    assert_problem(client.post("/v1/licences", json=licence, headers=wrong), 401, "token-invalid")
    # The administrator is not a department: issuing is for issuer users only.
    assert_problem(client.post("/v1/licences", json=licence), 403, "forbidden")


def test_lifecycle_verification_and_department_boundaries(client: TestClient, auth: Auth) -> None:
    client.post("/v1/entities", json=HUAWEI)
    amr = _issuer(client, auth, GZ_AMR, "广州市市场监督管理局", "food-business")
    health = _issuer(client, auth, GZ_HEALTH, "广州市卫生健康委员会", "food-business")

    untrusted = client.post(
        "/v1/licences",
        headers=amr,
        json={
            "licence_type": "tobacco-retail",
            "holder_uscc": HUAWEI["uscc"],
            "licence_number": "440106000001",
            "fields": _sample_fields(client, "tobacco-retail"),
        },
    )
    assert_problem(untrusted, 409, "issuer-not-trusted")

    licence = _issue(client, amr, "food-business", "JY14401060000001")
    identifier = licence["identifier"]
    assert identifier.startswith("1.2.156.3005.2.")
    for form in (licence["jws"], identifier):
        assert _verdict(client, form)["reason"] == "ok"

    other = client.post(f"/v1/licences/{identifier}/suspend", json={"reason": "x"}, headers=health)
    assert_problem(other, 403, "forbidden-issuer")

    _json(client.post(f"/v1/licences/{identifier}/suspend", json={"reason": "检查"}, headers=amr))
    assert _verdict(client, identifier)["reason"] == "suspended"
    _json(
        client.post(f"/v1/licences/{identifier}/resume", json={"reason": "整改完成"}, headers=amr)
    )
    assert _verdict(client, identifier)["valid"] is True

    amended = _json(
        client.post(
            f"/v1/licences/{identifier}/amend",
            headers=amr,
            json={"fields": {}, "valid_until": "2098-12-31", "reason": "延续"},
        )
    )
    assert amended["version"] == 2 and amended["previous_identifier"] == identifier
    assert _verdict(client, identifier)["reason"] == "superseded"
    assert _verdict(client, amended["identifier"])["valid"] is True

    _json(
        client.post(
            f"/v1/licences/{amended['identifier']}/revoke", headers=amr, json={"reason": "违法经营"}
        )
    )
    assert _verdict(client, amended["identifier"])["reason"] == "revoked"
    events = client.get(f"/v1/licences/{amended['identifier']}/events").json()
    assert [e["action"] for e in events][-1] == "revoked"
    assert events[-1]["reason"] == "违法经营"

    tampered = licence["jws"][:-4] + ("AAAA" if not licence["jws"].endswith("AAAA") else "BBBB")
    assert _verdict(client, tampered)["reason"] in ("bad-signature", "malformed")
    malformed = client.get("/v1/licences/1.2.156.3005.2.X")
    assert_problem(malformed, 422, "licence-identifier-invalid-segments")
    unknown = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S"
    assert_problem(client.get(f"/v1/licences/{unknown}"), 404, "licence-not-found")


def test_independent_jose_and_status_list_decoding(client: TestClient, auth: Auth) -> None:
    client.post("/v1/entities", json=HUAWEI)
    amr = _issuer(client, auth, GZ_AMR, "广州市市场监督管理局", "food-business")
    licence = _issue(client, amr, "food-business", "JY14401060000002")

    keys = jwk.JWKSet.from_json(client.get(f"/v1/issuers/{GZ_AMR}/jwks.json").text)
    token = jws.JWS()
    token.deserialize(licence["jws"])
    token.verify(keys)  # raises on a bad signature
    claims = json.loads(token.payload)
    assert claims["iss"] == GZ_AMR and claims["sub"] == HUAWEI["uscc"]
    reference = claims["status"]["status_list"]

    _json(
        client.post(
            f"/v1/licences/{licence['identifier']}/suspend", json={"reason": "x"}, headers=amr
        )
    )
    response = client.get(reference["uri"])
    assert response.headers["content-type"].startswith("application/statuslist+jwt")
    assert "max-age" in response.headers["cache-control"] and response.headers["etag"]
    again = client.get(reference["uri"], headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304

    platform = jwk.JWKSet.from_json(client.get("/.well-known/jwks.json").text)
    status_token = jws.JWS()
    status_token.deserialize(response.text)
    status_token.verify(platform)
    status_claims = json.loads(status_token.payload)
    assert status_claims["sub"] == reference["uri"]  # the list the licence points to
    status_list = status_claims["status_list"]
    raw = zlib.decompress(base64.urlsafe_b64decode(status_list["lst"] + "=="))
    index = reference["idx"]
    value = (raw[index * 2 // 8] >> ((index * 2) % 8)) & 0b11
    assert value == 2  # suspended


def test_code_resolution_shows_licences_and_match_discloses_nothing(
    client: TestClient, auth: Auth
) -> None:
    client.post("/v1/entities", json=HUAWEI)
    amr = _issuer(client, auth, GZ_AMR, "广州市市场监督管理局", "food-business")
    licence = _issue(client, amr, "food-business", "JY14401060000003")
    payload = _json(client.post(f"/v1/entities/{HUAWEI['uscc']}/codes", json={"kind": "dynamic"}))
    answer = _json(client.post("/v1/codes/verify", json={"payload": payload["payload"]}))
    assert [v["identifier"] for v in answer["licences"]] == [licence["identifier"]]
    assert answer["licences"][0]["status"] == "valid"

    matched = _json(
        client.post(
            "/v1/licences/match",
            json={
                "holder_uscc": HUAWEI["uscc"],
                "licence_type": "food-business",
                "fields": {"licence_number": "JY14401060000003"},
            },
        )
    )
    assert matched == {"matches": {"licence_number": True}}
    wrong = _json(
        client.post(
            "/v1/licences/match",
            json={
                "holder_uscc": HUAWEI["uscc"],
                "licence_type": "food-business",
                "fields": {"licence_number": "JY00000000000000"},
            },
        )
    )
    assert wrong == {"matches": {"licence_number": False}}
    assert "JY14401060000003" not in json.dumps(wrong)

    trust = client.get("/v1/trust-list").json()
    assert GZ_AMR in json.dumps(trust)
