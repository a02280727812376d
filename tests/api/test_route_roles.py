"""Every route declares who may call it, and every other kind of caller is refused.

The route table is read from the app at run time (api.route_table), so a route added later
is covered without touching this file. For each route and each kind of caller its ``Allow``
does not admit, the route is called with well-shaped dummy path parameters and an empty
JSON body: anonymous callers must get 401, known callers 403, as problem+json, before the
route does anything else.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import PARTNER, Allow
from api.route_table import RouteAccess, route_table
from codeid.accounts.models import Role
from tests.api.callers import Auth, Headers

HUAWEI = "914403001922038216"  # a valid USCC (codeid.uscc), registered nowhere in these tests
PROBLEM_JSON = "application/problem+json"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# Routes allowed a different number of Allow declarations than one, and why. None today.
NOT_ONE_ALLOW: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Caller:
    name: str
    role: str  # a Role value, PARTNER, or "" for anonymous
    scopes: frozenset[str] = frozenset()

    def admitted_by(self, allow: Allow) -> bool:
        """What api.auth.Allow decides, restated: who passes the declaration."""
        if allow.public:
            return True
        if not self.role:
            return False
        if self.role == PARTNER:
            return bool(allow.scopes & self.scopes)
        return self.role in allow.roles


def every_scope(table: list[RouteAccess]) -> frozenset[str]:
    return frozenset(scope for entry in table for allow in entry.allows for scope in allow.scopes)


def callers(table: list[RouteAccess]) -> list[Caller]:
    return [
        Caller("anonymous", ""),
        *(Caller(role.value, role.value) for role in Role),
        Caller("partner-no-scopes", PARTNER),
        Caller("partner-all-scopes", PARTNER, every_scope(table)),
    ]


def headers_for(caller: Caller, auth: Auth) -> Headers:
    """A real signed-in caller with nothing beyond its role: no mandate, no windows."""
    if not caller.role:
        return {}
    if caller.role == PARTNER:
        return auth.partner(caller.scopes, name=caller.name)[1]
    if caller.role == Role.ISSUER.value:
        return auth.issuer(HUAWEI)
    return auth.user(Role(caller.role))[1]


def dummy(annotation: Any, name: str) -> str:
    """A path value of the right shape, so a refusal cannot come from a malformed path."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return str(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str(next(iter(annotation)).value)
    if annotation is bool:
        return "true"
    if isinstance(annotation, type) and issubclass(annotation, int):
        return "1"
    if annotation is datetime:
        return "2026-11-27T09:30:00Z"
    if annotation is date:
        return "2026-11-27"
    return HUAWEI if "uscc" in name else "demo-1"


def url_of(entry: RouteAccess) -> str:
    values = {
        p.name: dummy(p.field_info.annotation, p.name) for p in entry.route.dependant.path_params
    }
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m[1], "demo-1"), entry.path)


@pytest.fixture
def table(client: TestClient) -> list[RouteAccess]:
    return route_table(client.app)  # type: ignore[arg-type]


def test_every_route_declares_its_callers_once(table: list[RouteAccess]) -> None:
    assert len(table) > 20  # the walk found the routers, not an empty app
    wrong = [
        f"{entry.method} {entry.path}: {len(entry.allows)} Allow declarations"
        for entry in table
        if len(entry.allows) != 1 and (entry.method, entry.path) not in NOT_ONE_ALLOW
    ]
    assert wrong == [], "every route needs exactly one Allow(...) dependency:\n" + "\n".join(wrong)


def test_every_caller_kind_is_in_the_matrix(table: list[RouteAccess]) -> None:
    roles = {caller.role for caller in callers(table)}
    assert roles >= {role.value for role in Role} | {PARTNER, ""}


def refused_calls(
    client: TestClient, auth: Auth, table: list[RouteAccess], caller: Caller
) -> list[str]:
    """Call every route ``caller`` is not declared for; describe each answer that is wrong."""
    headers = headers_for(caller, auth)
    expected, slug = (401, "unauthenticated") if not caller.role else (403, "forbidden")
    wrong: list[str] = []
    for entry in table:
        if len(entry.allows) != 1 or caller.admitted_by(entry.allows[0]):
            continue
        url = url_of(entry)
        body: dict[str, Any] = {"json": {}} if entry.method in WRITES else {}
        response = client.request(entry.method, url, headers=headers, **body)
        problem = response.headers.get("content-type", "").startswith(PROBLEM_JSON)
        kind = response.json().get("type", "") if problem else ""
        if response.status_code != expected or kind != f"urn:codeid:problem:{slug}":
            wrong.append(f"{entry.method} {url} as {caller.name}: {response.status_code} {kind}")
    return wrong


CALLER_NAMES = ["anonymous", *(r.value for r in Role), "partner-no-scopes", "partner-all-scopes"]


@pytest.mark.parametrize("name", CALLER_NAMES)
def test_callers_not_declared_are_refused(
    client: TestClient, auth: Auth, table: list[RouteAccess], name: str
) -> None:
    caller = next(c for c in callers(table) if c.name == name)
    refused = [e for e in table if len(e.allows) == 1 and not caller.admitted_by(e.allows[0])]
    if caller.role and caller.role != PARTNER:
        assert refused, f"no route refuses {name}: is the matrix still meaningful?"
    wrong = refused_calls(client, auth, table, caller)
    assert wrong == [], f"{len(wrong)} routes answered {name} wrongly:\n" + "\n".join(wrong)


SPOT_CALLERS: dict[str, Callable[[Auth], Headers]] = {
    "anonymous": lambda auth: {},
    "admin": lambda auth: auth.admin(),
    "clerk": lambda auth: auth.user(Role.CLERK)[1],
    "business-with-mandate": lambda auth: auth.business(HUAWEI)[1],
    "business-without": lambda auth: auth.user(Role.BUSINESS)[1],
}
# Declared callers get past the declaration (what follows is the route's own business).
ALLOWED = [
    ("GET", "/v1/access-log", "admin", 200),
    ("GET", "/v1/access-log/verify", "admin", 200),
    ("GET", f"/v1/entities/{HUAWEI}/access-log", "admin", 200),
    ("GET", f"/v1/entities/{HUAWEI}/access-log", "business-with-mandate", 200),
    ("GET", f"/v1/entities/{HUAWEI}/access-log", "business-without", 403),
    ("GET", "/v1/entities", "clerk", 200),
    ("GET", f"/v1/entities/{HUAWEI}", "business-with-mandate", 404),
    ("GET", "/.well-known/jwks.json", "anonymous", 200),
]


@pytest.mark.parametrize(
    ("method", "url", "who", "status"), ALLOWED, ids=[f"{m} {u} {w}" for m, u, w, _ in ALLOWED]
)
def test_declared_callers_get_through(
    client: TestClient, auth: Auth, method: str, url: str, who: str, status: int
) -> None:
    response = client.request(method, url, headers=SPOT_CALLERS[who](auth))
    assert response.status_code == status, response.text
