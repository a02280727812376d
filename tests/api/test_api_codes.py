"""Issue, render, verify and scan business codes over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from codeid.clock import utcnow
from tests.api.callers import Auth, as_admin
from tests.api.conftest import Clock
from tests.api.test_api_entities import HUAWEI, TENCENT, assert_problem


@pytest.fixture
def client(client: TestClient, auth: Auth) -> TestClient:
    """These tests are about what the API does; who may call it is tests/api/test_route_roles.py."""
    return as_admin(client, auth)


def _entity(client: TestClient, data: dict[str, str] = HUAWEI) -> str:
    assert client.post("/v1/entities", json=data).status_code == 201
    return str(data["uscc"])


def _issue(client: TestClient, uscc: str, kind: str = "dynamic") -> dict[str, Any]:
    response = client.post(f"/v1/entities/{uscc}/codes", json={"kind": kind})
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


def _verify(client: TestClient, payload: str) -> dict[str, Any]:
    response = client.post("/v1/codes/verify", json={"payload": payload})
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


def test_issue_and_verify_both_kinds(client: TestClient) -> None:
    uscc = _entity(client)
    for kind in ("static", "dynamic"):
        issued = _issue(client, uscc, kind)
        assert issued["qr_version"] <= 10
        answer = _verify(client, issued["payload"])
        assert answer["valid"] is True and answer["reason"] == "ok"
        assert answer["entity"]["uscc"] == uscc
        assert answer["claims"]["kind"] == kind


def test_refusals_are_told_apart(client: TestClient, clock: Clock) -> None:
    uscc = _entity(client)
    payload = _issue(client, uscc)["payload"]
    middle = len(payload) // 2
    swapped = "A" if payload[middle] != "A" else "B"
    tampered = payload[:middle] + swapped + payload[middle + 1 :]
    assert _verify(client, tampered)["reason"] in ("bad-signature", "malformed")
    assert _verify(client, "https://example.com/")["reason"] == "not-codeid"
    assert _verify(client, "CID9:" + payload[5:])["reason"] == "unsupported-version"

    clock.now = utcnow() + timedelta(minutes=10)
    expired = _verify(client, payload)
    assert (expired["valid"], expired["reason"]) == (False, "expired")
    clock.now = None

    static = _issue(client, uscc, "static")
    client.post(f"/v1/codes/static/{static['code_id']}/revoke", json={"reason": "lost sticker"})
    assert _verify(client, static["payload"])["reason"] == "revoked"

    client.post(f"/v1/entities/{uscc}/status", json={"status": "suspended", "reason": "audit"})
    assert _verify(client, _issue_raw_ok(client, TENCENT))["reason"] == "ok"
    assert _verify(client, payload)["reason"] == "entity-not-active"


def _issue_raw_ok(client: TestClient, data: dict[str, str]) -> str:
    return str(_issue(client, _entity(client, data))["payload"])


def test_issuing_for_unknown_entity_is_404(client: TestClient) -> None:
    response = client.post("/v1/entities/914403001922038216/codes", json={"kind": "static"})
    assert_problem(response, 404, "entity-not-found")


def test_svg_png_and_scan_round_trip(client: TestClient) -> None:
    uscc = _entity(client)
    svg = client.get(f"/v1/entities/{uscc}/code.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["cache-control"] == "no-store"
    assert b"<svg" in svg.content

    png = client.get(f"/v1/entities/{uscc}/code.png", params={"kind": "static"})
    assert png.headers["content-type"] == "image/png"
    image = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.shape[0] > 100

    scanned = client.post("/v1/scans", files={"image": ("code.png", png.content, "image/png")})
    assert scanned.status_code == 200, scanned.text
    codes = scanned.json()["codes"]
    assert len(codes) == 1
    assert codes[0]["verification"]["valid"] is True
    assert codes[0]["verification"]["entity"]["uscc"] == uscc

    typed = client.post("/v1/scans/text", json={"text": "  " + codes[0]["text"] + "\r\n"})
    assert typed.json()["valid"] is True


def test_scan_rejects_bad_images_clearly(client: TestClient) -> None:
    empty = client.post("/v1/scans", files={"image": ("x.png", b"", "image/png")})
    assert_problem(empty, 422, "empty-image")
    junk = client.post("/v1/scans", files={"image": ("x.png", b"not an image at all", "image/png")})
    assert_problem(junk, 422, "not-an-image")
    missing = client.post("/v1/scans")
    assert_problem(missing, 422, "validation")


def test_jwks_and_health(client: TestClient) -> None:
    jwks = client.get("/.well-known/jwks.json").json()
    key = jwks["keys"][0]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_checkin_photo_without_a_valid_code_is_refused(client: TestClient) -> None:
    from codeid.codes.qr import render_png

    other = render_png("HTTPS://EXAMPLE.COM/MENU")  # a QR code, but not a business code
    response = client.post("/v1/checkins/scan", files={"image": ("qr.png", other, "image/png")})
    assert_problem(response, 422, "no-code-found")
