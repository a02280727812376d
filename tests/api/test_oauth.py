"""OAuth 2.0 client credentials over real HTTP: Authlib's httpx client as the partner, our
tokens checked by pyjwt's PyJWKClient against /oauth/jwks.json, on a uvicorn server in a
thread (a free loopback port), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import PrivateKeyJWT  # type: ignore[import-untyped]
from fastapi import FastAPI
from joserfc.jwk import ECKey, OKPKey
from sqlalchemy import Engine

from api.runtime import Runtime
from api.settings import Settings
from codeid.accounts.tokens import AUDIENCE
from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.entities.data import EntityData
from codeid.entities.service import add_entity
from credentials.partners.clients import disable_client, register_client

USCC = "914403001922038216"
ALL_SCOPES = ["codes:verify", "licences:verify", "licences:read"]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def settings(
    engine: Engine, database_url: str, tmp_path: Path, listener: socket.socket
) -> Settings:
    """The conftest's settings, with the live server's address as the public (issuer) URL."""
    port = listener.getsockname()[1]
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        public_url=f"http://127.0.0.1:{port}",
    )


@pytest.fixture
def base(app: FastAPI, settings: Settings, listener: socket.socket) -> Iterator[str]:
    """The app served by uvicorn in a thread; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield settings.public_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def _static_code(runtime: Runtime) -> str:
    now = utcnow()
    with runtime.session() as session:
        data = EntityData(uscc=USCC, name="华为技术有限公司", entity_type="company")
        add_entity(session, data=data, actor="test", now=now)
        return runtime.issue_code(session, uscc=USCC, kind=CodeKind.STATIC, now=now).payload


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's assertions live an hour by default and ours must expire within five minutes.
    Authlib stores the jti in the claims dict it was given, so fresh claims every time."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        self.claims = {"exp": int(time.time()) + 120}
        return super().sign(auth, token_endpoint)


def _register(runtime: Runtime, **kwargs: Any) -> tuple[str, str | None]:
    arguments: dict[str, Any] = {"name": "Test Bank", "scopes": ALL_SCOPES} | kwargs
    with runtime.session() as session:
        registered = register_client(session, now=utcnow(), **arguments)
        return registered.client.client_id, registered.secret


def _call_verify_endpoints(oauth: Any, base: str, payload: str) -> None:
    """A partner's calls with the token Authlib holds: code verify, licence verify, match."""
    code = oauth.post(f"{base}/v1/codes/verify", json={"payload": payload, "purpose": "KYC"})
    assert code.status_code == 200, code.text
    answer = code.json()
    assert answer["valid"] is True and answer["uscc"] == USCC
    assert answer["entity"] == {"uscc": USCC, "name": "华为技术有限公司", "status": "active"}
    assert answer["licences"] == [] and "claims" not in answer  # the partner shape
    licence = oauth.post(f"{base}/v1/licences/verify", json={"licence": "x", "purpose": "KYC"})
    assert licence.status_code == 200 and licence.json()["reason"] == "malformed"
    body = {"holder_uscc": USCC, "licence_type": "food-business", "purpose": "KYC"}
    matched = oauth.post(
        f"{base}/v1/licences/match", json=body | {"fields": {"licence_number": "1"}}
    )
    assert matched.status_code == 404  # it holds no valid licence of that type: that is all
    assert matched.json()["type"] == "urn:codeid:problem:licence-not-found"


def _check_with_jwks(base: str, access_token: str, client_id: str) -> dict[str, Any]:
    """Verify our token as any resource server would: keys fetched from the JWKS URL."""
    signing_key = jwt.PyJWKClient(f"{base}/oauth/jwks.json").get_signing_key_from_jwt(access_token)
    claims: dict[str, Any] = jwt.decode(
        access_token, signing_key.key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=base
    )
    assert claims["sub"] == f"client:{client_id}" and claims["client_id"] == client_id
    assert jwt.get_unverified_header(access_token)["typ"] == "at+jwt"
    return claims


def test_metadata_points_at_the_token_endpoint_and_keys(base: str) -> None:
    meta = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == base and meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["jwks_uri"] == f"{base}/oauth/jwks.json"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "private_key_jwt",
    }
    assert meta["token_endpoint_auth_signing_alg_values_supported"] == ["EdDSA", "ES256", "RS256"]
    assert set(ALL_SCOPES) <= set(meta["scopes_supported"])
    keys = httpx.get(meta["jwks_uri"])
    assert keys.headers["content-type"].startswith("application/jwk-set+json")
    assert [k["kty"] for k in keys.json()["keys"]] == ["OKP"]


def test_client_secret_basic_with_authlib(base: str, runtime: Runtime) -> None:
    payload = _static_code(runtime)
    client_id, secret = _register(runtime)
    with OAuth2Client(client_id, secret, scope="codes:verify licences:verify") as oauth:
        token = oauth.fetch_token(f"{base}/oauth/token", grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["expires_in"] == 600
        assert token["scope"] == "codes:verify licences:verify"
        claims = _check_with_jwks(base, token["access_token"], client_id)
        assert claims["scope"] == "codes:verify licences:verify" and claims["role"] == "partner"
        assert claims["exp"] - claims["iat"] == 600
        _call_verify_endpoints(oauth, base, payload)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_private_key_jwt_with_authlib(base: str, runtime: Runtime, alg: str) -> None:
    payload = _static_code(runtime)
    key: Any = OKPKey.generate_key("Ed25519") if alg == "EdDSA" else ECKey.generate_key("P-256")
    public = key.as_dict(private=False) | {"kid": f"{alg}-key"}
    client_id, secret = _register(runtime, jwks={"keys": [public]}, with_secret=False)
    assert secret is None
    token_url = f"{base}/oauth/token"
    with OAuth2Client(client_id, key, token_endpoint_auth_method="private_key_jwt") as oauth:
        auth = ShortLivedPrivateKeyJWT(token_url, alg=alg, headers={"kid": public["kid"]})
        oauth.register_client_auth_method(auth)
        token = oauth.fetch_token(token_url, grant_type="client_credentials")
        assert token["scope"] == " ".join(sorted(ALL_SCOPES))
        _check_with_jwks(base, token["access_token"], client_id)
        _call_verify_endpoints(oauth, base, payload)
        # The same assertion a second time is a replay.
        assertion = auth.sign(oauth, token_url)
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
        assert httpx.post(token_url, data=form).status_code == 200
        replayed = httpx.post(token_url, data=form)
        assert replayed.status_code == 401 and "replay" in replayed.json()["error_description"]


def _oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"  # RFC 6749, not problem+json
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error and response.json()["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


def test_token_endpoint_errors_follow_rfc6749(base: str, runtime: Runtime) -> None:
    client_id, secret = _register(runtime, scopes=["codes:verify"])
    assert secret is not None
    url, grant = f"{base}/oauth/token", {"grant_type": "client_credentials"}
    basic = httpx.BasicAuth(client_id, secret)
    _oauth_error(
        httpx.post(url, data=grant, auth=httpx.BasicAuth(client_id, "x")), 401, "invalid_client"
    )
    _oauth_error(httpx.post(url, data=grant), 401, "invalid_client")
    posted = grant | {"client_id": client_id, "client_secret": secret}
    _oauth_error(httpx.post(url, data=posted), 401, "invalid_client")
    _oauth_error(httpx.post(url, data={}, auth=basic), 400, "invalid_request")
    _oauth_error(
        httpx.post(url, data={"grant_type": "password"}, auth=basic), 400, "unsupported_grant_type"
    )
    wider = grant | {"scope": "licences:read"}
    _oauth_error(httpx.post(url, data=wider, auth=basic), 400, "invalid_scope")
    _oauth_error(
        httpx.post(
            url,
            content="grant_type=client_credentials&grant_type=x",
            auth=basic,
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        400,
        "invalid_request",
    )
    assertion = grant | {"client_assertion_type": "urn:x", "client_assertion": "a.b.c"}
    _oauth_error(httpx.post(url, data=assertion), 400, "invalid_request")
    _oauth_error(httpx.post(url, data=assertion, auth=basic), 400, "invalid_request")
    assert httpx.post(url, data=grant, auth=basic).status_code == 200


def test_a_disabled_client_is_refused_at_once(base: str, runtime: Runtime) -> None:
    client_id, secret = _register(runtime)
    payload = _static_code(runtime)
    with OAuth2Client(client_id, secret) as oauth:
        oauth.fetch_token(f"{base}/oauth/token", grant_type="client_credentials")
        body = {"payload": payload, "purpose": "KYC"}
        assert oauth.post(f"{base}/v1/codes/verify", json=body).status_code == 200
        with runtime.session() as session:
            disable_client(session, client_id, now=utcnow())
        refused = oauth.post(f"{base}/v1/codes/verify", json=body)
        assert refused.status_code == 401
        assert refused.json()["type"] == "urn:codeid:problem:client-disabled"
    token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(client_id, secret or ""),
    )
    _oauth_error(token, 401, "invalid_client")


def test_cli_registers_a_client_whose_secret_authlib_uses(
    base: str, settings: Settings, tmp_path: Path
) -> None:
    key = OKPKey.generate_key("Ed25519")
    jwks_file = tmp_path / "partner.jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    env = dict(os.environ)
    env.update(
        CODEID_DATA_DIR=str(settings.data_dir),
        CODEID_DATABASE_URL=settings.database_url,
        CODEID_MASTER_KEY=settings.master_key.get_secret_value() if settings.master_key else "",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )

    def codeid(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli.main", "client", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = codeid(
        "add",
        "--name",
        "CLI Bank",
        "--scope",
        "codes:verify",
        "--jwks",
        str(jwks_file),
        "--rate",
        "30",
    )
    assert added.returncode == 0, added.stderr
    out = json.loads(added.stdout)
    assert (
        out["client_secret_basic"] and out["private_key_jwt"] and out["rate_limit_per_minute"] == 30
    )
    assert "shown only now" in added.stderr
    with OAuth2Client(out["client_id"], out["client_secret"]) as oauth:
        token = oauth.fetch_token(f"{base}/oauth/token", grant_type="client_credentials")
        assert token["scope"] == "codes:verify"
    listed = [json.loads(line) for line in codeid("list").stdout.splitlines()]
    assert [c["client_id"] for c in listed] == [out["client_id"]]
    assert all("client_secret" not in c for c in listed)
    assert json.loads(codeid("disable", out["client_id"]).stdout)["status"] == "disabled"
    bad = codeid("add", "--name", "X", "--scope", "codes:write")
    assert bad.returncode == 1 and bad.stderr.startswith("codeid: invalid-scope:")
