"""The kiosk in Chromium: check in with the scan gun, a walk-in ticket without a code, words
for a used code, the camera, and the screen resetting by itself."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveHall, shot
from tests.web.test_window import dynamic_code

NUMBER = re.compile(r"^[A-F]\d{3}$")


def scan_gun(page: Page, payload: str) -> None:
    """A USB scan gun is a keyboard: it types the payload and presses Enter."""
    expect(page.locator("#gun")).to_be_focused()
    page.keyboard.type(payload)
    page.keyboard.press("Enter")


def test_scan_gun_check_in_shows_the_ticket_in_large_type(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/kiosk")
    expect(page.locator(".walk-in")).to_have_count(6)
    page.select_option("#kiosk-item", "tobacco-retail-renewal")
    page.locator("#gun").focus()
    payload = dynamic_code(live)
    with page.expect_response("**/v1/checkins") as answered:
        scan_gun(page, payload)
    ticket = answered.value.json()["ticket"]
    assert ticket["category_code"] == "F" and ticket["uscc"]
    number = page.locator("#ticket-number")
    expect(number).to_have_text(ticket["number"])
    expect(number).to_have_class("huge")
    assert float(number.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 48
    expect(page.locator("#ahead")).to_contain_text("前面还有")
    expect(page.locator("#wait")).to_contain_text("分钟")
    shot(page, "kiosk", live)

    page.get_by_role("button", name="完成").click()
    expect(page.locator("#result")).to_be_hidden()
    # The same code again (a screenshot, say): refused in words the business understands.
    scan_gun(page, payload)
    expect(page.locator("#kiosk-error")).to_contain_text("请企业刷新二维码")
    expect(page.locator("#result")).to_be_hidden()


def test_walk_in_without_a_code_and_the_screen_resets(page: Page, live: LiveHall) -> None:
    page.clock.install()
    page.goto(live.url + "/kiosk")
    with page.expect_response("**/v1/tickets/walk-in") as answered:
        page.locator(".walk-in[data-category='B']").click()
    ticket = answered.value.json()["ticket"]
    assert ticket["number"].startswith("B") and ticket["uscc"] == ""
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
    expect(page.locator("#ticket-number")).to_have_text(NUMBER)
    expect(page.locator("#result-note")).to_have_text("请到窗口时出示企业码")
    shot(page, "kiosk-walk-in", live)

    page.clock.fast_forward(21_000)
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#gun")).to_be_focused()


def test_english_and_the_camera(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/kiosk?lang=en")
    expect(page.locator("h1")).to_have_text("Scan your business code for a ticket")
    expect(page.locator(".walk-in[data-category='A']")).to_contain_text("Business registration")
    shot(page, "kiosk-en", live)
    page.get_by_role("button", name="Scan with the camera").click()
    expect(page.locator("#camera")).to_be_visible()
    with page.expect_response("**/v1/checkins/scan") as sent:
        pass  # frames of the fake camera (no code in them) go to the server's scanner
    assert sent.value.status == 422
    expect(page.locator("#kiosk-error")).to_have_text("")  # "no code yet" is not an error
    page.get_by_role("button", name="Stop scanning").click()
    expect(page.locator("#camera")).to_be_hidden()
    assert page.evaluate("document.getElementById('camera').srcObject") is None
