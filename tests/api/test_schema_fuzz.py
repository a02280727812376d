"""Schemathesis against the app's own OpenAPI document: no server errors and no response
that breaks the schema, whoever calls. A bounded run, part of every `make test`.

The document is read from the app at run time, so new routes are fuzzed without touching
this file. For each operation Hypothesis draws valid and invalid requests from the schema
(schemathesis' strategies), they go through the test client in-process to the real app on a
real database, and schemathesis' checks judge the answers. All failing operations are
reported together. The run is derandomised, so a failure repeats; set CODEID_FUZZ_EXAMPLES
for a longer run.

(schemathesis.pytest.from_fixture would be the usual way, but with pytest 9 its loader
fails on a node attribute pytest removed, hence the loop over operations here.)
"""

from __future__ import annotations

import os
from typing import Any, cast

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, Config, GenerationMode
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup
from schemathesis.python.asgi import ASGIClient

from api.route_table import route_table
from tests.api.callers import Auth, Headers

# Cases per operation and caller: drawing them dominates the run time (about 60 s in all).
EXAMPLES = int(os.environ.get("CODEID_FUZZ_EXAMPLES", "4"))
KNOWN_USCC = "914403001922038216"  # registered before each run
# Streams never end, so a request to them cannot be answered in a test.
ENDLESS = ["/v1/board/stream"]


def hypothesis_settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same cases every run, so a failure repeats
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )


# Values that databases refuse (NUL in text, integers beyond 64 bits) mixed into generated
# strings and integers, so a short run still tries them where a schema lets them through.
NASTY_TEXT = ["\u0000", "a\u0000b", "x" * 1000, "\U0001f600", "../.."]
NASTY_INTEGERS = [2**31, 2**63, -(2**63) - 1, 10**20]


def fuzz_config(*, tokens: bool) -> Config:
    return Config.from_dict(
        {
            "dictionaries": {
                "nasty-text": {"values": NASTY_TEXT},
                "nasty-integers": {"values": NASTY_INTEGERS},
            },
            "generation": {
                # Whether schemathesis makes up bearer tokens (the declared security scheme).
                "with-security-parameters": tokens,
                "dictionaries": {
                    "string": {"dictionary": "nasty-text", "probability": 0.2},
                    "integer": {"dictionary": "nasty-integers", "probability": 0.2},
                },
            },
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
            },
        }
    )


def load_schema(client: TestClient, *, tokens: bool) -> BaseSchema:
    document = client.app.openapi()  # type: ignore[attr-defined]
    config = fuzz_config(tokens=tokens)
    return schemathesis.openapi.from_dict(document, config=config).exclude(path=ENDLESS)


def send(client: TestClient, case: Case[Any], headers: Headers) -> None:
    """Send the case in-process to our client's app (its database, its clock) and run the
    configured checks. schemathesis' own ASGI session encodes every body it can generate."""
    session = ASGIClient(cast(Any, client.app))
    base_url = str(client.base_url)
    try:
        case.call_and_validate(base_url=base_url, session=session, headers=headers)
    except FailureGroup:
        raise  # already names the checks and the request
    except Exception as exc:  # the app raised: a 500 the session passed on as the error
        curl = case.as_curl_command(headers=headers, base_url=base_url)
        raise AssertionError(f"server error {exc!r}\n{curl}") from exc


def use_known_entity(case: Case[Any]) -> None:
    """Name the registered entity wherever a USCC goes, so requests get past the code's
    check digits to the lookups and writes behind them."""
    for values in (case.path_parameters, case.query):
        if values:
            values.update({name: KNOWN_USCC for name in values if "uscc" in name})
    if isinstance(case.body, dict) and "uscc" in case.body:
        case.body["uscc"] = KNOWN_USCC


def fuzz(client: TestClient, headers: Headers, *, examples: int = EXAMPLES) -> list[str]:
    """Every operation, valid and invalid requests; one line per failing operation."""
    failures: list[str] = []
    for result in load_schema(client, tokens=bool(headers)).get_all_operations():
        if isinstance(result, Err):
            failures.append(f"schema: {result.err()}")
            continue
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
            *load_schema(client, tokens=bool(headers)).get_strategies_from_examples(operation),
        )

        @hypothesis_settings(examples)
        @given(case=cases, known=st.booleans())
        def run(case: Case[Any], known: bool) -> None:
            if known:
                use_known_entity(case)
            send(client, case, headers)

        try:
            run()
        except (Exception, FailureGroup) as exc:  # collected: one failure must not hide others
            failures.append(f"{operation.label}: {exc}")
    return failures


def report(failures: list[str]) -> str:
    return f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


def test_the_fuzzer_sees_every_route(client: TestClient) -> None:
    operations = list(load_schema(client, tokens=True).get_all_operations())
    fuzzed = {op.ok().label for op in operations if not isinstance(op, Err)}
    assert not [op for op in operations if isinstance(op, Err)]
    table = route_table(client.app)  # type: ignore[arg-type]
    routes = {f"{e.method} {e.path}" for e in table if e.route.include_in_schema}
    assert len(fuzzed) > 20 and routes - fuzzed <= {f"GET {path}" for path in ENDLESS}


@pytest.fixture
def admin(client: TestClient, auth: Auth) -> Headers:
    """An administrator, and an entity for requests to find."""
    headers = auth.admin()
    made = client.post("/v1/entities", json={"uscc": KNOWN_USCC, "name": "华为"}, headers=headers)
    assert made.status_code == 201, made.text
    return headers


def test_fuzz_as_admin(client: TestClient, admin: Headers) -> None:
    failures = fuzz(client, admin)
    assert failures == [], report(failures)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fuzz_anonymous(client: TestClient, admin: Headers) -> None:
    failures = fuzz(client, {}, examples=max(1, EXAMPLES - 1))
    assert failures == [], report(failures)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fuzz_as_business_user(client: TestClient, auth: Auth, admin: Headers) -> None:
    _, headers = auth.business(KNOWN_USCC)
    failures = fuzz(client, headers, examples=max(1, EXAMPLES - 1))
    assert failures == [], report(failures)


# Cases the fuzzer found once, kept as plain tests so they stay fixed whatever it draws next.
FOUND = [
    ("PATCH", f"/v1/entities/{KNOWN_USCC}", {"json": {"name": "\u0000"}}),
    ("POST", "/v1/entities", {"json": {"uscc": "91440300708461136T", "name": "a\u0000"}}),
    ("GET", "/v1/entities", {"params": {"name": "\u0000"}}),
]


@pytest.mark.parametrize(
    ("method", "url", "request_kwargs"), FOUND, ids=[f"{m} {u}" for m, u, _ in FOUND]
)
def test_found_cases_are_refused_not_crashed(
    client: TestClient, admin: Headers, method: str, url: str, request_kwargs: dict[str, Any]
) -> None:
    response = client.request(method, url, headers=admin, **request_kwargs)
    assert response.status_code == 422, response.text
