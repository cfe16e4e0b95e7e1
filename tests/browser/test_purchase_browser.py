"""Whole purchases in Chromium: from the catalog to a provisioned order, tracked live."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import accept_in_second_browser, add_to_cart, checkout_on_a_new_tenant, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]


@pytest.fixture
def empty_carts(live_app):
    from app.catalog.models import CartLine
    from app.extensions import db

    with live_app.app_context():
        db.session.execute(db.delete(CartLine))
        db.session.commit()


def add_business_premium(page, base, seats="5"):
    page.goto(f"{base}/catalog/products")
    page.get_by_label("Search products").press_sequentially("business premium", delay=10)
    page.locator("#product-results .product-title a", has_text="Microsoft 365 Business Premium").first.click()
    add_to_cart(page, seats, term="1 year", billing_plan="Monthly")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.locator("#cart-badge").click()
    page.get_by_role("button", name="Next").click()


def place_and_track(page):
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    page.get_by_label("I accept the terms and conditions").check()
    page.get_by_role("button", name="Buy", exact=True).dblclick()  # a double click makes one order
    expect(page.get_by_role("heading", name="Thank you: your order is placed")).to_be_visible()
    number = page.locator(".order-number").inner_text()
    assert re.fullmatch(r"ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", number)
    # How the order page's event stream ends: htmx's SSE extension says so on the element.
    page.add_init_script("document.addEventListener('htmx:sseClose', e => { window.sseClosed = e.detail.type; });")
    polls = []  # the page has its stream, so it never asks the poll URL
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith(f"/orders/{number}/progress") else None)
    page.get_by_role("link", name="Track order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    # Live: no reload; the worker provisions it at the sandbox.
    expect(page.locator("#order-status")).to_have_text("Completed", timeout=45_000)
    # The stream closed itself with its last event (sse-close), not by the page going away, and the
    # finished progress asks for nothing more.
    page.wait_for_function("window.sseClosed === 'message'", timeout=15_000)
    expect(page.locator("#order-progress[hx-trigger], #order-progress[sse-swap]")).to_have_count(0)
    assert polls == []
    return number


def _orders_for(live_app, number):
    from app.extensions import db
    from app.orders.models import Order

    with live_app.app_context():
        order = db.session.scalar(db.select(Order).where(Order.number == number))
        same_draft = db.session.scalar(db.select(db.func.count(Order.id)).where(Order.draft_id == order.draft_id))
        return order, same_draft


def test_reseller_buys_for_litware_in_poland_on_a_new_tenant(page, live_server, live_worker, live_app, empty_carts):
    sign_in_as(page, live_server, "reseller@example.com")
    add_business_premium(page, live_server)
    prefix = checkout_on_a_new_tenant(page, "Litware, Inc. (PL)", "litware")

    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    page.get_by_label("Company registration ID").fill("")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#registration_id-error")).to_have_text(
        "Enter the company registration ID: Microsoft requires it for new customers in Poland.")
    page.get_by_label("Company registration ID").fill("5260250274")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Microsoft Customer Agreement")).to_be_visible()
    page.get_by_label("My customer, Litware, Inc., has accepted the Microsoft Customer Agreement").check()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("5260250274")).to_be_visible()  # the review shows the company details
    number = place_and_track(page)
    # What the completed order gave shows as it completes, as a reload shows it: the new tenant's first
    # administrator (Microsoft tells the password once) and the subscription each item created.
    admin = page.get_by_role("region", name="The new tenant's administrator")
    expect(admin).to_contain_text(f"admin@{prefix}.onmicrosoft.com")
    admin.get_by_text("Show the initial password").click()
    expect(admin.locator("code")).not_to_be_empty()
    page.get_by_role("group", name="Table: Items").get_by_role("link", name="Microsoft 365 Business Premium").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Microsoft 365 Business Premium")
    order, same_draft = _orders_for(live_app, number)
    assert same_draft == 1 and order.domain == f"{prefix}.onmicrosoft.com"


def test_direct_customer_buys_for_its_existing_tenant(page, browser, live_server, live_worker, live_app, empty_carts):
    sign_in_as(page, live_server, "customer@example.com")
    add_business_premium(page, live_server, seats="3")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Domain prefix").fill("wingtiptoys")
    page.get_by_label("I am already using Office 365 service and I own this domain").check()
    link = page.get_by_label("Authorization link")
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    accept_in_second_browser(browser, link.input_value(), "Wingtip Toys Sp. z o.o. (wingtiptoys.onmicrosoft.com)")
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=20_000)
    page.get_by_role("button", name="Checkout").click()

    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("I have read and accept the Microsoft Customer Agreement").check()
    page.get_by_role("button", name="Next").click()
    number = place_and_track(page)
    order, same_draft = _orders_for(live_app, number)
    assert same_draft == 1 and order.tenant_id == "6b1e4d7a-2c5f-4a8b-9e3d-f1a2b3c4d5e6"
