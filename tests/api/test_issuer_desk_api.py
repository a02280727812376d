"""A department's own licences over HTTP: its issuer users see theirs only, newest first."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.licence_schemas import LicenceOut
from codeid.audit.models import AccessEvent
from tests.api.callers import Auth, Headers
from tests.api.test_api_entities import HUAWEI, TENCENT, assert_problem
from tests.api.test_api_licences import GZ_AMR, GZ_HEALTH, _issue

URL = "/v1/issuers/me/licences"


def _page(client: TestClient, headers: Headers, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _department(client: TestClient, auth: Auth, admin: Headers, uscc: str) -> Headers:
    made = client.post("/v1/issuers", json={"uscc": uscc, "name": f"部门 {uscc}"}, headers=admin)
    assert made.status_code == 201, made.text
    grant = {"licence_type": "food-business"}
    assert client.post(f"/v1/issuers/{uscc}/trust", json=grant, headers=admin).status_code == 201
    return auth.issuer(uscc)


def test_an_issuer_pages_through_its_own_licences_by_status(
    client: TestClient, auth: Auth, session: Session
) -> None:
    admin = auth.admin()
    for entity in (HUAWEI, TENCENT):
        assert client.post("/v1/entities", json=entity, headers=admin).status_code == 201
    amr = _department(client, auth, admin, GZ_AMR)
    health = _department(client, auth, admin, GZ_HEALTH)
    client.headers.update(admin)  # _issue reads the catalogue with the client's headers
    mine = [_issue(client, amr, "food-business", f"JY1440106000000{n}") for n in range(3)]
    theirs = _issue(client, health, "food-business", "JY14401060000009")

    first = _page(client, amr, limit=2)
    assert [x["identifier"] for x in first["items"]] == [
        mine[2]["identifier"],
        mine[1]["identifier"],
    ]
    assert first["next_cursor"] is not None
    rest = _page(client, amr, limit=2, cursor=first["next_cursor"])
    assert [x["identifier"] for x in rest["items"]] == [mine[0]["identifier"]]
    assert rest["next_cursor"] is None
    assert [x["identifier"] for x in _page(client, health)["items"]] == [theirs["identifier"]]

    suspended = client.post(
        f"/v1/licences/{mine[1]['identifier']}/suspend", json={"reason": "检查"}, headers=amr
    )
    assert suspended.status_code == 200, suspended.text
    only = _page(client, amr, status="suspended")["items"]
    assert [(x["identifier"], x["status"]) for x in only] == [(mine[1]["identifier"], "suspended")]
    assert len(_page(client, amr, status="valid")["items"]) == 2
    amended = client.post(
        f"/v1/licences/{mine[0]['identifier']}/amend",
        json={"fields": {"business_items": "预包装食品销售"}, "reason": "变更"},
        headers=amr,
    )
    assert amended.status_code == 201, amended.text
    current = [x["identifier"] for x in _page(client, amr)["items"]]
    assert amended.json()["identifier"] in current and mine[0]["identifier"] not in current
    old = _page(client, amr, status="superseded")["items"]
    assert [x["identifier"] for x in old] == [mine[0]["identifier"]]
    assert _page(client, amr, holder=TENCENT["uscc"])["items"] == []
    assert len(_page(client, amr, holder=HUAWEI["uscc"].lower())["items"]) == 3
    assert _page(client, amr, licence_type="tobacco-retail")["items"] == []

    logged = session.exec(select(AccessEvent).where(AccessEvent.action == "licence.list")).all()
    assert {e.resource for e in logged} == {f"issuer:{GZ_AMR}", f"issuer:{GZ_HEALTH}"}
    assert any(e.fields for e in logged)  # names of what was returned, never values
    assert all(set(e.fields) <= set(LicenceOut.model_fields) for e in logged)


def test_only_issuer_users_of_an_active_department(client: TestClient, auth: Auth) -> None:
    assert_problem(client.get(URL), 401, "unauthenticated")
    assert_problem(client.get(URL, headers=auth.admin()), 403, "forbidden")
    assert_problem(client.get(URL, headers=auth.clerk([])), 403, "forbidden")
    assert_problem(client.get(URL, headers=auth.issuer(GZ_AMR)), 404, "issuer-not-found")
    amr = _department(client, auth, auth.admin(), GZ_AMR)
    assert _page(client, amr) == {"items": [], "next_cursor": None}
    bad = client.get(URL, params={"status": "expired"}, headers=amr)
    assert_problem(bad, 422, "validation")
