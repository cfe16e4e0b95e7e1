"""Orders and the operator's account page at their edges, as a person sees them in Chromium, with
JavaScript on and off: a querying order says what blocks it once (also after a live update); the operator
deactivates and reactivates an account's user from the account's page."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, a_processing_order, answer_the_dialog, asked_and_kept, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]

REASON = "The domain name taken-in-browser.onmicrosoft.com is already taken at Microsoft: the domain name must be updated."


def _processing_order(live_app) -> tuple[int, str]:
    """An order of Rita's, running its first step."""
    from app.orders.models import OrderStep, StepStatus

    number = f"ORD-EDGE-{uuid.uuid4().hex[:4].upper()}-TEST"
    steps = [OrderStep(position=0, name="create_customer", kind="create_customer", status=StepStatus.RUNNING)]
    return a_processing_order(live_app, number=number, domain="taken-in-browser.onmicrosoft.com", steps=steps), number


def _block(live_app, order_id: int) -> None:
    """The order's first step is refused as the engine records it: the step and the order carry the reason."""
    from app.extensions import db
    from app.orders.models import Order, StepStatus
    from app.orders.transitions import publish_progress, set_querying

    with live_app.app_context():
        order = db.session.get(Order, order_id)
        order.steps[0].status, order.steps[0].error = StepStatus.BLOCKED, REASON
        set_querying(order, code="domain_taken", reason=REASON,
                     steps=["Edit the domain on the Parameters tab.", "Press Process."], blocked_field="domain")
        db.session.commit()
        publish_progress(order)


def _settle(live_app, order_id: int) -> None:
    from app.extensions import db
    from app.orders.models import Order, OrderStatus

    with live_app.app_context():  # never left open: the sweep would look at it
        db.session.get(Order, order_id).status = OrderStatus.FAILED
        db.session.commit()


def _reason_shown_once(page) -> None:
    expect(page.locator("#order-status")).to_have_text("Querying", timeout=20_000)
    expect(page.get_by_role("alert").filter(has_text="What blocks this order")).to_contain_text(REASON)
    assert page.locator("main").inner_text().count(REASON) == 1


def test_a_querying_order_says_what_blocks_it_once_with_and_without_javascript(
        browser, page, live_app, live_server):
    order_id, number = _processing_order(live_app)
    try:
        sign_in_as(page, live_server, "reseller@example.com")
        page.goto(f"{live_server}/orders/{number}")
        expect(page.locator("#order-status")).to_have_text("Processing")
        _block(live_app, order_id)  # a live update, pushed (or polled) into the open page
        _reason_shown_once(page)
        page.reload()
        _reason_shown_once(page)

        quiet = browser.new_context(java_script_enabled=False)
        try:
            plain = quiet.new_page()
            sign_in_as(plain, live_server, "reseller@example.com")
            plain.goto(f"{live_server}/orders/{number}")
            _reason_shown_once(plain)
        finally:
            quiet.close()
    finally:
        _settle(live_app, order_id)


@contextmanager
def _adatums_page_as_the_operator(browser, live_server, **context_options):
    """Adatum's account page as the operator reaches it (Partners > Accounts, then its link), in a browser
    context of its own that is closed afterwards."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_as(page, live_server, "admin@example.com")
        page.goto(f"{live_server}/admin/accounts/")
        page.get_by_role("link", name="Adatum IT Services").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Adatum IT Services")
        # The heading shows once the page is parsed, before its deferred scripts have run: pressed then, a button
        # is an ordinary form's (htmx not yet there to ask with the browser's dialog), as it would be for a person
        # that quick. Tests that mean the page with JavaScript wait for it to have loaded.
        page.wait_for_load_state("load")
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_operator_deactivates_and_reactivates_an_accounts_user_from_its_page(browser, live_server, javascript):
    with _adatums_page_as_the_operator(browser, live_server, java_script_enabled=javascript) as page:
        ray = page.get_by_role("row").filter(has_text="reseller-member@example.com")
        if javascript:  # the browser's own confirm dialog asks
            answer_the_dialog(page, ray.get_by_role("button", name="Deactivate Ray Member"), accept=True)
        else:  # a page asks; its way back does nothing, its button deactivates
            asked_and_kept(page, button="Deactivate Ray Member", question="Deactivate Ray Member?",
                           way_back="Keep Ray Member active", back_to="Adatum IT Services")
            expect(ray.get_by_role("cell", name="yes", exact=True)).to_be_visible()
            ray.get_by_role("button", name="Deactivate Ray Member").click()
            page.get_by_role("button", name="Deactivate user").click()
        expect(page.get_by_text("Ray Member was deactivated: they can no longer sign in.")).to_be_visible()
        expect(ray.get_by_role("cell", name="no", exact=True)).to_be_visible()
        ray.get_by_role("button", name="Reactivate Ray Member").click()
        expect(page.get_by_text("Ray Member was reactivated and can sign in again.")).to_be_visible()
        expect(ray.get_by_role("cell", name="yes", exact=True)).to_be_visible()
        expect(ray.get_by_role("button", name="Deactivate Ray Member")).to_be_visible()


def test_a_refusal_under_a_users_row_is_read_whole_on_a_phone(browser, live_server):
    """The message under a row spans the table, which is wider than a phone and scrolls: the message itself
    stays within the screen, not cut at its right edge."""
    with _adatums_page_as_the_operator(browser, live_server, viewport=PHONE, java_script_enabled=False) as page:
        page.get_by_role("button", name="Deactivate Rita Reseller").click()
        message = page.get_by_role("alert").filter(has_text="is the only active account admin")
        expect(message).to_be_visible()
        region = page.get_by_role("group", name="Table: Users").bounding_box()
        box = message.bounding_box()
        assert box["x"] >= region["x"] and box["x"] + box["width"] <= region["x"] + region["width"], (box, region)
