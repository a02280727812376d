"""One visit across the pages, each in its own browser as in the hall: the business shows
the QR on its phone (portal), a scan gun reads it at the kiosk, the board announces the call,
the clerk scans a photo of the refreshed QR, sees the form filled from the licences and
completes. The QR travels only as pixels: screenshots decoded by OpenCV."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, FilePayload, Page, expect

from scanners.cascade import scan_frame
from scanners.frames import load_image_bytes
from tests.web.conftest import LiveHall, shot, sign_in
from tests.web.test_window import WINDOW, api_headers, drain, open_window

REP = "huawei.rep"


def _qr_text(page: Page) -> tuple[str, bytes]:
    """What a scanner reads off the phone screen: a screenshot of the QR, decoded."""
    picture = page.locator("#dynamic-qr").screenshot()
    texts = scan_frame(load_image_bytes(picture)).texts
    assert texts and texts[0].startswith("CID1:"), f"no business code on the screen: {texts}"
    return texts[0], picture


def _tab(browser: Browser, live: LiveHall) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab


def test_a_visit_from_phone_to_completion(page: Page, browser: Browser, live: LiveHall) -> None:
    drain(live, api_headers(live, "clerk.li"))
    board = _tab(browser, live)
    board.goto(live.url + "/board")
    expect(board.locator("#board-link")).to_have_text("实时更新")

    # The business user's phone shows the dynamic code.
    phone = _tab(browser, live)
    sign_in(phone, live, "/portal", REP)
    expect(phone.locator("#dynamic-qr")).to_be_visible()
    first_id = phone.locator("#dynamic-qr").get_attribute("data-code-id") or ""
    payload, _ = _qr_text(phone)

    # The kiosk's scan gun types it: a ticket in large type.
    kiosk = _tab(browser, live)
    kiosk.goto(live.url + "/kiosk")
    kiosk.locator("#kiosk-item").select_option("address-change")
    kiosk.locator("#gun").focus()
    kiosk.keyboard.type(payload)
    kiosk.keyboard.press("Enter")
    number = kiosk.locator("#ticket-number")
    expect(number).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    ticket = number.text_content() or ""
    shot(kiosk, "visit-kiosk", live)

    # The clerk calls it; the board announces it without a reload.
    open_window(page, live)
    page.get_by_role("button", name="呼叫下一位").click()
    expect(page.locator("#current-number")).to_have_text(ticket)
    expect(board.locator("#board-latest-number")).to_have_text(ticket)
    expect(board.locator("#board-latest-window")).to_have_text(f"{WINDOW}号窗口")
    shot(board, "visit-board", live)

    # The code shown at check-in is used up; the phone refreshes it and the clerk uploads a
    # photo of the new one: the entity, its licences and the filled form appear.
    phone.get_by_role("button", name="立即刷新").click()
    # Wait for the new code itself, not just any code: the old one stays until it is replaced.
    expect(phone.locator("#dynamic-qr")).not_to_have_attribute(
        "data-code-id", re.compile(f"^({re.escape(first_id)})?$")
    )
    fresh, picture = _qr_text(phone)
    assert fresh != payload
    photo: FilePayload = {"name": "phone.png", "mimeType": "image/png", "buffer": picture}
    page.set_input_files("#photo", files=[photo])
    expect(page.locator("#entity")).to_be_visible()
    expect(page.locator("#entity-facts")).to_contain_text("914403001922038216")
    expect(page.locator("#licences tbody")).to_contain_text("有效")
    page.get_by_role("button", name="开始办理").click()
    expect(page.locator("#case-body")).to_be_visible()
    expect(page.locator("#field-entity_name-source")).to_have_text("企业登记信息")
    empty = page.locator("#case-fields input[required]").evaluate_all(
        "inputs => inputs.filter(i => !i.value && !i.readOnly).map(i => i.id)"
    )
    for field_id in empty:
        page.fill(f"#{field_id}", "广州市天河区珠江新城花城大道1号")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator("#case-status")).to_contain_text("已办结")
    shot(page, "visit-window", live)
    for tab in (board, phone, kiosk):
        tab.context.close()
