"""The issuer desk: a market-regulation officer issues a food-business licence from the form
the type's schema builds, suspends it from the department's list and sees the status change."""

from __future__ import annotations

import random

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveHall, shot, sign_in

TENCENT = "91440300708461136T"  # a demo entity the officer's department may license


def _fill_food_business(page: Page, number: str) -> None:
    page.locator("#issue-type").select_option("food-business")
    page.locator("#issue-holder").fill(TENCENT)
    page.locator("#issue-number").fill(number)
    page.locator("#f-operator_name").fill("深圳市腾讯计算机系统有限公司")
    page.locator("#f-legal_representative").fill("马化腾")
    page.locator("#f-address").fill("深圳市南山区科技园科技中一路腾讯大厦")
    page.locator("#f-business_premises").fill("深圳市南山区海天二路33号 员工餐厅")
    page.locator("#f-main_business_form").select_option("集中用餐单位食堂")
    page.locator("#f-business_items").fill("热食类食品制售")


def test_an_officer_issues_and_suspends_a_licence(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/issuer", "amr.officer")
    expect(page.locator("#dept-name")).to_have_text("广州市市场监督管理局")
    expect(page.locator("#dept-types")).to_contain_text("食品经营许可证")
    number = "JY1" + "".join(random.choices("0123456789", k=13))

    _fill_food_business(page, number)
    expect(page.locator("#issue-number-label")).to_have_text("许可证编号")
    page.get_by_role("button", name="签发", exact=True).click()
    expect(page.locator("#issue-result")).to_contain_text("已签发")
    row = page.locator(f"#list-body tr[data-number='{number}']")
    expect(row.locator(".status")).to_have_text("有效")
    shot(page, "issuer", live)

    row.get_by_role("button", name=f"暂停 {number}").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确定").click()  # a suspension needs a reason
    expect(page.locator("#action-error")).to_contain_text("原因")
    dialog.get_by_label("原因").fill("现场检查发现问题，限期整改")
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".status")).to_have_text("已暂停")
    expect(row.get_by_role("button", name=f"恢复 {number}")).to_be_visible()

    page.locator("#list-status").select_option("suspended")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(f"#list-body tr[data-number='{number}']")).to_have_count(1)
    expect(page.locator("#list-body .status").first).to_have_text("已暂停")
    shot(page, "issuer-suspended", live)


def test_issuing_a_number_twice_is_refused_in_words(page: Page, live: LiveHall) -> None:
    sign_in(page, live, "/issuer", "amr.officer")
    page.get_by_role("link", name="English").click()  # signed in still: the token is kept
    expect(page.locator("#issue-type")).to_contain_text("Food Business Licence")
    number = "JY1" + "".join(random.choices("0123456789", k=13))
    _fill_food_business(page, number)
    page.get_by_role("button", name="Issue", exact=True).click()
    expect(page.locator("#issue-result")).to_contain_text("Issued")
    _fill_food_business(page, number)
    page.get_by_role("button", name="Issue", exact=True).click()
    expect(page.locator("#issue-error")).to_have_text(
        "You already issued a licence with this number; amend it instead"
    )


def test_the_desk_fits_a_phone_once_signed_in(browser_phone: Page, live: LiveHall) -> None:
    sign_in(browser_phone, live, "/issuer", "amr.officer")
    expect(browser_phone.locator("#list-body tr").first).to_be_visible()
    assert browser_phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(browser_phone, "issuer-phone", live)
