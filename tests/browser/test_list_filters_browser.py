"""The lists' filter forms (orders, subscriptions) as a person uses them in Chromium, with JavaScript on and off:
what the page says about the list follows the filters chosen."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


@contextmanager
def _signed_in(browser, live_server, email: str, *, javascript: bool):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_as(page, live_server, email)
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_operators_orders_filtered_to_one_account_say_whose_orders_they_are(browser, live_server, javascript):
    with _signed_in(browser, live_server, "admin@example.com", javascript=javascript) as page:
        page.goto(f"{live_server}/orders")
        lead = page.locator("main .lead")
        expect(lead).to_have_text("Every order placed in the storefront, newest first.")
        page.get_by_label("Account").select_option(label="Adatum IT Services")
        page.locator("form.order-filters").get_by_role("button", name="Filter").click()
        expect(lead).to_have_text("Orders placed by Adatum IT Services, newest first.")
        page.get_by_role("link", name="Clear filters").click()
        expect(lead).to_have_text("Every order placed in the storefront, newest first.")
