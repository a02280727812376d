"""Logs are JSON lines carrying the request id, and never carry a secret.

The handler under test is the one `codeid serve` installs (api.observability.logs), attached
to the root logger while the real app signs a user in, verifies a code, checks a static
code publicly, reads a licence and refreshes the sign-in.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.observability.logs import logging_config, redact, stream_handler
from codeid.accounts.models import Role
from tests.api.callers import Auth, bearer
from tests.api.test_api_entities import HUAWEI
from tests.api.test_api_licences import GZ_AMR, _issuer, _sample_fields


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """Every line, parsed: a line that is not one JSON object fails the test here."""
        parsed = [json.loads(line) for line in self.text.splitlines()]
        assert all(isinstance(record, dict) for record in parsed)
        return parsed

    def access(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "codeid.access"]


@pytest.fixture
def captured() -> Iterator[Captured]:
    """The JSON handler of `codeid serve` on the root logger, at INFO, for one test."""
    capture = Captured()
    handler = stream_handler("json", capture.stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_working_session_logs_json_with_request_ids_and_no_secrets(
    client: TestClient, auth: Auth, captured: Captured
) -> None:
    password = "Pw-" + secrets.token_urlsafe(12)
    auth.user(Role.ADMIN, username="observer", password=password)
    admin = auth.admin()
    client.post("/v1/entities", json=HUAWEI, headers=admin)
    client.headers.update(admin)  # _issuer registers the department as the administrator
    department = _issuer(client, auth, GZ_AMR, "广州市市场监督管理局", "food-business")
    del client.headers["Authorization"]
    marker = "经营者-" + secrets.token_hex(4)
    fields = {
        name: (marker if value == "示例值" else value)
        for name, value in _sample_fields(client, "food-business").items()
    }
    assert marker in fields.values()
    body = {
        "licence_type": "food-business",
        "holder_uscc": HUAWEI["uscc"],
        "licence_number": "JY14401060000077",
        "fields": fields,
        "valid_until": "2099-12-31",
    }
    issued = client.post("/v1/licences", json=body, headers=department)
    assert issued.status_code == 201, issued.text
    identifier = issued.json()["identifier"]
    captured.stream.truncate(0)
    captured.stream.seek(0)

    # Sign in, then work with the tokens that gave.
    login = client.post("/auth/login", json={"username": "observer", "password": password})
    assert login.status_code == 200, login.text
    access, refresh = login.json()["access_token"], login.json()["refresh_token"]
    signed_in = bearer(access)
    codes = {}
    for kind in ("dynamic", "static"):
        made = client.post(
            f"/v1/entities/{HUAWEI['uscc']}/codes", json={"kind": kind}, headers=signed_in
        )
        codes[kind] = made.json()["payload"]
    verify = client.post(
        "/v1/codes/verify",
        json={"payload": codes["dynamic"]},
        headers=signed_in | {"X-Request-ID": "trace-42"},
    )
    assert verify.json()["valid"] is True
    assert verify.headers["x-request-id"] == "trace-42"
    public = client.get("/v1/public/check", params={"code": codes["static"]})
    assert public.json()["valid"] is True
    licence = client.get(f"/v1/licences/{identifier}", headers=signed_in)
    assert licence.status_code == 200 and marker in licence.json()["fields"].values()
    again = client.post("/auth/refresh", json={"refresh_token": refresh})
    assert again.status_code == 200, again.text
    # A careless log call elsewhere: the handler still keeps the token out.
    logging.getLogger("codeid.test").warning("calling with Authorization: Bearer %s", access)

    lines = captured.access()
    answers = [login, verify, public, licence, again]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert len(set(ids)) == len(ids)
    by_id = {line["request_id"]: line for line in lines}
    for answer, request_id in zip(answers, ids, strict=True):
        line = by_id[request_id]  # one access line per request, under its id
        assert line["status"] == answer.status_code
        assert line["duration_ms"] >= 0 and line["client"] == "testclient"
    assert by_id["trace-42"]["route"] == "/v1/codes/verify"
    check = by_id[public.headers["x-request-id"]]
    assert (check["path"], check["route"]) == ("/v1/public/check", "/v1/public/check")
    assert by_id[licence.headers["x-request-id"]]["route"] == "/v1/licences/{identifier}"

    text = captured.text
    secrets_seen = {
        "password": password,
        "access token": access,
        "refresh token": refresh,
        "new access token": again.json()["access_token"],
        "new refresh token": again.json()["refresh_token"],
        "dynamic code": codes["dynamic"],
        "static code": codes["static"],
        "licence field value": marker,
        "licence JWS": licence.json()["jws"],
    }
    leaked = [name for name, value in secrets_seen.items() if value in text]
    assert leaked == [], f"in the logs: {leaked}"
    assert "Bearer [redacted]" in text


def test_request_ids_taken_only_when_safe(client: TestClient, captured: Captured) -> None:
    for given in ("x" * 65, "<script>", "a b", ""):
        answer = client.get("/healthz", headers={"X-Request-ID": given})
        assert answer.headers["x-request-id"] != given
        assert len(answer.headers["x-request-id"]) == 32  # a fresh uuid4, hex
    kept = client.get("/healthz", headers={"X-Request-ID": "lb.7f:9a-01_x"})
    assert kept.headers["x-request-id"] == "lb.7f:9a-01_x"
    assert [line["request_id"] for line in captured.access()][-1] == "lb.7f:9a-01_x"


def test_an_unexpected_error_names_its_request(
    app: FastAPI, client: TestClient, auth: Auth, captured: Captured
) -> None:
    token = auth.admin()["Authorization"].removeprefix("Bearer ")

    def broken() -> None:
        raise RuntimeError(f"bug while holding Bearer {token}")

    app.add_api_route("/test-only/broken", broken)
    answer = client.get("/test-only/broken", headers={"X-Request-ID": "incident-7"})
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "incident-7"
    assert answer.json()["request_id"] == "incident-7"
    records = captured.records()
    error = next(r for r in records if r["message"].startswith("unhandled error"))
    assert error["request_id"] == "incident-7" and "request incident-7" in error["message"]
    assert error["incident"] in answer.json()["detail"]
    assert "RuntimeError" in error["exc_info"] and token not in captured.text
    access = [r for r in captured.access() if r["request_id"] == "incident-7"]
    assert [r["status"] for r in access] == [500]


def test_text_format_and_the_serve_configuration() -> None:
    stream = io.StringIO()
    handler = stream_handler("text", stream)
    record = logging.LogRecord("codeid", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    handler.handle(record)
    assert stream.getvalue().rstrip().endswith("INFO codeid [-] hello x")

    config = logging_config("json", "warning")
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"]["propagate"] is False  # ours replaces it
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(config)
        (installed,) = root.handlers
        assert type(installed.formatter).__name__ == "JsonFormatter"
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    with pytest.raises(ValueError, match="log format"):
        logging_config("xml", "info")
    with pytest.raises(ValueError, match="log level"):
        logging_config("json", "loud")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "Authorization: Bearer "),
        ('{"password": "hunter2", "user": "li"}', '"user": "li"'),
        ("refresh with rt_" + "A" * 43, "refresh with "),
        ("client cs_" + "b" * 43 + " ok", " ok"),
        ("scanned CID1:6BFOXN*TS0BI$ZDFRH and more", "scanned "),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic "),
    ],
)
def test_redaction(text: str, kept: str) -> None:
    cleaned = redact(text)
    assert "[redacted]" in cleaned and kept in cleaned
    for secret in ("eyJzdWIiOi", "hunter2", "A" * 43, "b" * 43, "6BFOXN", "dXNlcjpw"):
        assert secret not in cleaned


def test_redaction_leaves_prose_alone() -> None:
    for text in ("basic information checked", "needs a Bearer token", "CID1 is the format"):
        assert redact(text) == text
