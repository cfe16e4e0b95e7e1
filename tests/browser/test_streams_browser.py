"""A waiting page without a stream polls instead, in Chromium, and still sees the change: in a browser
that has no EventSource, and for a user who already holds as many streams as allowed."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_browser import customer_at_service_step, existing_tenant
from tests.support.browser import accept_in_second_browser

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts", "filled_carts")]

POLL = "/checkout/service/authorization"


def _waits_then_is_enabled_by_polling(page, browser, live_server, prefix, company):
    polls = []
    page.on("request", lambda request: polls.append(request.url) if POLL in request.url else None)
    customer_at_service_step(page, live_server)
    link = existing_tenant(page, prefix, "I am already using Office 365 service and I own this domain")
    expect(link).to_have_value(re.compile(r"/sandbox/Adminportal/Home\?invType=ResellerRelationship&"))
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    # The gate polls (its answer asks again every 5 s) and listens to no stream.
    expect(page.locator("#checkout-gate")).to_have_attribute("hx-trigger", "every 5s")
    expect(page.locator("#checkout-gate[sse-swap]")).to_have_count(0)
    accept_in_second_browser(browser, link.input_value(), company)
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=30_000)
    assert polls, "the page never polled"
    # Over: the last gate asks for nothing more.
    expect(page.locator("#checkout-gate[hx-trigger]")).to_have_count(0)


def test_a_browser_without_eventsource_polls_and_sees_the_acceptance(page, browser, live_server, live_worker):
    page.add_init_script("delete window.EventSource;")
    _waits_then_is_enabled_by_polling(page, browser, live_server, "wingtiptoys",
                                      "Wingtip Toys Sp. z o.o. (wingtiptoys.onmicrosoft.com)")


def test_at_the_cap_of_streams_the_page_polls_and_sees_the_acceptance(page, browser, live_app, live_server,
                                                                      live_worker):
    from app import live
    from app.accounts.models import User
    from app.extensions import db

    with live_app.app_context():
        carl = db.session.scalar(db.select(User).where(User.email == "customer@example.com"))
        slots = [live.take_slot(carl.id) for _ in range(live.max_streams())]  # his other tabs
    try:
        assert all(slots)
        _waits_then_is_enabled_by_polling(page, browser, live_server, "wingtiptoys",
                                          "Wingtip Toys Sp. z o.o. (wingtiptoys.onmicrosoft.com)")
        expect(page.locator("[sse-connect]")).to_have_count(0)
    finally:
        with live_app.app_context():
            for slot in slots:
                if slot:
                    live.release_slot(carl.id, slot)
