"""A person signs in as each demo role in Chromium; and a form works with JavaScript off."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("email, heading, menu, nav_link", [
    ("admin@example.com", "Operator home", "Settings", "Storefront options"),
    ("reseller@example.com", "Reseller home", None, "Home"),
    ("customer@example.com", "Your account", None, "Home"),
])
def test_each_demo_role_signs_in_and_sees_its_home(page, live_server, email, heading, menu, nav_link):
    sign_in_as(page, live_server, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    nav = page.get_by_role("navigation", name="Main")
    if menu:  # the entry sits in a group's menu, opened by its button
        expect(nav.get_by_role("link", name=nav_link)).to_be_hidden()
        nav.get_by_role("button", name=menu).click()
    expect(nav.get_by_role("link", name=nav_link)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()


def test_wrong_password_message_in_the_browser(page, live_server):
    sign_in_as(page, live_server, "reseller@example.com", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")
    expect(page.get_by_label("Email")).to_have_value("reseller@example.com")


def test_forms_work_with_javascript_off(no_js_page, live_server):
    page = no_js_page
    sign_in_as(page, live_server, "admin@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator home")
    page.get_by_role("link", name="Storefront options").first.click()
    annual = page.get_by_label("Annual billing")
    expect(annual).to_be_checked()
    annual.uncheck()
    page.get_by_role("button", name="Save options").click()
    expect(page.get_by_text("Storefront options saved.")).to_be_visible()
    expect(page.get_by_label("Annual billing")).not_to_be_checked()
    # Put it back for other tests.
    page.get_by_label("Annual billing").check()
    page.get_by_role("button", name="Save options").click()
    expect(page.get_by_label("Annual billing")).to_be_checked()


def test_on_a_phone_another_menu_opens_at_the_first_press_while_one_is_open(browser, live_server):
    """On a phone an open menu sits in the page's flow, below its button. Pressing another group's button
    while it was open only closed it: the press moved focus, which closed the open menu at once, so the
    buttons moved under the finger before it was lifted and the press opened nothing; a second press did."""
    from tests.support.browser import PHONE

    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sign_in_as(page, live_server, "admin@example.com")
        page.wait_for_load_state("load")
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("button", name="Partners").click()
        expect(nav.get_by_role("link", name="Partner requests")).to_be_visible()
        nav.get_by_role("button", name="Tools").click()
        expect(nav.get_by_role("link", name="Customer import")).to_be_visible()
        expect(nav.get_by_role("button", name="Tools")).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Partner requests")).to_be_hidden()
        expect(nav.get_by_role("button", name="Partners")).to_have_attribute("aria-expanded", "false")
        # Leaving a menu by the keyboard still closes it: from its last entry, Tab goes on to Settings.
        page.locator("#nav-menu-tools").get_by_role("link").last.focus()
        page.keyboard.press("Tab")
        expect(nav.get_by_role("button", name="Settings")).to_be_focused()
        expect(nav.get_by_role("link", name="Customer import")).to_be_hidden()
    finally:
        context.close()
