"""The display board: a number called at a window appears live (server-sent events), fresh
calls are highlighted and announced, and the chime can be switched on."""

from __future__ import annotations

import random
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import select

from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.entities.models import Entity
from tests.web.conftest import LiveHall, shot

WINDOW = 7  # clerk.li works at windows 1-10 (categories A and F)


def _login(live: LiveHall, username: str) -> dict[str, str]:
    body = {"username": username, "password": live.passwords[username]}
    pair = httpx.post(f"{live.url}/auth/login", json=body).raise_for_status().json()
    return {"Authorization": f"Bearer {pair['access_token']}"}


def _walk_in(live: LiveHall) -> dict[str, Any]:
    """Check a demo business in at the kiosk with a fresh dynamic code."""
    with live.runtime.session() as session:
        active = session.exec(select(Entity.uscc).where(Entity.status == "active")).all()
        code = live.runtime.issue_code(
            session, uscc=random.choice(active), kind=CodeKind.DYNAMIC, now=utcnow()
        )
    body = {"payload": code.payload, "item_code": "address-change"}
    made = httpx.post(f"{live.url}/v1/checkins", json=body)
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()["ticket"]
    return ticket


def _call(live: LiveHall, clerk: dict[str, str]) -> str:
    """Call the next ticket at WINDOW (the shared queue may hold others' tickets too)."""
    for _ in range(5):
        _walk_in(live)
        called = httpx.post(f"{live.url}/v1/windows/{WINDOW}/call", headers=clerk)
        assert called.status_code == 200, called.text
        if called.json()["ticket"]:
            number: str = called.json()["ticket"]["number"]
            return number
    raise AssertionError("window 7 never got a ticket to call")


def test_a_called_number_appears_without_reloading(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/board")
    expect(page.locator("#board-link")).to_have_text("实时更新")
    expect(page.locator(f"#board-windows [data-window='{WINDOW}']")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloaded

    number = _call(live, _login(live, "clerk.li"))

    expect(page.locator("#board-latest-number")).to_have_text(number)
    expect(page.locator("#board-latest-window")).to_have_text(f"{WINDOW}号窗口")
    card = page.locator(f"#board-windows [data-window='{WINDOW}']")
    expect(card.locator("strong")).to_have_text(number)
    expect(card).to_have_class("call fresh")
    expect(page.locator("#board-announce")).to_have_text(f"请 {number} 号到 {WINDOW}号窗口")
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "board", live)


def test_sound_needs_a_click_and_can_be_muted(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/board?lang=en")
    sound = page.get_by_role("button", name="Enable sound")
    expect(sound).to_have_attribute("aria-pressed", "false")
    sound.click()
    muted = page.get_by_role("button", name="Mute sound")
    expect(muted).to_have_attribute("aria-pressed", "true")
    muted.click()
    expect(page.get_by_role("button", name="Enable sound")).to_be_visible()
    expect(page.locator("#board-link")).to_have_text("Live")


def test_the_board_fits_a_phone(browser_phone: Page, live: LiveHall) -> None:
    browser_phone.goto(live.url + "/board")
    expect(browser_phone.locator("#board-link")).to_have_text("实时更新")
    assert browser_phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(browser_phone, "board-phone", live)
