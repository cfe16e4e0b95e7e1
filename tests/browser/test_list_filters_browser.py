"""The lists' filter forms (orders, subscriptions) as a person uses them in Chromium, with JavaScript on and off:
what the page says about the list follows the filters chosen."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


# The product of the fixture's Adatum subscription, which no other test buys: Tailspin's choices never offer it.
ADATUMS_PRODUCT = "Microsoft 365 E5 (filter test)"


@pytest.fixture
def two_accounts_subscriptions(live_app):
    """A subscription of Adatum's for its licensee Fabrikam (of ADATUMS_PRODUCT) and one of Tailspin's (a direct
    customer), stored as the storefront keeps them; taken away afterwards."""
    from app.accounts.models import Account
    from app.extensions import db
    from app.subscriptions.models import Subscription

    def subscription(account, name, customer, product="Microsoft 365 Business Basic"):
        return Subscription(ms_subscription_id=str(uuid.uuid4()), account_id=account.id, tenant_id=str(uuid.uuid4()),
                            offer_id="CFQ7TTC0LH18:0001", product_title=product, sku_title=product,
                            friendly_name=name, quantity=5, term_duration="P1Y", billing_plan="monthly",
                            customer_name=customer)

    with live_app.app_context():
        adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
        tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
        subs = [subscription(adatum, "Fabrikam filter test", "Fabrikam, Inc.", ADATUMS_PRODUCT),
                subscription(tailspin, "Tailspin filter test", "Tailspin Toys")]
        db.session.add_all(subs)
        db.session.commit()
        ids = [s.id for s in subs]
    yield
    with live_app.app_context():
        db.session.execute(db.delete(Subscription).where(Subscription.id.in_(ids)))
        db.session.commit()


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
@pytest.mark.parametrize("path, form, every, adatums", [
    ("/orders", "form.order-filters", "Every order placed in the storefront, newest first.",
     "Orders placed by Adatum IT Services, newest first."),
    ("/subscriptions", "form.subscription-filters", "Every subscription bought through the storefront",
     "What Adatum IT Services has bought"),
], ids=["orders", "subscriptions"])
def test_the_operators_list_filtered_to_one_account_says_whose_rows_it_shows(
        browser, live_server, javascript, path, form, every, adatums):
    with _signed_in(browser, live_server, "admin@example.com", javascript=javascript) as page:
        page.goto(live_server + path)
        lead = page.locator("main .lead")
        expect(lead).to_contain_text(every)
        page.get_by_label("Account").select_option(label="Adatum IT Services")
        page.locator(form).get_by_role("button", name="Filter").click()
        expect(lead).to_contain_text(adatums)
        page.get_by_role("link", name="Clear filters").click()
        expect(lead).to_contain_text(every)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("path, dates", [
    ("/orders", ("Placed from", "Placed until")),
    ("/subscriptions", ("Renewal date from", "Renewal date until")),
], ids=["orders", "subscriptions"])
def test_the_date_filters_hints_promise_no_format_the_date_box_does_not_show(browser, live_server, javascript, path,
                                                                          dates):
    """The date boxes are the browser's own (type=date, with JavaScript or without), which shows a date its own
    way (mm/dd/yyyy in an en-US Chromium), while the hint beside them said "A date like 2026-01-31.". The hints say
    which days the range takes, in no format."""
    with _signed_in(browser, live_server, "reseller@example.com", javascript=javascript) as page:
        page.goto(live_server + path)
        for label, hint in zip(dates, ("On or after this date (UTC).", "On or before this date (UTC).")):
            box = page.get_by_label(label, exact=True)
            expect(box).to_have_attribute("type", "date")
            expect(box).to_have_accessible_description(hint)


NOT_TAILSPINS = "Fabrikam, Inc. is not a customer of Tailspin Toys: choose one of its customers from the list."


def test_without_javascript_the_operators_customer_and_product_filters_offer_the_chosen_accounts_only(
        browser, live_server, two_accounts_subscriptions):
    """A customer chosen before the account, which is not the account's, is said beside the field and the
    account's subscriptions are shown; pressing Filter again applies the account alone."""
    with _signed_in(browser, live_server, "admin@example.com", javascript=False) as page:
        page.goto(f"{live_server}/subscriptions")
        customer, product = page.get_by_label("Customer", exact=True), page.get_by_label("Product", exact=True)
        expect(customer.locator("option", has_text="Fabrikam, Inc.")).to_have_count(1)
        expect(product.locator("option", has_text=ADATUMS_PRODUCT)).to_have_count(1)
        customer.select_option(label="Fabrikam, Inc.")
        page.get_by_label("Account").select_option(label="Tailspin Toys")
        filters = page.locator("form.subscription-filters")
        filters.get_by_role("button", name="Filter").click()
        expect(page.locator("#customer-error")).to_have_text(NOT_TAILSPINS)
        expect(customer.locator("option")).to_have_text(["All customers", "Tailspin Toys"])
        expect(product.locator("option", has_text=ADATUMS_PRODUCT)).to_have_count(0)
        _only_tailspins_subscriptions_are_listed(page)
        filters.get_by_role("button", name="Filter").click()
        expect(page.locator("#customer-error")).to_have_count(0)
        expect(page.locator("#filters-unapplied")).to_have_count(0)
        _only_tailspins_subscriptions_are_listed(page)


def test_with_javascript_choosing_an_account_narrows_the_customer_and_product_choices_at_once(
        browser, live_server, two_accounts_subscriptions):
    """The Customer and Product drop-downs follow the Account as soon as it is chosen: a customer of another
    account resets to all customers, saying why; what was typed in the search box stays, and the rows, the
    lead and the address change at Filter only."""
    with _signed_in(browser, live_server, "admin@example.com", javascript=True) as page:
        page.goto(f"{live_server}/subscriptions")
        customer, product = page.get_by_label("Customer", exact=True), page.get_by_label("Product", exact=True)
        search, lead = page.get_by_label("Search subscriptions"), page.locator("main .lead")
        customer.select_option(label="Fabrikam, Inc.")
        search.fill("filter test")
        page.get_by_label("Account").select_option(label="Tailspin Toys")
        expect(customer.locator("option")).to_have_text(["All customers", "Tailspin Toys"])
        expect(customer).to_have_value("")
        expect(page.locator("#customer-error")).to_have_text(NOT_TAILSPINS)
        expect(product.locator("option", has_text=ADATUMS_PRODUCT)).to_have_count(0)
        expect(search).to_have_value("filter test")
        expect(lead).to_contain_text("Every subscription bought through the storefront")
        expect(page.locator("table.subscription-table tbody tr", has_text="Fabrikam filter test")).to_have_count(1)
        expect(page).to_have_url(f"{live_server}/subscriptions")
        page.locator("form.subscription-filters").get_by_role("button", name="Filter").click()
        expect(lead).to_contain_text("What Tailspin Toys has bought")
        expect(page.locator("#customer-error")).to_have_count(0)
        expect(page.locator("#filters-unapplied")).to_have_count(0)
        _only_tailspins_subscriptions_are_listed(page)
        page.get_by_label("Account").select_option(label="Adatum IT Services")
        expect(product.locator("option", has_text=ADATUMS_PRODUCT)).to_have_count(1)
        expect(customer.locator("option", has_text="Tailspin Toys")).to_have_count(0)


def test_with_javascript_a_customer_or_product_the_account_resets_is_announced(browser, live_server,
                                                                               two_accounts_subscriptions):
    """Choosing an Account resets a Customer (or Product) of another account and says so beside the field, but a
    screen reader said nothing: the message came in a new element, in no live region. It is now put into a live
    region beside each field (role=status, polite) that is there before it, and taken out of it the same way."""
    not_tailspins_product = (f"{ADATUMS_PRODUCT} is not a product of Tailspin Toys: choose one of its products "
                             "from the list.")
    with _signed_in(browser, live_server, "admin@example.com", javascript=True) as page:
        page.goto(f"{live_server}/subscriptions")
        customer, product = page.get_by_label("Customer", exact=True), page.get_by_label("Product", exact=True)
        regions = [page.locator(f"#{name}-field").get_by_role("status") for name in ("customer", "product")]
        for region in regions:
            expect(region).to_have_attribute("aria-live", "polite")
            expect(region).to_be_empty()
        there_before = [region.element_handle() for region in regions]
        customer.select_option(label="Fabrikam, Inc.")
        product.select_option(label=ADATUMS_PRODUCT)
        page.get_by_label("Account").select_option(label="Tailspin Toys")
        for region, field, said in zip(regions, (customer, product), (NOT_TAILSPINS, not_tailspins_product)):
            expect(region).to_have_text(said)
            expect(field).to_have_accessible_description(said)
        page.get_by_label("Account").select_option(label="Adatum IT Services")
        for region, field in zip(regions, (customer, product)):
            expect(region).to_be_empty()
            expect(field).to_have_accessible_description("")
        # The same regions all along: the messages were put into them and taken out of them.
        assert all(handle.evaluate("region => region.isConnected") for handle in there_before)


def _only_tailspins_subscriptions_are_listed(page) -> None:
    """The fixture's Tailspin subscription is listed and Adatum's is not; every row is Tailspin's (earlier tests of
    the session may have bought Tailspin more)."""
    rows = page.locator("table.subscription-table tbody tr")
    expect(rows.filter(has=page.get_by_role("link", name="Tailspin filter test", exact=True))).to_have_count(1)
    expect(rows.filter(has=page.get_by_role("link", name="Fabrikam filter test", exact=True))).to_have_count(0)
    accounts = {text.strip() for text in rows.locator("td:nth-child(3)").all_inner_texts()}
    assert accounts == {"Tailspin Toys"}, accounts


@pytest.mark.parametrize("email, path, label, button", [
    ("reseller@example.com", "/orders", "Status", "Filter"),  # its own form (orders/_order_table.html)
    ("reseller@example.com", "/subscriptions", "Status", "Filter"),  # macros.html's filter_form
    ("reseller@example.com", "/catalog/products", "Term", "Search"),
    ("admin@example.com", "/admin/programs", "Status", "Filter"),
    ("admin@example.com", "/admin/mca", "Kind", "Filter"),
], ids=["orders", "subscriptions", "products", "programs", "mca-log"])
def test_back_without_javascript_shows_the_filters_of_the_address_not_the_last_ones_chosen(
        browser, live_server, email, path, label, button):
    """Filter by one choice, then choose another and filter again, then Back: the list is the first choice's,
    and so must be its drop-down (a browser restores what a form held when it was left, unless told not to)."""
    with _signed_in(browser, live_server, email, javascript=False) as page:
        page.goto(live_server + path)
        form = page.locator("form[method=get]")  # the filters (products has a Term in each add-to-cart form too)
        select = form.get_by_label(label, exact=True)
        name = select.get_attribute("name")
        first, second = (select.locator("option").nth(n).get_attribute("value") for n in (1, 2))
        for value in (first, second):
            select.select_option(value)
            form.get_by_role("button", name=button, exact=True).click()
            expect(page).to_have_url(re.compile(rf"[?&]{name}={value}(&|$)"))
        page.go_back()
        expect(page).to_have_url(re.compile(rf"[?&]{name}={first}(&|$)"))
        expect(select).to_have_value(first)
