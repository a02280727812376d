"""The business portal in Chromium, signed in as Huawei's legal representative: the dynamic
code refreshes itself, the static code downloads and scans back to Huawei, a booking is made,
moved and cancelled, an agent authorised and revoked, a consent granted and revoked, and the
access log lists who read our data."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from codeid.accounts.models import Role
from codeid.accounts.users import create_user
from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.codes.verify import verify_code
from codeid.mandates.models import Mandate, MandateRole
from counter.check_in import check_in
from credentials.partners.clients import register_client
from scanners.frames import load_image_bytes
from scanners.pipeline import first_verified_code
from tests.web.conftest import LiveHall, shot, sign_in

HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
REP = "huawei.rep"


def _portal(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/portal", REP)
    expect(page.locator("#entity-uscc")).to_have_text(HUAWEI)
    expect(page.locator("#dynamic-qr")).to_be_visible()


def _next_weekday() -> date:
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_dynamic_code_counts_down_and_refreshes(page: Page, live: LiveHall) -> None:
    _portal(page, live)
    expect(page.locator("#entity-name")).to_have_text("华为技术有限公司")
    expect(page.locator("#entity-role")).to_have_text("法定代表人")
    qr = page.locator("#dynamic-qr")
    first = qr.get_attribute("data-code-id")
    assert first and page.locator("#dynamic-id").text_content() == first
    countdown = page.locator("#dynamic-countdown")
    expect(countdown).to_contain_text("秒后刷新")
    before = countdown.text_content()
    expect(countdown).not_to_have_text(before or "", timeout=3000)  # it runs
    page.get_by_role("button", name="立即刷新").click()
    expect(qr).not_to_have_attribute("data-code-id", first)
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    rows = page.locator("#licence-rows tr")
    expect(rows.filter(has_text="营业执照")).to_contain_text("有效")
    shot(page, "portal", live)
    page.goto(live.url + "/portal?lang=en")
    expect(page.get_by_role("heading", name="Dynamic business code")).to_be_visible()
    expect(qr).to_be_visible()
    shot(page, "portal-en", live)


def test_static_png_downloads_and_scans_to_huawei(page: Page, live: LiveHall) -> None:
    _portal(page, live)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 PNG 图片").click()
    download = info.value
    assert download.suggested_filename == f"codeid-{HUAWEI}.png"
    image = load_image_bytes(Path(download.path()).read_bytes())
    now = utcnow()
    with live.runtime.session() as session:
        keys = live.runtime.keyring(session).public_keys()
    claims = verify_code(first_verified_code(image, keys=keys, now=now), keys=keys, now=now)
    assert claims.uscc == HUAWEI and claims.kind == "static"

    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="打印").click()
    page.wait_for_function("window.printed === true")
    expect(page.locator("#print-uscc")).to_have_text(HUAWEI)
    page.emulate_media(media="print")
    expect(page.locator("#print-qr")).to_be_visible()
    expect(page.locator("#dynamic-qr")).to_be_hidden()
    shot(page, "portal-print", live)


def test_book_reschedule_then_cancel(page: Page, live: LiveHall) -> None:
    _portal(page, live)
    page.get_by_label("日期", exact=True).fill(_next_weekday().isoformat())
    page.get_by_role("button", name="查询可约时段").click()
    slots = page.locator("#book-slot-list input[type=radio]")
    expect(slots.first).to_be_checked()
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.locator("#toast")).to_contain_text("预约成功")
    reference = (page.locator("#toast").text_content() or "").split()[-1]
    row = page.locator("#booking-rows tr", has_text=reference)
    expect(row).to_contain_text("已确认")
    first_time = row.locator("td").first.text_content()

    row.get_by_role("button", name="改约").click()
    expect(page.locator("#book-moving")).to_contain_text(reference)
    page.get_by_role("button", name="查询可约时段").click()
    slots.nth(1).check()
    page.get_by_role("button", name="改到此时段").click()
    expect(page.locator("#toast")).to_have_text("已改约")
    expect(row.locator("td").first).not_to_have_text(first_time or "")

    row.get_by_role("button", name="取消预约").click()
    expect(page.locator("#toast")).to_have_text("预约已取消")
    expect(row).to_have_count(0)


def test_authorise_an_agent_then_revoke(page: Page, live: LiveHall) -> None:
    username = f"agent.{secrets.token_hex(3)}"
    with live.runtime.session() as session:
        create_user(
            session, username=username, role=Role.BUSINESS, display_name="张代办", now=utcnow()
        )
    _portal(page, live)
    form = page.locator("#agent-form")
    form.get_by_label("被授权人登录账号").fill(username)
    form.get_by_role("button", name="授权").click()
    expect(page.locator("#toast")).to_have_text("已授权经办人")
    row = page.locator("#mandate-rows tr", has_text=username)
    expect(row).to_contain_text("经办人（代理人）")
    expect(row).to_contain_text("全部事项")
    expect(row).to_contain_text("有效")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="撤销").click()
    expect(row).to_contain_text("已撤销")
    expect(row.get_by_role("button", name="撤销")).to_have_count(0)

    form.get_by_label("被授权人登录账号").fill("nobody-" + username)
    form.get_by_role("button", name="授权").click()
    expect(page.locator("#mandates-error")).to_contain_text("没有该用户名的账号")


def test_grant_then_revoke_a_consent(page: Page, live: LiveHall) -> None:
    partner = f"测试银行 {secrets.token_hex(2)}"
    with live.runtime.session() as session:
        register_client(session, name=partner, scopes=["licences:read"], now=utcnow())
    _portal(page, live)
    form = page.locator("#consent-form")
    form.get_by_label("合作机构").select_option(label=partner)
    form.get_by_role("button", name="授权共享").click()
    expect(page.locator("#consents-error")).to_have_text("请至少选择一种证照")
    form.get_by_label("营业执照").check()
    form.get_by_label("用途").fill("贷款审核")
    form.get_by_role("button", name="授权共享").click()
    expect(page.locator("#toast")).to_have_text("已授权")
    row = page.locator("#consent-rows tr", has_text=partner)
    expect(row).to_contain_text("营业执照")
    expect(row).to_contain_text("有效")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="撤销").click()
    expect(row).to_contain_text("已撤销")


def test_tickets_today_show_people_ahead_and_wait(page: Page, live: LiveHall) -> None:
    now = utcnow()
    with live.runtime.session() as session:  # Huawei checks in at a kiosk
        issued = live.runtime.issue_code(session, uscc=HUAWEI, kind=CodeKind.DYNAMIC, now=now)
        keys = live.runtime.keyring(session).public_keys()
        result = check_in(session, issued.payload, keys=keys, now=now, item_code="address-change")
        ticket = result.ticket.number
    _portal(page, live)
    card = page.locator("#ticket-list li", has_text=ticket)
    expect(card).to_contain_text("等候中")
    expect(card).to_contain_text("前面还有")
    expect(card).to_contain_text("预计等候")


def test_access_log_lists_who_read_our_data(page: Page, live: LiveHall) -> None:
    _portal(page, live)
    page.reload()  # the first visit's reads are in the log by now
    rows = page.locator("#access-rows tr")
    expect(rows.filter(has_text="查看预约").first).to_contain_text("华为 法定代表人")
    expect(rows.filter(has_text="查看预约").first).to_contain_text("成功")


def test_an_agent_of_one_business_and_administrator_of_another(page: Page, live: LiveHall) -> None:
    """Several mandates: a select picks the business; what the page offers follows the role."""
    username, password, now = f"multi.{secrets.token_hex(3)}", secrets.token_urlsafe(12), utcnow()
    with live.runtime.session() as session:
        user = create_user(
            session, username=username, role=Role.BUSINESS, password=password, now=now
        )
        assert user.id is not None
        for uscc, role in (
            (HUAWEI, MandateRole.AGENT),
            (TENCENT, MandateRole.LICENCE_ADMINISTRATOR),
        ):
            start, end = now - timedelta(minutes=1), now + timedelta(days=7)
            session.add(
                Mandate(
                    uscc=uscc,
                    user_id=user.id,
                    role=role.value,
                    valid_from=start,
                    valid_until=end,
                    created_at=now,
                )
            )
    page.goto(live.url + "/portal")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    picker = page.get_by_label("选择企业")
    expect(picker).to_be_visible()
    picker.select_option(HUAWEI)
    expect(page.locator("#entity-role")).to_have_text("经办人（代理人）")
    expect(page.locator("#dynamic-qr")).to_be_visible()
    expect(page.locator("#static-agent")).to_be_visible()
    expect(page.get_by_role("button", name="下载 PNG 图片")).to_be_hidden()
    expect(page.locator("#agent-form")).to_be_hidden()
    expect(page.locator("#consent-form")).to_be_hidden()

    picker.select_option(TENCENT)
    expect(page.locator("#entity-uscc")).to_have_text(TENCENT)
    expect(page.locator("#entity-role")).to_have_text("证照管理员")
    expect(page.get_by_role("button", name="下载 PNG 图片")).to_be_visible()
    expect(page.locator("#agent-form")).to_be_visible()
    expect(page.locator("#admin-form")).to_be_hidden()  # only the legal representative appoints
    expect(page.locator("#dynamic-qr")).to_be_visible()


def test_english_and_a_phone(browser_phone: Page, live: LiveHall) -> None:
    sign_in(browser_phone, live, "/portal", REP)
    expect(browser_phone.locator("#dynamic-qr")).to_be_visible()
    expect(browser_phone.locator("#licence-rows tr").first).to_contain_text("营业执照")
    width = browser_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the signed-in portal is {width} px wide on a 375 px phone"
    shot(browser_phone, "portal-phone", live)
    browser_phone.goto(live.url + "/portal?lang=en")
    expect(browser_phone.locator("#entity-role")).to_have_text("Legal representative")
    expect(browser_phone.locator("#access-rows tr").first).to_contain_text("Answered")
    shot(browser_phone, "portal-phone-en", live)
