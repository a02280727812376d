"""The clerk window in Chromium: call, scan (photo, scan gun, camera), the case, complete."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import FilePayload, Page, expect

from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.codes.qr import render_png
from codeid.entities.service import get_entity
from counter.demo_users import HUAWEI
from tests.web.conftest import LiveHall, shot, sign_in

WINDOW = 1  # clerk.li's; the demo hall's window 1 calls categories A and F
MAX_DRAIN = 300


def api_headers(live: LiveHall, username: str) -> dict[str, str]:
    signed = httpx.post(
        live.url + "/auth/login",
        json={"username": username, "password": live.passwords[username]},
    )
    signed.raise_for_status()
    return {"Authorization": "Bearer " + signed.json()["access_token"]}


def drain(live: LiveHall, headers: dict[str, str], window: int = WINDOW) -> None:
    """The live hall is shared by every browser test: send whoever waits for this window
    away (recalled until a no-show), so the next call is the ticket a test made."""
    base = f"{live.url}/v1/windows/{window}"
    for _ in range(MAX_DRAIN):
        called = httpx.post(base + "/call", headers=headers).json()
        if called["ticket"] is None:
            return
        for _ in range(10):
            moved = httpx.post(
                f"{base}/tickets/{called['ticket']['id']}/recall", headers=headers
            ).json()
            if moved["status"] == "no-show":
                break
    raise AssertionError(f"window {window} could not be emptied")


def dynamic_code(live: LiveHall, *, minutes_ago: int = 0) -> str:
    with live.runtime.session() as session:
        issued = live.runtime.issue_code(
            session,
            uscc=HUAWEI,
            kind=CodeKind.DYNAMIC,
            now=utcnow() - timedelta(minutes=minutes_ago),
        )
    return issued.payload


def huawei_name(live: LiveHall) -> str:
    with live.runtime.session() as session:
        return get_entity(session, HUAWEI).name


def check_in(live: LiveHall, item_code: str) -> dict[str, Any]:
    response = httpx.post(
        live.url + "/v1/checkins", json={"payload": dynamic_code(live), "item_code": item_code}
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["ticket"])


def png(payload: str) -> FilePayload:
    return {"name": "code.png", "mimeType": "image/png", "buffer": render_png(payload)}


def open_window(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/window", "clerk.li")
    expect(page.locator("#window-select option")).to_have_count(10)
    page.select_option("#window-select", str(WINDOW))


def test_call_scan_a_photo_fill_the_form_and_complete(page: Page, live: LiveHall) -> None:
    drain(live, api_headers(live, "clerk.li"))
    ticket = check_in(live, "address-change")
    open_window(page, live)
    page.get_by_role("button", name="呼叫下一位").click()
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    expect(page.locator("#current-info")).to_contain_text("已叫号")

    # A screenshot of an old code: the clerk is told what to ask for, in words.
    page.set_input_files("#photo", files=[png(dynamic_code(live, minutes_ago=10))])
    expect(page.locator("#scan-error")).to_contain_text("请企业刷新二维码")

    page.set_input_files("#photo", files=[png(dynamic_code(live))])
    expect(page.locator("#entity")).to_be_visible()
    expect(page.locator("#scan-error")).to_have_text("")
    expect(page.locator("#entity-facts")).to_contain_text(huawei_name(live))
    expect(page.locator("#entity-facts")).to_contain_text(HUAWEI)
    expect(page.locator("#licences tbody tr").first).to_be_visible()
    expect(page.locator("#licences tbody")).to_contain_text("有效")

    expect(page.locator("#item")).to_have_value("address-change")
    page.get_by_role("button", name="开始办理").click()
    expect(page.locator("#case-body")).to_be_visible()
    expect(page.locator("#field-entity_name")).to_have_value(huawei_name(live))
    expect(page.locator("#field-entity_name-source")).to_have_text("企业登记信息")
    expect(page.locator("#case-fields .source-licence").first).to_contain_text("电子证照")
    expect(page.locator("#materials")).to_contain_text("请核验纸质材料")

    empty = page.locator("#case-fields input[required]").evaluate_all(
        "inputs => inputs.filter(i => !i.value && !i.readOnly).map(i => i.id)"
    )
    assert empty, "the clerk types what no licence holds"
    for field_id in empty:
        page.fill(f"#{field_id}", "广州市天河区珠江新城花城大道1号")
    shot(page, "window", live)
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator("#case-status")).to_contain_text("已办结")
    expect(page.locator("#current-number")).to_have_text("—")
    expect(page.locator("#complete")).to_be_disabled()


def test_a_walk_in_is_named_by_the_scan_gun(page: Page, live: LiveHall) -> None:
    drain(live, api_headers(live, "clerk.li"))
    taken = httpx.post(live.url + "/v1/tickets/walk-in", json={"category_code": "F"})
    assert taken.status_code == 201, taken.text
    number = taken.json()["ticket"]["number"]
    open_window(page, live)
    page.get_by_role("button", name="呼叫下一位").click()
    expect(page.locator("#current-number")).to_have_text(number)
    expect(page.locator("#current-hint")).to_be_visible()
    expect(page.locator("#open-case")).to_be_disabled()

    expect(page.locator("#gun")).to_be_focused()
    page.keyboard.type(dynamic_code(live))
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_have_text("已关联企业")
    expect(page.locator("#current-hint")).to_be_hidden()
    expect(page.locator("#entity-facts")).to_contain_text(huawei_name(live))
    expect(page.locator("#open-case")).to_be_enabled()


def test_recall_until_no_show_and_the_camera_starts_and_stops(page: Page, live: LiveHall) -> None:
    drain(live, api_headers(live, "clerk.li"))
    ticket = check_in(live, "tobacco-retail-renewal")
    open_window(page, live)
    page.get_by_role("button", name="呼叫下一位").click()
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    no_show = page.get_by_role("button", name="过号")
    expect(no_show).to_be_disabled()
    for _ in range(3):
        page.get_by_role("button", name="重呼").click()
        expect(page.locator("#toast")).to_have_text("已重呼")
        page.locator("#toast").evaluate("box => { box.textContent = ''; }")
    expect(no_show).to_be_enabled()
    no_show.click()
    expect(page.locator("#toast")).to_have_text("已记为过号")
    expect(page.locator("#current-number")).to_have_text("—")

    page.get_by_role("button", name="打开摄像头扫码").click()
    video = page.locator("#camera")
    expect(video).to_be_visible()
    with page.expect_response(re.compile(r"/v1/scans$")) as sent:
        pass  # the fake camera's frames go to the server's scanner every 800 ms
    assert sent.value.status == 200
    assert page.evaluate("document.getElementById('camera').videoWidth") > 0
    page.get_by_role("button", name="关闭摄像头").click()
    expect(video).to_be_hidden()
    assert page.evaluate("document.getElementById('camera').srcObject") is None


def test_the_whole_desk_fits_a_phone(browser_phone: Page, live: LiveHall) -> None:
    page = browser_phone
    drain(live, api_headers(live, "clerk.li"))
    ticket = check_in(live, "address-change")
    open_window(page, live)
    page.get_by_role("button", name="呼叫下一位").click()
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    page.fill("#gun", dynamic_code(live))
    page.get_by_role("button", name="识别").click()
    expect(page.locator("#entity")).to_be_visible()
    page.get_by_role("button", name="开始办理").click()
    expect(page.locator("#case-body")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "window-phone", live)
    assert width <= 375, f"the window page is {width} px wide on a 375 px phone"
