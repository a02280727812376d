"""Administration: hall set-up checked by the server (problems in words), a clerk added and
disabled, a partner client whose secret is shown once, the platform key rotated, the access
log searched and its chain checked."""

from __future__ import annotations

import secrets

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveHall, shot, sign_in


def test_hall_set_up_is_checked_before_it_is_saved(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/admin", "admin")
    editor = page.get_by_label("大厅设置 JSON")
    expect(editor).not_to_have_value("")
    saved = editor.input_value()
    assert '"windows"' in saved

    editor.fill("{ not json")
    page.get_by_role("button", name="校验并保存").click()
    expect(page.locator("#hall-error")).to_contain_text("JSON 格式错误")

    # A pasted document (fill() types 47 kB too slowly)
    editor.evaluate(
        "(box, text) => { box.value = text; }", saved.replace('"version": 1', '"version": 2', 1)
    )
    page.get_by_role("button", name="校验并保存").click()
    expect(page.locator("#hall-error")).to_contain_text("大厅设置有以下问题，未保存")
    expect(page.locator("#hall-error li").first).to_contain_text("version")

    page.get_by_role("button", name="重新载入").click()
    expect(editor).to_have_value(saved)
    page.get_by_role("button", name="校验并保存").click()  # the same set-up again: a no-op
    expect(page.locator("#hall-result")).to_contain_text("个窗口")
    expect(page.locator("#hall-error")).to_have_text("")


def test_an_administrator_runs_the_platform(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/admin", "admin")

    # A clerk for windows 11 and 12, then disabled.
    username = f"clerk.{secrets.token_hex(3)}"
    form = page.locator("#user-form")
    form.get_by_label("登录名").fill(username)
    form.get_by_label("姓名").fill("赵六 (11-12号窗口)")
    form.get_by_label("角色").select_option("clerk")
    form.get_by_label("初始口令").fill(secrets.token_urlsafe(12))
    form.get_by_label("窗口号").fill("11-12")
    form.get_by_role("button", name="新增").click()
    user = page.locator(f"#user-body tr[data-username='{username}']")
    expect(user).to_contain_text("窗口人员")
    expect(user).to_contain_text("正常")
    user.get_by_role("button", name=f"停用 {username}").click()
    expect(user).to_contain_text("已停用")

    # A partner client: the secret is shown once, then gone from the page.
    name = f"测试银行 {secrets.token_hex(2)}"
    page.get_by_label("合作方名称").fill(name)
    page.get_by_label("核验证照").check()
    page.get_by_role("button", name="创建客户端").click()
    secret = page.locator("#secret-value")
    expect(secret).to_contain_text("cs_")
    client_id = page.locator("#secret-client-id").inner_text()
    row = page.locator(f"#client-body tr[data-client='{client_id}']")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("核验企业码、核验证照")
    shown = secret.inner_text()
    shot(page, "admin-secret", live)
    page.get_by_role("button", name="我已保存，关闭").click()
    expect(page.locator("#secret-box")).to_be_hidden()
    assert shown not in page.content()
    row.get_by_role("button", name=f"停用 {name}").click()
    page.locator("#confirm-yes").click()
    expect(row).to_contain_text("已停用")

    # Rotate the platform (business code) key: the old one turns verify-only.
    ring = page.locator("#key-rings [data-ring='platform']")
    old = ring.locator("tbody tr").filter(has_text="签名中")
    expect(old).to_have_count(1)
    old_kid = old.get_attribute("data-kid")
    ring.get_by_role("button", name="轮换 · 企业码签名密钥").click()
    expect(page.locator("#confirm-text")).to_contain_text("企业码签名密钥")
    page.locator("#confirm-yes").click()
    expect(ring.locator(f"tr[data-kid='{old_kid}']")).to_contain_text("仅验证")
    expect(ring.locator("tbody tr").filter(has_text="签名中")).to_have_count(1)
    expect(ring.locator("tbody tr").first).not_to_have_attribute("data-kid", old_kid or "")

    # The access log: this page's own searches are logged; the chain is intact.
    page.get_by_label("操作（如 entity.read）").fill("access_log.search")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#log-body tr").first).to_contain_text("access_log.search")
    expect(page.locator("#log-body tr").first).to_contain_text("系统管理员")
    page.get_by_label("操作（如 entity.read）").fill("no.such.action")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#log-empty")).to_be_visible()
    page.get_by_role("button", name="校验日志完整性").click()
    expect(page.locator("#log-chain")).to_contain_text("日志完整")
    shot(page, "admin", live)


def test_a_weak_passphrase_is_refused_in_words(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/admin", "admin")
    form = page.locator("#user-form")
    form.get_by_label("登录名").fill(f"officer.{secrets.token_hex(3)}")
    form.get_by_label("角色").select_option("issuer")
    expect(form.get_by_label("所属发证部门")).to_contain_text("广州市市场监督管理局")
    form.get_by_label("初始口令").fill("aaaaabbbbb")
    form.get_by_role("button", name="新增").click()
    expect(page.locator("#user-error")).to_have_text(
        "口令太弱：至少 10 位，且至少含 5 个不同的字符"
    )


def test_the_admin_page_fits_a_phone_once_signed_in(browser_phone: Page, live: LiveHall) -> None:
    sign_in(browser_phone, live, "/admin", "admin")
    expect(browser_phone.locator("#user-body tr").first).to_be_visible()
    expect(browser_phone.locator("#key-rings [data-ring='auth'] tbody tr").first).to_be_visible()
    assert browser_phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(browser_phone, "admin-phone", live)
