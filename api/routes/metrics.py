"""``GET /metrics``: Prometheus exposition text (docs/observe.md names every metric).

Who may scrape: administrators (a signed-in admin's access token) and a scraper presenting
the static token ``CODEID_METRICS_TOKEN`` as ``Authorization: Bearer <token>``; anyone at all
only when ``CODEID_METRICS_PUBLIC=true`` - for a deployment where the port is reachable from
the internal network alone, since the figures show traffic and queue patterns.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Response

from api.auth import Allow, Credentials, Principal, current_principal
from api.deps import NowDep, RuntimeDep
from api.observability.metrics import scrape
from api.observability.probe import probe_session
from api.settings import Settings
from codeid.accounts.models import Role

SCRAPER = Principal(kind="scraper", subject="scraper:metrics-token")


class ScrapeAllow(Allow):
    """Administrators, or a caller presenting the configured scrape token."""

    def __init__(self) -> None:
        super().__init__(Role.ADMIN)

    def __repr__(self) -> str:
        return "Allow(roles=['admin'], or the metrics token)"

    def __call__(  # type: ignore[override]
        self, credentials: Credentials, runtime: RuntimeDep, now: NowDep
    ) -> Principal:
        expected = runtime.settings.metrics_token
        secret = expected.get_secret_value().encode() if expected is not None else b""
        given = credentials.credentials.encode() if credentials is not None else b""
        if secret and given and hmac.compare_digest(given, secret):
            return SCRAPER
        return super().__call__(current_principal(credentials, runtime, now))


def metrics(runtime: RuntimeDep, now: NowDep) -> Response:
    """Prometheus metrics of this service (all worker processes when there are several).

    Callers: administrators, or a scraper sending ``Authorization: Bearer`` with
    CODEID_METRICS_TOKEN; anyone only when CODEID_METRICS_PUBLIC is true (see the module)."""
    body, content_type = scrape(lambda: probe_session(runtime), now=now)
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


def router_for(settings: Settings) -> APIRouter:
    """The /metrics route, open to anyone only when the settings say so."""
    router = APIRouter(tags=["observe"])
    who = Allow(public=True) if settings.metrics_public else ScrapeAllow()
    router.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        dependencies=[Depends(who)],
        include_in_schema=False,
        response_class=Response,
    )
    return router
