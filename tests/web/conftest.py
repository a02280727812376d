"""Browser tests: Debian's Chromium driven by Playwright against a real `codeid` server.

The server runs uvicorn in a thread on a free loopback port, on its own database (an SQLite
file, and a throwaway PostgreSQL database) seeded with the demo data set `make run` loads.
Screenshots go to .screenshots/ at the project root (not committed).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.runtime import Runtime
from api.settings import Settings
from codeid.clock import utcnow
from codeid.demo import seed_demo
from counter.demo_users import seed_demo_users
from counter.hall import demo_hall_path, load_hall_file
from credentials.demo import seed_licence_demo
from tests.conftest import _throwaway_postgres

CHROMIUM = os.environ.get("CODEID_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@dataclass(frozen=True)
class LiveHall:
    url: str
    passwords: dict[str, str]  # demo username -> password
    runtime: Runtime
    backend: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveHall]:
    data_dir = tmp_path_factory.mktemp(f"live-{request.param}")
    pg = _throwaway_postgres() if request.param == "postgresql" else None
    url = next(pg) if pg is not None else f"sqlite:///{data_dir / 'codeid.db'}"
    port = _free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        public_url=f"http://127.0.0.1:{port}",
        webhook_worker=False,  # no partner receivers here; its polling only adds SQLite writers
    )
    runtime = Runtime(settings)
    runtime.prepare()
    now = utcnow()
    with runtime.session() as session:
        seed_demo(session, count=20, now=now, if_empty=True)
        seed_licence_demo(session, master_secret=runtime.master_secret, now=now)
        load_hall_file(session, demo_hall_path(), now=now)
        users = seed_demo_users(session, now=now)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveHall(
            url=f"http://127.0.0.1:{port}",
            passwords={name: user["password"] for name, user in users.items()},
            runtime=runtime,
            backend=request.param,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()
        if pg is not None:
            next(pg, None)  # resumes the generator: drops the throwaway database


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live: LiveHall) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["camera"], origin=live.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(page: Page, name: str, live: LiveHall) -> Path:
    """Save a full-page screenshot under .screenshots/ (one per page and backend)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{live.backend}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, live: LiveHall, path: str, username: str) -> None:
    """Open a page that needs a role and sign in with a demo user's password."""
    page.goto(live.url + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(live.passwords[username])
    page.get_by_role("button", name="登录").click()
    page.locator("#app").wait_for(state="visible")


@pytest.fixture
def browser_phone(browser: Browser, live: LiveHall) -> Iterator[Page]:
    """A 375 px wide phone screen."""
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    tab = context.new_page()
    yield tab
    context.close()
