"""The order history's filter form (templates/orders/_order_table.html, written by hand rather than with
macros.html's filter_form) keeps the keyboard where it was when htmx swaps the history in place: its Filter
button needs an id for htmx to give the new one the focus, else the focus falls to the page's body."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


def test_pressing_filter_on_the_orders_with_the_keyboard_leaves_the_focus_on_filter(page, live_server):
    sign_in_as(page, live_server, "reseller@example.com")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(live_server + "/orders")
    page.get_by_label("Search orders").fill("ORD-")
    button = page.locator("form.order-filters").get_by_role("button", name="Filter")
    button.focus()
    with page.expect_response(lambda r: "/orders?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    expect(page).to_have_url(live_server + "/orders?q=ORD-")
    expect(page.locator("form.order-filters").get_by_role("button", name="Filter")).to_be_focused()
