"""GET /metrics: who may scrape it, and that its figures follow what the service did.

Counters live for the whole test process (prometheus_client's registry), so each test reads
the figures before and after what it does and checks the difference.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlmodel import Session

from api.app import create_app
from api.observability.metrics import scrape
from api.settings import Settings
from codeid.accounts.models import Role
from codeid.codes.qr import render_png
from counter.hall import demo_hall_path, load_hall_file
from counter.tickets import issue_ticket
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock
from tests.api.test_api_entities import HUAWEI

MONDAY_10_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SCRAPE_TOKEN = "scrape-" + "7" * 32


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


class Scraper:
    """Scrapes as an administrator signed in at the test clock's now."""

    def __init__(self, client: TestClient, auth: Auth) -> None:
        self.client, self.auth = client, auth

    def __call__(self) -> str:
        response = self.client.get("/metrics", headers=self.auth.admin())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return str(response.text)


@pytest.fixture
def metrics(client: TestClient, auth: Auth) -> Scraper:
    return Scraper(client, auth)


def test_who_may_scrape(client: TestClient, auth: Auth, settings: Settings) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth.user(Role.CLERK)[1]).status_code == 403
    assert client.get("/metrics", headers=auth.admin()).status_code == 200
    not_configured = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert not_configured.status_code == 401  # no token configured: it is just a bad token

    with_token = settings.model_copy(update={"metrics_token": SecretStr(SCRAPE_TOKEN)})
    with TestClient(create_app(with_token)) as scraper:
        good = scraper.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert good.status_code == 200 and "codeid_database_up 1.0" in good.text
        wrong = scraper.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}x"})
        assert wrong.status_code == 401
        assert scraper.get("/metrics").status_code == 401

    public = settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public)) as anyone:
        assert anyone.get("/metrics").status_code == 200


def test_request_durations_by_route_template(
    client: TestClient, auth: Auth, metrics: Scraper
) -> None:
    route = "/v1/entities/{uscc}"
    before = metrics()
    admin = auth.admin()
    assert client.get(f"/v1/entities/{HUAWEI['uscc']}", headers=admin).status_code == 404
    assert client.get("/v1/no/such/thing/914403001922038216").status_code == 404
    after = metrics()
    name = "codeid_http_request_duration_seconds_count"
    assert (
        value(after, name, method="GET", route=route, status="4xx")
        - value(before, name, method="GET", route=route, status="4xx")
        == 1
    )
    assert (
        value(after, name, route="unmatched", status="4xx")
        - value(before, name, route="unmatched", status="4xx")
        == 1
    )
    assert HUAWEI["uscc"] not in after  # labels hold route templates, never raw paths


def _registered_code(client: TestClient, admin: Headers, kind: str) -> str:
    client.post("/v1/entities", json=HUAWEI, headers=admin)
    issued = client.post(f"/v1/entities/{HUAWEI['uscc']}/codes", json={"kind": kind}, headers=admin)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["payload"])


def test_verifications_by_outcome(
    client: TestClient, auth: Auth, clock: Clock, metrics: Scraper
) -> None:
    admin = auth.admin()
    dynamic = _registered_code(client, admin, "dynamic")
    static = _registered_code(client, admin, "static")
    before = metrics()

    def verify(payload: str) -> str:
        response = client.post("/v1/codes/verify", json={"payload": payload}, headers=admin)
        assert response.status_code == 200, response.text
        return str(response.json()["reason"])

    assert verify(dynamic) == "ok"
    assert verify("https://example.com/") == "not-codeid"
    clock.now = datetime.now(UTC) + timedelta(minutes=10)
    assert verify(dynamic) == "expired"
    clock.now = None
    assert client.get("/v1/public/check", params={"code": static}).json()["valid"] is True
    after = metrics()

    def delta(**labels: str) -> float:
        name = "codeid_code_verifications_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(outcome="valid", channel="api") == 1
    assert delta(outcome="not-codeid", channel="api") == 1
    assert delta(outcome="expired", channel="api") == 1
    assert delta(outcome="valid", channel="public") == 1
    assert delta() == 4


def test_check_ins_count_their_verifications(
    client: TestClient, auth: Auth, clock: Clock, metrics: Scraper
) -> None:
    admin = auth.admin()
    dynamic = _registered_code(client, admin, "dynamic")
    with auth.runtime.session() as session:
        load_hall_file(session, demo_hall_path(), now=datetime.now(UTC))
    before = metrics()
    assert client.post("/v1/checkins", json={"payload": dynamic}).status_code == 201
    replay = client.post("/v1/checkins", json={"payload": dynamic})
    assert replay.json()["type"] == "urn:codeid:problem:code-already-used"
    after = metrics()

    def delta(**labels: str) -> float:
        name = "codeid_code_verifications_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(outcome="valid", channel="check-in") == 1
    assert delta(outcome="already-used", channel="check-in") == 1


def _png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return bytes(encoded.tobytes())


def test_scans_by_result(client: TestClient, auth: Auth, metrics: Scraper) -> None:
    admin = auth.admin()
    images = {
        "decoded": render_png(_registered_code(client, admin, "static")),
        "refused": render_png("HTTPS://EXAMPLE.COM/MENU"),  # a QR code, not a business code
        "no_code": _png(np.full((240, 320), 255, np.uint8)),
    }
    before = metrics()
    for image in images.values():
        scanned = client.post(
            "/v1/scans", files={"image": ("x.png", image, "image/png")}, headers=admin
        )
        assert scanned.status_code == 200, scanned.text
    after = metrics()
    for result in images:
        name = "codeid_scan_images_total"
        assert value(after, name, result=result) - value(before, name, result=result) == 1
    name = "codeid_scan_decode_seconds_count"
    assert value(after, name) - value(before, name) == 3
    assert value(after, "codeid_scan_decode_seconds_sum") > value(
        before, "codeid_scan_decode_seconds_sum"
    )


def test_queue_gauges_read_from_the_database(
    client: TestClient, auth: Auth, clock: Clock, metrics: Scraper
) -> None:
    runtime = auth.runtime
    t0 = MONDAY_10_SHANGHAI
    with runtime.session() as session:
        load_hall_file(session, demo_hall_path(), now=t0)
        for minutes, category in ((0, "A"), (1, "A"), (2, "B")):
            issue_ticket(
                session,
                uscc=HUAWEI["uscc"],
                category_code=category,
                item_code=None,
                booking_id=None,
                priority="walk-in",
                code_id=None,
                now=t0 + timedelta(minutes=minutes),
            )
    clock.now = t0 + timedelta(minutes=5)
    text = metrics()
    assert value(text, "codeid_database_up") == 1
    assert value(text, "codeid_queue_waiting", category="A") == 2
    assert value(text, "codeid_queue_waiting", category="B") == 1
    assert value(text, "codeid_queue_waiting", category="C") == 0  # every category is shown
    assert value(text, "codeid_queue_wait_seconds", category="A", stat="oldest") == 300
    assert value(text, "codeid_queue_wait_seconds", category="A", stat="mean") == 270
    assert value(text, "codeid_queue_wait_seconds", category="B", stat="oldest") == 180
    clock.now = t0 + timedelta(days=1)  # a new day: yesterday's tickets wait in no queue
    assert value(metrics(), "codeid_queue_waiting", category="A") == 0


WRITER = """
import sys
from api.observability.metrics import VERIFICATIONS, observe_request
for _ in range(int(sys.argv[1])):
    VERIFICATIONS.labels("valid", "api").inc()
    observe_request("GET", "/healthz", 200, 0.01)
"""


def test_multiprocess_directory_sums_every_process(tmp_path: Path) -> None:
    """What `codeid serve --workers N` relies on: counters written by two processes to one
    directory, summed by a scrape."""
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for count in (3, 4):
        subprocess.run([sys.executable, "-c", WRITER, str(count)], env=env, check=True)

    def no_database() -> AbstractContextManager[Session]:
        raise OSError("no database in this test")

    text = scrape(no_database, now=datetime.now(UTC), multiproc_dir=str(tmp_path))[0].decode()
    assert value(text, "codeid_code_verifications_total", outcome="valid", channel="api") == 7
    assert value(text, "codeid_http_request_duration_seconds_count", route="/healthz") == 7
    assert value(text, "codeid_database_up") == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path: Path) -> None:
    """`codeid serve --workers 2`: JSON lines on stderr with request ids, no query strings,
    and /metrics summing both workers from a directory that is removed at exit."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEID_", "PROMETHEUS_"))}
    env |= {
        "CODEID_DATA_DIR": str(data_dir),
        "CODEID_WEBHOOK_WORKER": "false",
        "CODEID_METRICS_TOKEN": SCRAPE_TOKEN,
    }
    codeid = [sys.executable, "-c", "from api.cli.main import main; main()"]
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        server = subprocess.Popen(
            [*codeid, "serve", "--port", str(port), "--workers", "2"], env=env, stderr=err
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server)
            with httpx.Client(base_url=base, timeout=10) as http:
                for n in range(20):
                    answer = http.get(
                        "/healthz", params={"secret": "q"}, headers={"X-Request-ID": f"t-{n}"}
                    )
                    assert answer.headers["x-request-id"] == f"t-{n}"
                scraped = http.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
            assert scraped.status_code == 200, scraped.text
            count = value(
                scraped.text, "codeid_http_request_duration_seconds_count", route="/healthz"
            )
            assert count >= 20  # the wait loop's calls too
            directories = list((data_dir / "metrics").iterdir())
            assert len(directories) == 1 and any(directories[0].glob("*.db"))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    assert not any((data_dir / "metrics").iterdir()), "the metrics directory outlived serve"
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "codeid.access"]
    assert {line["request_id"] for line in access} >= {f"t-{n}" for n in range(20)}
    assert all(line["path"] == "/healthz" for line in access if line["request_id"].startswith("t-"))
    assert "secret=q" not in stderr.read_text()


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, "codeid serve exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("codeid serve did not come up")
