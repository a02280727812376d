"""Entities over HTTP, and errors as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.callers import Auth, as_admin


@pytest.fixture
def client(client: TestClient, auth: Auth) -> TestClient:
    """These tests are about what the API does; who may call it is tests/api/test_route_roles.py."""
    return as_admin(client, auth)


HUAWEI = {
    "uscc": "914403001922038216",
    "name": "华为技术有限公司",
    "entity_type": "company",
    "legal_representative": "赵明路",
    "registered_address": "深圳市龙岗区坂田华为总部办公楼",
    "registration_authority": "深圳市市场监督管理局",
    "date_established": "1987-09-15",
}
TENCENT = HUAWEI | {"uscc": "91440300708461136T", "name": "深圳市腾讯计算机系统有限公司"}


def assert_problem(response: httpx.Response, status: int, type_suffix: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:codeid:problem:{type_suffix}"
    assert body["status"] == status
    assert body["detail"]
    return cast(dict[str, Any], body)


def test_create_read_list(client: TestClient) -> None:
    created = client.post("/v1/entities", json=HUAWEI)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
    assert client.post("/v1/entities", json=TENCENT).status_code == 201

    got = client.get(f"/v1/entities/{HUAWEI['uscc']}").json()
    assert got["name"] == HUAWEI["name"]
    assert got["date_established"] == "1987-09-15"

    page = client.get("/v1/entities", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    second = client.get("/v1/entities", params={"limit": 1, "offset": 1}).json()
    assert second["items"][0]["uscc"] != page["items"][0]["uscc"]
    found = client.get("/v1/entities", params={"name": "腾讯"}).json()
    assert [e["uscc"] for e in found["items"]] == [TENCENT["uscc"]]


def test_bad_uscc_is_a_problem_naming_the_fault(client: TestClient) -> None:
    wrong_check = HUAWEI | {"uscc": "914403001922038217"}
    body = assert_problem(client.post("/v1/entities", json=wrong_check), 422, "uscc-check")
    assert "6" in body["detail"]  # the expected check character
    body = assert_problem(
        client.post("/v1/entities", json=HUAWEI | {"uscc": "9144"}), 422, "uscc-length"
    )
    assert "4" in body["detail"]


def test_duplicate_unknown_and_validation(client: TestClient) -> None:
    assert client.post("/v1/entities", json=HUAWEI).status_code == 201
    assert_problem(client.post("/v1/entities", json=HUAWEI), 409, "entity-duplicate")
    assert_problem(client.get("/v1/entities/91440300708461136T"), 404, "entity-not-found")
    body = assert_problem(client.post("/v1/entities", json={"name": "x"}), 422, "validation")
    assert body["errors"][0]["loc"][-1] == "uscc"
    assert_problem(client.get("/v1/nowhere"), 404, "not-found")
    assert_problem(client.delete("/v1/entities"), 405, "method-not-allowed")


def test_status_and_patch(client: TestClient) -> None:
    client.post("/v1/entities", json=HUAWEI)
    patched = client.patch(f"/v1/entities/{HUAWEI['uscc']}", json={"registered_address": "东莞"})
    assert patched.json()["registered_address"] == "东莞"
    suspended = client.post(
        f"/v1/entities/{HUAWEI['uscc']}/status", json={"status": "suspended", "reason": "audit"}
    )
    assert suspended.json()["status"] == "suspended"


def test_import_is_all_or_nothing_then_idempotent(client: TestClient) -> None:
    header = "uscc,name,entity_type\n"
    bad = header + f"{HUAWEI['uscc']},华为,company\n914403001922038217,坏,company\n"
    report = client.post("/v1/entities/import", files={"file": ("e.csv", bad, "text/csv")}).json()
    assert report["inserted"] == 0 and report["rejected"][0]["line"] == 3
    assert client.get("/v1/entities").json()["total"] == 0

    good = header + f"{HUAWEI['uscc']},华为,company\n{TENCENT['uscc']},腾讯,company\n"
    first = client.post("/v1/entities/import", files={"file": ("e.csv", good, "text/csv")}).json()
    again = client.post("/v1/entities/import", files={"file": ("e.csv", good, "text/csv")}).json()
    assert (first["inserted"], again["inserted"], again["unchanged"]) == (2, 0, 2)
    changed = good.replace("腾讯,", "腾讯科技,")
    third = client.post(
        "/v1/entities/import", files={"file": ("e.csv", changed, "text/csv")}
    ).json()
    assert (third["inserted"], third["updated"]) == (0, 1)
    assert client.get("/v1/entities").json()["total"] == 2


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/entities",
        "/v1/entities/{uscc}",
        "/v1/entities/import",
        "/v1/codes/verify",
        "/v1/entities/{uscc}/code.svg",
        "/v1/entities/{uscc}/code.png",
        "/v1/scans",
        "/.well-known/jwks.json",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path


def test_out_of_range_numbers_and_clashing_details_stay_problems(client: TestClient) -> None:
    huge = client.get("/v1/entities", params={"offset": 10**21})
    assert_problem(huge, 422, "validation")
    rating = {"uscc": HUAWEI["uscc"], "score": "good"}
    assert_problem(client.post(f"/v1/cases/{10**30}/rating", json=rating), 422, "validation")
    client.post("/v1/entities", json=HUAWEI)
    client.post(
        f"/v1/entities/{HUAWEI['uscc']}/status", json={"status": "deregistered", "reason": "注销"}
    )
    refused = client.get(f"/v1/entities/{HUAWEI['uscc']}/code.png")
    body = assert_problem(refused, 409, "entity-not-active")
    assert body["status"] == 409  # the entity's own status is not allowed to overwrite it
