"""CORS only for the configured origins; unsafe requests from foreign pages are refused (CSRF).

The test app's own origin is its public_url, http://testserver. Browsers mark their requests
with Origin and Sec-Fetch-Site; here the tests set those headers as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.deps import get_now
from api.edge.origins import BadOrigin, normalise_origin
from api.settings import Settings
from codeid.limits.models import RateCounter
from tests.api.callers import Auth
from tests.api.conftest import Clock

OWN = "http://testserver"
PORTAL = "https://portal.example.gov.cn"
EVIL = "https://evil.example"
CSRF = "urn:codeid:problem:csrf-refused"


@pytest.fixture
def cors_client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The app with one cross-origin caller configured (spelled as an operator might)."""
    app = create_app(settings.model_copy(update={"cors_origins": [PORTAL.upper() + ":443/"]}))
    app.dependency_overrides[get_now] = clock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _preflight(client: TestClient, origin: str, method: str = "POST") -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    answer: httpx.Response = client.options("/v1/codes/verify", headers=headers)
    return answer


def test_without_cors_origins_no_cross_origin_reads_are_allowed(client: TestClient) -> None:
    preflight = _preflight(client, PORTAL)
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code != 200  # no CORS layer: OPTIONS is not a route here
    plain = client.get("/v1/licence-types", headers={"Origin": PORTAL})
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers


def test_a_configured_origin_may_call_with_a_bearer_token_and_no_credentials(
    cors_client: TestClient,
) -> None:
    allowed = _preflight(cors_client, PORTAL)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert "access-control-allow-credentials" not in allowed.headers
    methods = {m.strip() for m in allowed.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    headers = allowed.headers["access-control-allow-headers"].lower()
    assert "authorization" in headers and "content-type" in headers
    assert "cookie" not in headers
    # A request header the API does not use is not allowed.
    odd = cors_client.options(
        "/v1/codes/verify",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-something-else",
        },
    )
    assert odd.status_code == 400
    read = cors_client.get("/v1/licence-types", headers={"Origin": PORTAL})
    assert read.headers["access-control-allow-origin"] == PORTAL
    assert "retry-after" in read.headers["access-control-expose-headers"].lower()
    # The caller's unsafe requests pass the cross-origin guard (here: a logout that fails
    # on its made-up token, not on the guard).
    logout = cors_client.post(
        "/auth/logout",
        json={"refresh_token": "made-up"},
        headers={"Origin": PORTAL, "Sec-Fetch-Site": "cross-site"},
    )
    assert logout.status_code == 401
    assert logout.headers["access-control-allow-origin"] == PORTAL


def test_another_origin_gets_no_cors_answer(cors_client: TestClient) -> None:
    refused = _preflight(cors_client, EVIL)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    read = cors_client.get("/v1/licence-types", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in read.headers
    # A look-alike of the allowed origin is another origin.
    lookalike = _preflight(cors_client, "https://portal.example.gov.cn.evil.example")
    assert "access-control-allow-origin" not in lookalike.headers
    assert _preflight(cors_client, "http://portal.example.gov.cn").status_code == 400
    posted = cors_client.post("/auth/logout", json={"refresh_token": "x"}, headers={"Origin": EVIL})
    assert posted.status_code == 403 and posted.json()["type"] == CSRF


# The three "simple" bodies a foreign page can post with a plain <form>, no preflight.
FORMS = ("urlencoded", "multipart", "text/plain")
PATHS = {"urlencoded": "/oauth/token", "multipart": "/v1/scans", "text/plain": "/v1/codes/verify"}
FOREIGN = {
    "other origin": {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
    "other origin, old browser": {"Origin": EVIL},
    "sibling site": {"Origin": "https://other.testserver", "Sec-Fetch-Site": "same-site"},
    "cross-site, no origin": {"Sec-Fetch-Site": "cross-site"},
    "same-site, no origin": {"Sec-Fetch-Site": "same-site"},
    "opaque origin": {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    "same origin but over https": {"Origin": "https://testserver"},
}


def _post(client: TestClient, kind: str, headers: dict[str, str]) -> httpx.Response:
    path = PATHS[kind]
    answer: httpx.Response
    if kind == "urlencoded":
        answer = client.post(path, data={"grant_type": "client_credentials"}, headers=headers)
    elif kind == "multipart":
        image = ("code.png", b"\x89PNG not really", "image/png")
        answer = client.post(path, files={"image": image}, headers=headers)
    else:
        plain = {**headers, "Content-Type": "text/plain"}
        answer = client.post(path, content=b'{"payload": "CID1:x"}', headers=plain)
    return answer


@pytest.mark.parametrize("kind", FORMS)
@pytest.mark.parametrize("where", FOREIGN)
def test_form_posts_from_foreign_pages_are_refused(
    client: TestClient, auth: Auth, kind: str, where: str
) -> None:
    answer = _post(client, kind, {**auth.admin(), **FOREIGN[where]})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == CSRF


@pytest.mark.parametrize("kind", FORMS)
def test_form_posts_from_our_own_pages_and_from_servers_pass(
    client: TestClient, auth: Auth, kind: str
) -> None:
    admin = auth.admin()
    expected = {"urlencoded": 401, "multipart": 422, "text/plain": 422}[kind]
    for headers in (
        {"Origin": OWN, "Sec-Fetch-Site": "same-origin"},
        {"Origin": OWN + ":80"},  # the same origin, spelled with its default port
        # Opened by another name than public_url (localhost for 127.0.0.1): the Host it
        # was sent to is the page's own.
        {"Origin": "http://localhost:8000", "Host": "localhost:8000"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar, a bookmark
        {},  # no browser at all: a partner's server, the CLI
    ):
        answer = _post(client, kind, {**admin, **headers})
        assert answer.status_code == expected, (headers, answer.text)
        assert answer.json().get("type") != CSRF


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_unsafe_method_is_guarded(client: TestClient, method: str) -> None:
    answer = client.request(method, "/v1/hall", headers={"Origin": EVIL})
    assert answer.status_code == 403 and answer.json()["type"] == CSRF
    assert client.request(method, "/v1/hall").status_code != 403  # 401: no token


def test_safe_methods_are_not_guarded(client: TestClient) -> None:
    foreign = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
    assert client.get("/check", headers=foreign).status_code == 200  # the GET form
    assert client.head("/healthz", headers=foreign).status_code != 403


def test_a_refused_request_never_reaches_the_route(app: FastAPI, client: TestClient) -> None:
    body = {"username": "root", "password": "whatever it is"}
    refused = client.post("/auth/login", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    with Session(app.state.runtime.engine) as session:  # no sign-in attempt was counted
        assert session.exec(select(RateCounter)).all() == []
    assert client.post("/auth/login", json=body).status_code == 401


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://Portal.Example.gov.cn", "https://portal.example.gov.cn"),
        ("https://portal.example.gov.cn:443/", "https://portal.example.gov.cn"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_origins_are_compared_as_browsers_spell_them(text: str, origin: str) -> None:
    assert normalise_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    ["*", "portal.example.gov.cn", "https://*.example.gov.cn", "https://a.cn/path", "ftp://a"],
)
def test_a_bad_cors_origin_stops_the_app_from_starting(settings: Settings, text: str) -> None:
    with pytest.raises(BadOrigin):
        create_app(settings.model_copy(update={"cors_origins": [text]}))
