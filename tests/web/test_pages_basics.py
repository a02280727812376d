"""Every page renders in Chinese and English, fits a 375 px phone, and signs in by role."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.web.pages import PAGES
from tests.web.conftest import LiveHall, shot, sign_in


def test_home_links_every_page_in_both_languages(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/")
    expect(page.locator("h1")).to_contain_text("企业码")
    for path, _, _ in PAGES:
        expect(page.locator(f"main a[href^='{path}?']")).to_have_count(1)
    shot(page, "home-zh", live)
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_contain_text("one code for every licence")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(live.url + "/")  # the choice is remembered
    expect(page.locator("h1")).to_contain_text("one code for every licence")


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_no_horizontal_scroll_on_a_phone(browser_phone: Page, live: LiveHall, path: str) -> None:
    browser_phone.goto(live.url + path)
    width = browser_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width} px wide on a 375 px phone"


def test_sign_in_refuses_a_wrong_password_and_the_wrong_role(page: Page, live: LiveHall) -> None:
    page.goto(live.url + "/admin")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误")
    page.get_by_label("用户名").fill("clerk.li")
    page.get_by_label("密码").fill(live.passwords["clerk.li"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_have_text("您没有此操作的权限")
    sign_in(page, live, "/admin", "admin")
    expect(page.locator("#who-name")).to_contain_text("系统管理员")


def test_security_headers_on_pages(live: LiveHall) -> None:
    response = httpx.get(live.url + "/portal")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
