"""A filter form swapped in place by htmx (macros.html, filter_form) keeps the keyboard where it was.

The grid that htmx swaps holds its own filter form, so the Filter button a person just pressed is
replaced by a new one; without an id htmx cannot give the new one the focus, and the focus falls to
the page's body: a keyboard or screen reader user is sent back to the top of the page.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("email, path, form", [
    ("reseller@example.com", "/subscriptions", "form.subscription-filters"),
    ("admin@example.com", "/admin/audit", "form.audit-filters"),
])
def test_pressing_filter_with_the_keyboard_leaves_the_focus_on_filter(page, live_server, email, path, form):
    sign_in_as(page, live_server, email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(live_server + path)
    button = page.locator(form).get_by_role("button", name="Filter")
    button.focus()
    with page.expect_response(lambda r: path in r.url and r.request.headers.get("hx-request") == "true"):
        page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    expect(page.locator(form).get_by_role("button", name="Filter")).to_be_focused()


def test_next_page_pressed_with_the_keyboard_keeps_the_focus_on_next_page(page, live_server):
    """The pager (macros.html) is inside the list it swaps: its links need ids for the same reason."""
    sign_in_as(page, live_server, "reseller@example.com")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(live_server + "/catalog/products")
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages).to_contain_text("Page 1 of")
    pages.get_by_role("link", name="Next page").focus()
    with page.expect_response(lambda r: "page=2" in r.url and r.request.headers.get("hx-request") == "true"):
        page.keyboard.press("Enter")
    expect(pages).to_contain_text("Page 2 of")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    expect(pages.get_by_role("link", name="Next page")).to_be_focused()
