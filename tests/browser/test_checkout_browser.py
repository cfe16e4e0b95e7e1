"""The wizard's customer and service-details steps, driven in Chromium as a person would."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import accept_in_second_browser, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts", "filled_carts")]



def reseller_at_service_step(page, base, customer="Fabrikam, Inc. (US)", readiness="READY"):
    sign_in_as(page, base, "reseller@example.com")
    page.goto(f"{base}/checkout/")
    expect(page.get_by_role("heading", name="Customer", exact=True)).to_be_visible()
    page.get_by_label("Customer", exact=True).select_option(label=customer)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service details")).to_be_visible()
    expect(page.locator("#readiness")).to_have_text(readiness)


def customer_at_service_step(page, base):
    sign_in_as(page, base, "customer@example.com")
    page.goto(f"{base}/checkout/")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service details")).to_be_visible()


def existing_tenant(page, prefix: str, box: str):
    """Name an existing tenant by its prefix and tick the box saying it exists: the authorization link."""
    page.get_by_label("Domain prefix").fill(prefix)
    page.get_by_label(box).check()
    return page.get_by_label("Authorization link")


def test_reseller_new_tenant_free_prefix_accepted_taken_one_refused(page, live_server):
    reseller_at_service_step(page, live_server)
    prefix = page.get_by_label("Domain prefix")
    prefix.fill("fabrikam")
    expect(page.locator("#domain-status")).to_contain_text(
        "fabrikam.onmicrosoft.com is already registered with Microsoft by another tenant")
    expect(page.locator("#domain-status")).to_contain_text("choose another domain prefix and retry")
    prefix.fill("adatumfreshtenant1")
    expect(page.locator("#domain-status")).to_have_text("adatumfreshtenant1.onmicrosoft.com is available.")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    expect(page.get_by_text("adatumfreshtenant1.onmicrosoft.com (new tenant)")).to_be_visible()


def test_reseller_partner_id_checked_on_blur(page, live_server):
    reseller_at_service_step(page, live_server)
    mpn = page.get_by_label("MPN ID")
    mpn.fill("2345678")  # Litware's: in the operator's network, but not Adatum's own
    mpn.blur()
    expect(page.locator("#partner_id-error")).to_have_text(
        "2345678 is not the partner ID of Adatum IT Services. Orders of Adatum IT Services carry its own partner ID, "
        "1234567.")
    expect(page.locator("#readiness")).to_have_text("INQUIRING")
    expect(page.locator("#checkout-reason")).to_contain_text("Your partner ID must be READY")
    expect(mpn).to_have_value("2345678")
    expect(page.locator("#partner-check-hint")).to_have_text(
        "Correct your MPN ID: it is verified with Partner Center again when you leave the field or press Checkout.",
        use_inner_text=True)
    mpn.fill("1234567")
    mpn.blur()
    expect(page.locator("#readiness")).to_have_text("READY")
    expect(page.locator("#partner_id-error")).to_have_count(0)
    expect(page.locator("#checkout-reason")).to_have_count(0)


def test_without_javascript_the_partner_id_hint_after_a_refused_checkout_says_to_correct_it(no_js_page, live_server):
    page = no_js_page
    # Nothing checks the partner ID before Checkout without JavaScript (with it, the page checks it at once):
    # the badge says it is not checked yet, never INQUIRING, a status no check gave.
    reseller_at_service_step(page, live_server, readiness="NOT CHECKED YET")
    expect(page.locator("#partner-check-hint")).to_have_text(
        "Your MPN ID is verified with Partner Center when you press Checkout.", use_inner_text=True)
    expect(page.locator("#checkout-reason")).to_have_text(
        "Your partner ID is checked with Partner Center when you press Checkout: it must be READY for the order to go on.")
    page.get_by_label("MPN ID").fill("2345678")
    page.get_by_label("Domain prefix").fill("adatumhintcheck1")
    page.get_by_role("button", name="Checkout").click()
    expect(page.locator("#partner_id-error")).to_contain_text("2345678 is not the partner ID of Adatum IT Services.")
    expect(page.get_by_label("MPN ID")).to_have_value("2345678")
    expect(page.locator("#readiness")).to_have_text("INQUIRING")
    # What shows, not the markup: leaving the field checks nothing without JavaScript.
    expect(page.locator("#partner-check-hint")).to_have_text(
        "Correct your MPN ID: it is verified with Partner Center again when you press Checkout.", use_inner_text=True)


def test_reseller_existing_tenant_is_authorized_live(page, browser, live_server, live_worker):
    # How the page's event stream ends: htmx's SSE extension says so on the element.
    page.add_init_script("document.addEventListener('htmx:sseClose', e => { window.sseClosed = e.detail.type; });")
    polls = []  # the page has its stream, so it never asks the poll URL
    page.on("request", lambda request: polls.append(request.url) if "/checkout/service/authorization" in request.url else None)
    reseller_at_service_step(page, live_server)
    link = existing_tenant(page, "fabrikam",
                           "My customer is already using Office 365 service and he/she owns this domain")
    expect(link).to_have_value(re.compile(r"/sandbox/Adminportal/Home\?invType=IndirectResellerRelationship&.*msppId=1234567"))
    checkout = page.get_by_role("button", name="Checkout")
    expect(checkout).to_be_disabled()
    expect(page.locator("#checkout-reason")).to_contain_text("Checkout is disabled until the customer's global administrator accepts")
    expect(page.locator("#domain-status")).to_contain_text("must accept the partner relationship")

    page.get_by_role("button", name="Verify Authorization").click()
    dialog = page.get_by_role("dialog", name="Verify Authorization")
    expect(dialog.get_by_label("Customer's default domain")).to_have_value("fabrikam.onmicrosoft.com")
    dialog.get_by_role("button", name="Verify").click()
    expect(dialog.get_by_role("alert")).to_contain_text("The authorization has not been completed yet")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    accept_in_second_browser(browser, link.input_value(), "Fabrikam, Inc. (fabrikam.onmicrosoft.com)")
    # No reload, no click: the worker notices and the page receives the enabled Checkout.
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=20_000)
    expect(page.get_by_text("Authorization verified.")).to_be_visible()
    # The line beside the prefix no longer asks for the acceptance that has come.
    expect(page.locator("#domain-status")).to_have_text("")
    # The wait is over: the stream closed itself with its last event (sse-close), nothing polls.
    page.wait_for_function("window.sseClosed === 'message'", timeout=15_000)
    expect(page.locator("#checkout-gate[hx-trigger], #checkout-gate[sse-swap]")).to_have_count(0)
    assert polls == []
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()


def test_direct_customer_existing_tenant_is_authorized_live(page, browser, live_server, live_worker):
    customer_at_service_step(page, live_server)
    link = existing_tenant(page, "wingtiptoys", "I am already using Office 365 service and I own this domain")
    expect(link).to_have_value(re.compile(r"/sandbox/Adminportal/Home\?invType=ResellerRelationship&"))
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    page.get_by_role("button", name="Verify Authorization").click()
    page.get_by_role("dialog").get_by_role("button", name="Verify").click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_contain_text("not been completed yet")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    accept_in_second_browser(browser, link.input_value(), "Wingtip Toys Sp. z o.o. (wingtiptoys.onmicrosoft.com)")
    expect(page.get_by_role("button", name="Checkout")).to_be_enabled(timeout=20_000)
    # The steps above say it is done too, as a reload would: nothing left to send, wait for or verify.
    expect(page.get_by_role("heading", name="You have authorized Northwind Cloud Distribution as your partner")).to_be_visible()
    expect(page.get_by_role("button", name="Verify Authorization")).to_have_count(0)
    expect(page.get_by_text("This page notices the acceptance by itself")).to_have_count(0)
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()


def test_two_checkouts_racing_for_one_new_prefix(browser, live_server):
    first, second = browser.new_context(), browser.new_context()
    try:
        reseller = first.new_page()
        customer = second.new_page()
        reseller_at_service_step(reseller, live_server)
        customer_at_service_step(customer, live_server)
        for page in (reseller, customer):
            page.get_by_label("Domain prefix").fill("racingprefix")
            expect(page.locator("#domain-status")).to_have_text("racingprefix.onmicrosoft.com is available.")
        reseller.get_by_role("button", name="Checkout").click()
        customer.get_by_role("button", name="Checkout").click()
        # The two requests race: either may arrive first. Exactly one checkout wins the prefix; the
        # other is told why next to the field and keeps what was typed.
        outcomes = {}
        for name, page in (("reseller", reseller), ("customer", customer)):
            won = page.get_by_role("heading", name="Company details")
            lost = page.locator("#domain_prefix-error")
            expect(won.or_(lost)).to_be_visible()
            outcomes[name] = page if won.is_visible() else None
        winners = [name for name, won in outcomes.items() if won is not None]
        assert len(winners) == 1, f"both or neither won the prefix: {winners}"
        loser = customer if winners == ["reseller"] else reseller
        expect(loser.locator("#domain_prefix-error")).to_have_text(
            "This domain is already in use: another checkout in this storefront has reserved racingprefix.onmicrosoft.com.")
        expect(loser.get_by_label("Domain prefix")).to_have_value("racingprefix")
    finally:
        first.close()
        second.close()


def test_the_wizard_works_with_javascript_off(no_js_page, live_server):
    page = no_js_page
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/checkout/")
    page.get_by_label("Customer", exact=True).select_option(label="Fabrikam, Inc. (US)")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service details")).to_be_visible()
    # No live checks without JavaScript: the server checks everything when the form is sent.
    page.get_by_label("Domain prefix").fill("fabrikam")
    page.get_by_role("button", name="Checkout").click()
    expect(page.locator("#domain_prefix-error")).to_contain_text("already registered with Microsoft by another tenant")
    expect(page.locator("#readiness")).to_have_text("READY")
    page.get_by_label("My customer is already using Office 365 service and he/she owns this domain").check()
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_label("Authorization link")).to_have_value(re.compile(r"invType=IndirectResellerRelationship"))
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    page.get_by_role("button", name="Verify Authorization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Authorization")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("not been completed yet")
    page.get_by_role("link", name="Back to service details").click()
    page.get_by_label("My customer is already using Office 365 service and he/she owns this domain").uncheck()
    page.get_by_role("button", name="Update tenant choice").click()
    expect(page.get_by_label("Authorization link")).to_have_count(0)
    page.get_by_label("Domain prefix").fill("fabrikamnojs1")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()


def test_without_javascript_the_tenant_choice_keeps_the_prefix_and_offers_no_dead_buttons(no_js_page, live_server):
    """A direct customer types its prefix, ticks the existing-tenant box and presses Update tenant
    choice: the prefix is still there, and the authorization section offers only what works without
    JavaScript (no Copy link button that does nothing; the link itself can be selected and copied)."""
    page = no_js_page
    customer_at_service_step(page, live_server)
    page.get_by_label("Domain prefix").fill("wingtiptoys")
    page.get_by_label("I am already using Office 365 service and I own this domain").check()
    page.get_by_role("button", name="Update tenant choice").click()
    expect(page.get_by_label("Authorization link")).to_have_value(re.compile(r"Adminportal"))
    expect(page.get_by_label("Domain prefix")).to_have_value("wingtiptoys")
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    # Verify Authorization opens its page without putting the service form (its CSRF token) in the address.
    page.get_by_role("button", name="Verify Authorization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Authorization")
    expect(page.get_by_label("Your tenant's default domain")).to_have_value("wingtiptoys.onmicrosoft.com")
    assert page.url.rstrip("?") == f"{live_server}/checkout/service/verify"
    page.get_by_role("link", name="Back to service details").click()
    page.get_by_label("I am already using Office 365 service and I own this domain").uncheck()
    page.get_by_label("Domain prefix").fill("tailspinfresh42")
    page.get_by_role("button", name="Update tenant choice").click()
    expect(page.get_by_label("Authorization link")).to_have_count(0)
    expect(page.get_by_label("Domain prefix")).to_have_value("tailspinfresh42")


def test_without_javascript_verify_authorization_takes_the_prefix_typed_after_ticking_the_box(no_js_page, live_server):
    """Without JavaScript, in the page's order: tick the box, Update tenant choice, then type the prefix. Checkout
    is disabled then, and Verify Authorization opened its page with an empty default domain: the prefix typed
    was lost. It now goes with the press, and the step shown again keeps it."""
    page = no_js_page
    reseller_at_service_step(page, live_server, readiness="NOT CHECKED YET")
    page.get_by_label("My customer is already using Office 365 service and he/she owns this domain").check()
    page.get_by_role("button", name="Update tenant choice").click()
    expect(page.get_by_label("Authorization link")).to_have_value(re.compile(r"Adminportal"))
    page.get_by_label("Domain prefix").fill("fabrikam")
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    page.get_by_role("button", name="Verify Authorization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Authorization")
    expect(page.get_by_label("Customer's default domain")).to_have_value("fabrikam.onmicrosoft.com")
    assert "csrf" not in page.url
    page.get_by_role("link", name="Back to service details").click()
    expect(page.get_by_label("Domain prefix")).to_have_value("fabrikam")


def test_with_javascript_copy_link_is_offered(page, live_server):
    customer_at_service_step(page, live_server)
    page.get_by_label("I am already using Office 365 service and I own this domain").check()
    page.get_by_label("Domain prefix").fill("wingtiptoys")
    expect(page.get_by_label("Authorization link")).to_have_value(re.compile(r"Adminportal"))
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
