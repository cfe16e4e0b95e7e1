"""The CSP Partner Program in Chromium: a reseller enrols with a wrong MPN ID, reads on the General
tab what to fix, corrects it on the Parameters tab and presses Process, sees the certificate active
and buys with it; an expired certificate closes ordering."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_purchase_browser import add_business_premium, empty_carts, place_and_track  # noqa: F401
from tests.support.browser import checkout_on_a_new_tenant, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]


def _adatum(db):
    from app.accounts.models import Account

    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


@pytest.fixture
def adatum_without_certificate(live_app):
    """Adatum's active certificates end before the test (so it may enrol again); afterwards it holds
    an active one again, as the other browser tests expect of the demo."""
    from app.extensions import db
    from app.programs.services import issue_active, usable_certificates
    from app.time import utcnow

    with live_app.app_context():
        for certificate in usable_certificates(_adatum(db).id):
            certificate.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    yield
    with live_app.app_context():
        adatum = _adatum(db)
        if not usable_certificates(adatum.id):
            issue_active(adatum, contact_email=adatum.email)
        db.session.commit()


def _newest_certificate(live_app):
    from app.extensions import db
    from app.programs.models import Certificate

    with live_app.app_context():
        return db.session.scalar(db.select(Certificate).where(Certificate.account_id == _adatum(db).id)
                                 .order_by(Certificate.id.desc()))


def test_reseller_enrols_fixes_the_mpn_id_with_process_and_buys_with_the_certificate(
        page, live_server, live_worker, live_app, empty_carts, adatum_without_certificate):  # noqa: F811
    sign_in_as(page, live_server, "reseller@example.com")
    page.get_by_role("link", name="Programs").click()
    expect(page.locator(".program-gate")).to_contain_text("has expired")
    page.get_by_role("link", name="Enroll").click()
    page.get_by_label("MPN ID").fill("9999999")
    page.get_by_role("button", name="Enroll").click()

    # The worker asks Partner Center; the General tab polls until it has the answer.
    expect(page.locator("#certificate-status-label")).to_have_text("Pending", timeout=30_000)
    expect(page.locator(".certificate-problem")).to_contain_text("The MPN ID you gave (9999999) is not valid",
                                                                 timeout=30_000)
    expect(page.locator(".steps-to-take")).to_contain_text(
        "Correct the MPN ID on the Parameters tab of this certificate and press Process.")

    page.get_by_role("link", name="Parameters").click()
    expect(page.get_by_role("heading", name="Ordering parameters")).to_be_visible()
    expect(page.get_by_role("heading", name="Fulfillment parameters")).to_be_visible()
    page.get_by_label("MPN ID").fill("1234567")
    page.get_by_role("button", name="Process").click()
    expect(page.locator("#certificate-status-label")).to_have_text("Active", timeout=30_000)
    certificate = _newest_certificate(live_app)
    assert certificate.status == "active" and certificate.partner_id == "1234567"

    add_business_premium(page, live_server)
    certificate_field = page.get_by_label("Certificate", exact=True)
    expect(certificate_field).to_have_value(str(certificate.id))  # preselected
    checkout_on_a_new_tenant(page, "Fabrikam, Inc. (US)", "fabrikam")
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("My customer, Fabrikam, Inc., has accepted the Microsoft Customer Agreement").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#review-certificate")).to_contain_text(certificate.number)
    number = place_and_track(page)

    page.get_by_role("link", name="Parameters").click()
    expect(page.locator("#param-certificate")).to_contain_text(certificate.number)
    from app.extensions import db
    from app.orders.models import Order

    with live_app.app_context():
        assert db.session.scalar(db.select(Order).where(Order.number == number)).certificate_id == certificate.id


def test_an_expired_certificate_blocks_ordering(page, live_server, live_app, empty_carts,  # noqa: F811
                                                adatum_without_certificate):
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/catalog/products")
    gate = page.locator(".program-gate")
    expect(gate).to_contain_text("has expired")
    expect(gate.get_by_role("link", name="Go to Programs")).to_have_attribute("href", "/programs")
    page.get_by_label("Search products").press_sequentially("business premium", delay=10)
    page.locator("#product-results .product-title a", has_text="Microsoft 365 Business Premium").first.click()
    page.locator("form.add-to-cart").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.locator("#cart-badge").click()
    expect(page.locator("#cart-summary .program-gate")).to_contain_text("has expired")
    expect(page.locator("#cart-summary").get_by_role("button", name="Next")).to_be_disabled()
    page.goto(f"{live_server}/checkout/customer")
    expect(page.locator("#certificate-error")).to_contain_text("has expired")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#certificate-error")).to_contain_text("has expired")
    expect(page.get_by_role("heading", name="Customer", exact=True)).to_be_visible()
