"""/readyz answers 200 when the database answers and both signing rings can sign, and 503
with the failed checks - quickly, as JSON - when the database is down or hangs, or when the
master key cannot unseal the keys."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.settings import Settings

CHECKS = {"database", "platform_keys", "auth_keys"}


def _secret() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _readyz(settings: Settings) -> tuple[int, dict[str, object], float]:
    """GET /readyz on an app that does not prepare the database first (it may be down)."""
    started = time.monotonic()
    with TestClient(create_app(settings, prepare=False), raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json(), time.monotonic() - started


def test_ready_on_both_databases(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"ready": True, "checks": dict.fromkeys(CHECKS, "ok")}
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and then never says a word (a hung server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("where", ["closed-port", "hung-server", "missing-sqlite-file"])
def test_database_down_is_503_within_seconds(where: str, silent_port: int, tmp_path: Path) -> None:
    url = {
        "closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/x",
        "hung-server": f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/x",
        "missing-sqlite-file": f"sqlite:///{tmp_path / 'nowhere' / 'codeid.db'}",
    }[where]
    settings = Settings(
        data_dir=tmp_path / "data", database_url=url, master_key=_secret(), webhook_worker=False
    )
    status, body, seconds = _readyz(settings)
    assert status == 503
    assert body["ready"] is False
    checks = body["checks"]
    assert isinstance(checks, dict) and set(checks) == CHECKS
    assert str(checks["database"]).startswith("error: ")
    assert all(str(checks[ring]).startswith("unknown") for ring in ("platform_keys", "auth_keys"))
    assert seconds < 6, f"readyz took {seconds:.1f}s"
    # A readiness check creates nothing where the database should be.
    assert not (tmp_path / "nowhere").exists()


def test_wrong_master_key_is_503(client: TestClient, settings: Settings) -> None:
    assert client.get("/readyz").status_code == 200  # keys sealed under the right master key
    wrong = settings.model_copy(update={"master_key": SecretStr(_secret())})
    status, body, _ = _readyz(wrong)
    assert status == 503
    assert body == {
        "ready": False,
        "checks": {
            "database": "ok",
            "platform_keys": "error: KeyUnsealError",
            "auth_keys": "error: KeyUnsealError",
        },
    }
