"""On a phone (390 px wide) the page itself never scrolls sideways: a data table scrolls inside its own
region (a focusable, named region a keyboard can scroll), and the facts of a subscription wrap.

The pages are walked as each kind of account sees them, on the walk server (tests/support/accessibility.py:
reseller A's querying order and subscription, its cart line), so every list has rows.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, scrolls_with_the_keyboard, sign_in_as, sticking_out

pytestmark = pytest.mark.browser

# A product whose SKU has one of the catalog's longest names: its Add to cart drop-down must still fit.
LONG_SKU_PRODUCT = "/catalog/products/CFQ7TTC0LH0R"


def _pages(scene, kind: str) -> list[str]:
    order, subscription = f"/orders/{scene.isolation.order_number}", f"/subscriptions/{scene.isolation.sub_id}"
    if kind == "operator":
        return ["/orders", "/subscriptions", "/admin/accounts/", "/admin/audit", order, subscription]
    if kind == "reseller":  # reseller A: its order and subscription
        return ["/orders", "/subscriptions", "/catalog/products", LONG_SKU_PRODUCT, "/cart", order, subscription]
    return ["/orders", "/subscriptions", "/catalog/products", LONG_SKU_PRODUCT, "/cart"]


@pytest.mark.parametrize("email, kind", [("admin@example.com", "operator"), ("reseller@example.com", "reseller"),
                                         ("customer@example.com", "customer")])
def test_the_main_pages_do_not_scroll_sideways_on_a_phone(browser, walk_server, email, kind):
    base, app, scene = walk_server
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in_as(page, base, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        wide = [problem for path in _pages(scene, kind) if (problem := sticking_out(page, base + path))]
        assert not wide, "The page scrolls sideways on a phone:\n" + "\n".join(wide)
    finally:
        context.close()


def test_a_wide_table_scrolls_in_its_own_named_region_a_keyboard_reaches(browser, walk_server):
    base, app, scene = walk_server
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in_as(page, base, "reseller@example.com")
        page.goto(base + "/subscriptions")
        scrolls_with_the_keyboard(page, "Subscriptions", "table.subscription-table")
        assert page.evaluate("getComputedStyle(document.querySelector('table.subscription-table')).display") == "table"
    finally:
        context.close()


@contextmanager
def _a_phone_with(row, *, browser, live_server, live_app, email: str):
    """A phone's page signed in as `email`, with `row` in the database while the phone is open (deleted after)."""
    from app.extensions import db

    model = type(row)
    with live_app.app_context():
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sign_in_as(page, live_server, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        yield page
    finally:
        context.close()
        with live_app.app_context():
            db.session.execute(db.delete(model).where(model.id == row_id))
            db.session.commit()


def test_a_notification_with_a_long_unbroken_name_wraps_on_a_phone(browser, live_server, live_app):
    """A subscription renamed to 128 letters without a space made /notifications about 1,300 px wide."""
    from app.accounts.models import Notification, User
    from app.extensions import db

    long_name = "x" * 128
    with live_app.app_context():
        rita_id = db.session.scalar(db.select(User.id).where(User.email == "reseller@example.com"))
    notice = Notification(user_id=rita_id, category="subscriptions", title=f"{long_name} was renamed",
                          body=f"The subscription is now called {long_name}.")
    with _a_phone_with(notice, browser=browser, live_server=live_server, live_app=live_app,
                       email="reseller@example.com") as page:
        assert sticking_out(page, live_server + "/notifications") is None


def test_the_audit_logs_filters_fit_a_phone_whatever_the_actions_names(browser, live_server, live_app):
    """The Action drop-down is as wide as its longest action ("Microsoft Customer Agreement acceptance confirmed by
    the reseller", once a reseller has confirmed one): on a phone it stuck out of the filters, and the audit log
    scrolled sideways, about 630 px wide."""
    from app.audit.models import AuditEvent

    confirmed = AuditEvent(action="mca_confirmed", subject="Fabrikam, Inc.", details={})
    with _a_phone_with(confirmed, browser=browser, live_server=live_server, live_app=live_app,
                       email="admin@example.com") as page:
        assert sticking_out(page, live_server + "/admin/audit") is None
        expect(page.get_by_label("Action")).to_contain_text("acceptance confirmed by the reseller")


def test_the_customer_import_runs_progress_bar_keeps_its_width_on_a_phone(browser, live_server, live_app):
    """"Customers read", the bar and "12 customers on 3 pages" shared one line: on a phone the words kept their
    width and the bar, which took what was left, shrank to nothing. The words go under the bar when they do not fit."""
    from app.tools.models import CustomerImportRun

    run = CustomerImportRun(status="finished", customers_read=12, pages_read=3, candidates_count=0)
    with _a_phone_with(run, browser=browser, live_server=live_server, live_app=live_app,
                       email="admin@example.com") as page:
        assert sticking_out(page, f"{live_server}/admin/customer-import/runs/{run.id}") is None
        bar = page.get_by_label("Customers read")
        expect(bar).to_be_visible()
        expect(page.locator("#import-figures")).to_have_text("12 customers on 3 pages")
        box, row = bar.bounding_box(), page.locator(".progress-row").bounding_box()
        assert box["width"] >= row["width"] / 2, f"the bar is {box['width']} px wide in a row of {row['width']} px"
