"""When things go wrong, in Chromium: what a person is told, with JavaScript on and off."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser

SIGNED_OUT_MID_FORM = ("You were signed out, so what you sent was not saved. Sign in to go back to the page and "
                       "send it again.")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_button_pressed_after_signing_out_in_another_tab_leads_back_to_its_page(browser, live_server, live_worker,
                                                                                 javascript):
    """Check connection pressed in a tab whose session another tab had signed out: sign-in led to the button's
    own address, which answers POST only ("Not allowed"); now it says what happened and leads back to the page."""
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        sign_in_as(page, live_server, "admin@example.com")
        page.goto(f"{live_server}/admin/partner-center/")
        other = context.new_page()
        other.goto(f"{live_server}/")
        other.get_by_role("button", name="Sign out").click()
        expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
        other.close()

        page.get_by_role("button", name="Check connection default").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.locator("#flash-region")).to_have_text(SIGNED_OUT_MID_FORM)
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password").fill("demo-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Partner Center")
        page.get_by_role("button", name="Check connection default").click()  # and it can be sent again
        if not javascript:  # without JavaScript the answer is behind its link
            for _ in range(20):
                if "Connection works." in page.locator("#check-status").inner_text():
                    break
                page.wait_for_timeout(500)
                page.get_by_role("link", name="See the result").click()
        expect(page.locator("#check-status")).to_contain_text("Connection works.", timeout=20_000)
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_sign_in_page_left_open_past_its_session_keeps_the_email(browser, live_server, javascript):
    """The session cookie ended while the sign-in page was open: Sign in showed "Security check failed … Go back,
    reload the page", and the email typed was gone."""
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/sign-in")
        context.clear_cookies()
        page.get_by_label("Email").fill("reseller@example.com")
        page.get_by_label("Password").fill("demo-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text(
            "This page had been open for a long time, so it could not be sent safely. Enter your password and sign "
            "in again.")
        expect(page.get_by_label("Email")).to_have_value("reseller@example.com")
        page.get_by_label("Password").fill("demo-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reseller home")
    finally:
        context.close()
