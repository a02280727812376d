"""Security headers on every answer (pages, API, refusals); no-store on personal data; HSTS
only behind an https public URL. (tests/web/test_pages_basics.py checks a live page too.)"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from codeid.clock import utcnow
from tests.api.callers import Auth
from tests.api.partner_world import GZ_AMR, make_world

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def _has_common_headers(headers: Mapping[str, str]) -> None:
    for name, value in COMMON.items():
        assert headers.get(name) == value, name
    permissions = headers.get("permissions-policy", "")
    assert "camera=(self)" in permissions and "microphone=()" in permissions
    assert "geolocation=()" in permissions


@pytest.mark.parametrize("path", ["/", "/portal", "/window", "/kiosk", "/check"])
def test_pages_get_every_header_and_a_strict_csp(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    _has_common_headers(page.headers)
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "strict-transport-security" not in page.headers  # http public URL: no HSTS


def test_api_answers_with_personal_data_are_not_stored(
    app: FastAPI, client: TestClient, auth: Auth
) -> None:
    make_world(app.state.runtime, utcnow())
    admin = auth.admin()
    for path in ("/auth/me", "/v1/entities", "/v1/users", "/v1/licence-types"):
        answer = client.get(path, headers=admin)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
        _has_common_headers(answer.headers)
    signin = client.post("/auth/login", json={"username": "nobody", "password": "x" * 12})
    assert signin.status_code == 401 and signin.headers["cache-control"] == "no-store"
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert token.headers["cache-control"] == "no-store"


def test_public_keys_and_static_files_keep_their_own_caching(
    app: FastAPI, client: TestClient
) -> None:
    make_world(app.state.runtime, utcnow())
    for path in (f"/v1/issuers/{GZ_AMR}/jwks.json", "/.well-known/jwks.json"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=300", path
    script = client.get("/static/api.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("cache-control", "")
    _has_common_headers(script.headers)


def test_refusals_carry_the_headers_too(client: TestClient, auth: Auth) -> None:
    missing = client.get("/v1/no-such-thing")
    too_big = client.post("/v1/codes/verify", content=b"{" * (70 * 1024), headers=auth.admin())
    foreign = client.post("/auth/logout", json={}, headers={"Origin": "https://evil.example"})
    for answer, status in ((missing, 404), (too_big, 413), (foreign, 403)):
        assert answer.status_code == status
        _has_common_headers(answer.headers)
        assert answer.headers["cache-control"] == "no-store"
        assert "content-security-policy" in answer.headers


def test_the_api_docs_page_gets_no_csp_but_the_rest(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    _has_common_headers(docs.headers)


@pytest.fixture
def https_client(settings: Settings) -> Iterator[TestClient]:
    update = {"public_url": "https://codeid.example.gov.cn"}
    app = create_app(settings.model_copy(update=update))
    with TestClient(app, base_url="https://codeid.example.gov.cn") as client:
        yield client


def test_hsts_only_behind_an_https_public_url(https_client: TestClient) -> None:
    for path in ("/", "/healthz", "/v1/licence-types"):
        answer = https_client.get(path)
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    # The https origin is our own: our pages' posts pass the cross-origin guard.
    same = https_client.post(
        "/auth/logout",
        json={"refresh_token": "made-up"},
        headers={"Origin": "https://codeid.example.gov.cn", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 401
    plain = https_client.post(
        "/auth/logout",
        json={"refresh_token": "x"},
        headers={"Origin": "http://codeid.example.gov.cn"},
    )
    assert plain.status_code == 403
