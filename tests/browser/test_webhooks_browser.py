"""Partner Center webhooks in Chromium: the operator registers them under admin > Partner Center; a
customer's acceptance then arrives by webhook and enables Checkout in the open page while polling has
backed off; with the sandbox dropping deliveries, polling still enables it."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support.browser import accept_in_second_browser, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts", "filled_carts")]

WINGTIP = "Wingtip Toys Sp. z o.o. (wingtiptoys.onmicrosoft.com)"


@pytest.fixture
def operator(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in_as(page, live_server, "admin@example.com")
    expect(page.get_by_role("link", name="Sign out").or_(page.get_by_role("button", name="Sign out"))).to_be_visible()
    yield page
    context.close()


@pytest.fixture
def registered(operator, live_server, live_worker, live_app):
    """The operator presses Register; the worker registers with the sandbox; the page says so."""
    operator.goto(f"{live_server}/admin/partner-center/")
    operator.get_by_role("button", name="Register the webhooks of default").click()
    expect(operator.get_by_text("Registering the webhooks of default")).to_be_visible()
    status = operator.locator("#webhooks-default .webhook-status")
    for _ in range(50):
        if "Registered at" in status.inner_text():
            break
        time.sleep(0.2)
        operator.reload()
    expect(status).to_contain_text(re.compile(r"Registered at .*/webhooks/partner-center/"))
    yield
    from app.connections.services import in_process_sandbox

    store = in_process_sandbox(live_app).extensions["sandbox_store"]
    store.clear_faults()
    with store.tx() as tx:  # kept across resets, as Microsoft keeps a partner's registration
        tx.conn.execute("DELETE FROM webhook_registrations")


def _customer_waits_for_wingtip(page, base):
    sign_in_as(page, base, "customer@example.com")
    page.goto(f"{base}/checkout/")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Domain prefix").fill("wingtiptoys")
    page.get_by_label("I am already using Office 365 service and I own this domain").check()
    link = page.get_by_label("Authorization link")
    expect(link).to_have_value(re.compile(r"/sandbox/Adminportal/Home\?invType=ResellerRelationship&"))
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    return link.input_value()


def _back_off_the_watch(live_app):
    """The watch has backed off for a day: only a webhook can enable Checkout soon. A check the worker
    had under way may reschedule it; set it again until it holds."""
    from app.accounts.models import utcnow
    from app.checkout.models import AuthorizationWatch
    from app.extensions import db

    with live_app.app_context():
        for _ in range(3):
            later = utcnow() + timedelta(days=1)
            db.session.execute(db.update(AuthorizationWatch).where(
                AuthorizationWatch.domain == "wingtiptoys.onmicrosoft.com").values(next_check_at=later))
            db.session.commit()
            time.sleep(2.5)  # longer than one fast-phase interval
            db.session.expire_all()
            watch = db.session.scalar(db.select(AuthorizationWatch).where(
                AuthorizationWatch.domain == "wingtiptoys.onmicrosoft.com"))
            if watch.next_check_at == later:
                return watch.checks
    raise AssertionError("the watch kept being rescheduled")


def test_an_acceptance_arriving_by_webhook_enables_checkout(page, browser, operator, live_server, live_app,
                                                          registered):
    link = _customer_waits_for_wingtip(page, live_server)
    checks = _back_off_the_watch(live_app)
    accept_in_second_browser(browser, link, WINGTIP)
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=10_000)
    expect(page.get_by_text("Authorization verified.")).to_be_visible()

    from app.checkout.models import AuthorizationWatch
    from app.extensions import db

    with live_app.app_context():
        watch = db.session.scalar(db.select(AuthorizationWatch).where(
            AuthorizationWatch.domain == "wingtiptoys.onmicrosoft.com"))
        # One check, the event's, and none by the schedule (pushed back to tomorrow).
        assert (watch.status, watch.checks) == ("done", checks + 1)
    # Microsoft's side: the sandbox's overview lists the delivery.
    operator.goto(f"{live_server}/sandbox/")
    delivery = operator.locator("#webhooks tr.webhook-delivery").first
    expect(delivery).to_contain_text("reseller-relationship-accepted-by-customer")
    expect(delivery).to_have_attribute("data-status", "delivered")
    operator.goto(f"{live_server}/admin/partner-center/")
    expect(operator.locator("#webhooks-default")).to_contain_text("1 received")


def test_with_webhooks_dropped_polling_still_enables_checkout(page, browser, operator, live_server, registered):
    # The sandbox's fault control, as an operator sets it: every delivery is lost.
    operator.goto(f"{live_server}/sandbox/_sandbox/admin")
    form = operator.locator("form", has=operator.get_by_role("button", name="Add webhook fault"))
    form.get_by_label("What happens").select_option("drop")
    form.get_by_label("Number of deliveries").fill("20")
    form.get_by_role("button", name="Add webhook fault").click()
    expect(operator.get_by_text(re.compile(r"Fault #\d+ added"))).to_be_visible()

    link = _customer_waits_for_wingtip(page, live_server)
    accept_in_second_browser(browser, link, WINGTIP)
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=20_000)
    operator.goto(f"{live_server}/sandbox/")
    delivery = operator.locator("#webhooks tr.webhook-delivery").first
    expect(delivery).to_have_attribute("data-status", "dropped")
    expect(delivery).to_contain_text("reseller-relationship-accepted-by-customer")
