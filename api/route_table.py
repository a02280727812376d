"""Every API route with the ``Allow`` declaration it depends on (for tests and docs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.auth import Allow


@dataclass(frozen=True, slots=True)
class RouteAccess:
    method: str
    path: str
    allows: tuple[Allow, ...]  # normally exactly one
    route: APIRoute


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)


def _allows(dependant: Dependant) -> Iterator[Allow]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Allow):
            yield sub.call
        yield from _allows(sub)


def route_table(app: FastAPI) -> list[RouteAccess]:
    table = []
    for route in _routes(list(app.routes)):
        allows = tuple(dict.fromkeys(_allows(route.dependant)))
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            table.append(RouteAccess(method, route.path, allows, route))
    return table
