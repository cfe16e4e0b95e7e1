"""A reseller finds Microsoft 365 Business Premium, adds 5 seats on a 1-year term billed monthly,
changes the quantity in the cart and goes on to checkout, in Chromium; and the same without JavaScript."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import add_to_cart, sign_in_as

pytestmark = pytest.mark.browser

# The cart line's quantity field, named by its product (each line's controls are: tests/catalog/test_cart.py).
PREMIUM_QUANTITY = "Quantity of Microsoft 365 Business Premium"
SCREENSHOTS = os.environ.get("CATALOG_SCREENSHOTS")  # a folder: save what the user saw, for review


def _shot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_reseller_searches_adds_to_cart_changes_quantity_and_continues(page, live_server, empty_carts):
    sign_in_as(page, live_server, "reseller@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.locator("#product-results .results-count")).to_have_text("50 products")

    page.get_by_label("Search products").press_sequentially("business premium", delay=20)
    results = page.locator("#product-results .product-title a")
    expect(results.first).to_have_text("Microsoft 365 Business Premium")
    expect(page).to_have_url(re.compile(r"/catalog/products\?q=business\+premium"))  # pushed: reloadable
    _shot(page, "1-products")

    results.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Microsoft 365 Business Premium")
    expect(page.get_by_role("heading", name="Pricing")).to_be_visible()
    add_to_cart(page, "5", term="1 year", billing_plan="Monthly")
    expect(page.locator(".add-message")).to_contain_text("Added 5 × Microsoft 365 Business Premium")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")  # swapped out of band
    _shot(page, "2-product")

    page.locator("#cart-badge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    quantity = page.get_by_label(PREMIUM_QUANTITY, exact=True)
    expect(quantity).to_have_value("5")
    page.get_by_role("button", name="Increase quantity").click()
    expect(quantity).to_have_value("6")
    quantity.fill("8")
    before = quantity.element_handle()
    with page.expect_response(lambda r: "/cart/lines/" in r.url):
        quantity.press("Tab")  # change event: the cart recalculates
    # The response is in; wait until its swap has replaced the cart, so the next typing goes into
    # the new field rather than into the old one about to be swapped out.
    page.wait_for_function("field => !field.isConnected", arg=before)
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("8")
    expect(page.locator(".cart-line .subtotal")).to_have_text("167.20 USD")  # 8 × 20.90 USD
    quantity = page.get_by_label(PREMIUM_QUANTITY, exact=True)
    quantity.fill("500")
    with page.expect_response(lambda r: "/cart/lines/" in r.url):
        quantity.press("Tab")
    refused = "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 8 seats."
    expect(page.locator(".quantity-error")).to_have_text(refused)
    # The field keeps what was typed beside the message; the cart keeps the saved 8 seats.
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("500")
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_attribute("aria-invalid", "true")
    _shot(page, "3-cart")

    # Next does not go on with 8 while the field shows 500: the cart again, the message beside the field.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.locator(".quantity-error")).to_have_text(refused)
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("500")
    # Typed and Next pressed at once (the field's own update still on its way): Next sends the field.
    page.get_by_label(PREMIUM_QUANTITY, exact=True).fill("20000")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".quantity-error")).to_have_text(refused)
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("20000")
    expect(page).to_have_url(re.compile(r"/cart$"))
    # Enter in a field sends that line's update and swaps only its line: the page does not load again.
    page.evaluate("window.stillThisPage = true")
    quantity = page.get_by_label(PREMIUM_QUANTITY, exact=True)
    quantity.fill("7")
    before = quantity.element_handle()
    with page.expect_response(lambda r: "/cart/lines/" in r.url):
        quantity.press("Enter")
    page.wait_for_function("field => !field.isConnected", arg=before)
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("7")
    expect(page.locator(".quantity-error")).to_have_count(0)
    assert page.evaluate("window.stillThisPage === true")
    page.get_by_label(PREMIUM_QUANTITY, exact=True).fill("9")
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(r"/checkout/"))


def test_catalog_and_cart_work_with_javascript_off(no_js_page, live_server, empty_carts):
    page = no_js_page
    sign_in_as(page, live_server, "customer@example.com")
    page.goto(f"{live_server}/catalog/products")
    page.get_by_label("Search products").fill("business premium")
    page.get_by_role("button", name="Search").click()
    card = page.locator("#product-CFQ7TTC0LCHC")
    expect(card.locator(".product-title")).to_have_text("Microsoft 365 Business Premium")
    card.get_by_label("Quantity").fill("3")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("3")
    page.get_by_role("button", name="Increase quantity").click()
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("4")
    # A refused quantity stays in the field; Next sends it again and stays on the cart.
    page.get_by_label(PREMIUM_QUANTITY, exact=True).fill("20000")
    page.get_by_role("button", name="Update").click()
    refused = "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 4 seats."
    expect(page.locator(".quantity-error")).to_have_text(refused)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.locator(".quantity-error")).to_have_text(refused)
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("20000")
    # Enter in the field saves it, as Update does.
    page.get_by_label(PREMIUM_QUANTITY, exact=True).fill("5")
    page.get_by_label(PREMIUM_QUANTITY, exact=True).press("Enter")
    expect(page.get_by_text("Your cart was updated.")).to_be_visible()
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("5")
    expect(page.locator(".quantity-error")).to_have_count(0)
    # A quantity typed and Next pressed, without Update, is the one the checkout goes on with.
    page.get_by_label(PREMIUM_QUANTITY, exact=True).fill("6")
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(r"/checkout/(customer|service|company|agreement|review)$"))
    page.goto(f"{live_server}/cart")
    expect(page.get_by_label(PREMIUM_QUANTITY, exact=True)).to_have_value("6")
    page.get_by_role("button", name="Remove Microsoft 365 Business Premium").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def _add_from_product_page(page, live_server, product_id, quantity):
    page.goto(f"{live_server}/catalog/products/{product_id}")
    form = page.locator("form.add-to-cart")
    form.get_by_label("Quantity").fill(str(quantity))
    form.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".add-message")).to_contain_text(f"Added {quantity} ×")


def test_a_line_update_never_replaces_the_quantity_being_typed_in_another_line(page, live_server, empty_carts):
    """While one line's update is on its way, the buyer types in another line's quantity: the answer
    replaces only its own line, so the other field keeps its focus and what was typed."""
    sign_in_as(page, live_server, "reseller@example.com")
    _add_from_product_page(page, live_server, "CFQ7TTC0LCHC", 5)  # Business Premium
    _add_from_product_page(page, live_server, "CFQ7TTC0LH18", 2)  # Business Basic
    page.goto(f"{live_server}/cart")
    fields = page.get_by_label(re.compile(r"^Quantity of "))  # each line's field, named by its product
    expect(fields).to_have_count(2)
    first, second = fields.nth(0), fields.nth(1)

    held = []  # the first line's update, held until the other field has been typed in
    page.route(re.compile(r"/cart/lines/\d+$"), lambda route: held.append(route), times=1)
    first.fill("7")
    first.press("Tab")
    page.wait_for_function("() => document.querySelector('#cart .htmx-request') !== null")
    while not held:  # route handlers run while Playwright waits
        page.wait_for_timeout(20)
    second.click()
    second.fill("")
    second.press_sequentially("12", delay=20)
    typing_in = second.element_handle()
    old_first = first.element_handle()
    with page.expect_response(lambda r: "/cart/lines/" in r.url):
        held[0].continue_()
    page.wait_for_function("field => !field.isConnected", arg=old_first)  # the first line was swapped

    expect(fields.nth(0)).to_have_value("7")
    assert page.evaluate("field => field.isConnected && document.activeElement === field", typing_in)
    expect(fields.nth(1)).to_have_value("12")  # still what the buyer typed, not the saved 2
    with page.expect_response(lambda r: "/cart/lines/" in r.url):
        fields.nth(1).press("Tab")  # now its own update goes
    expect(page.locator(".cart-line").nth(1).locator(".subtotal")).not_to_have_text("")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")


def _buy_now_keeps_the_cart(page, live_server):
    page.goto(f"{live_server}/catalog/products/CFQ7TTC0LH18")  # Business Basic
    form = page.locator("form.add-to-cart")
    form.get_by_label("Quantity").fill("3")
    form.get_by_role("button", name="Buy now").click()
    expect(page).to_have_url(re.compile(r"/checkout/(customer|service|company|agreement|review)$"))
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")  # the cart still holds its one line
    page.locator("#cart-badge").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator(".cart-line a").first).to_have_text("Microsoft 365 Business Premium")


def test_buy_now_opens_the_wizard_and_leaves_the_cart_as_it_is(page, live_server, empty_carts):
    sign_in_as(page, live_server, "customer@example.com")
    page.goto(f"{live_server}/catalog/products/CFQ7TTC0LCHC")
    add_to_cart(page, "2")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    _buy_now_keeps_the_cart(page, live_server)


def test_buy_now_without_javascript(no_js_page, live_server, empty_carts):
    sign_in_as(no_js_page, live_server, "customer@example.com")
    no_js_page.goto(f"{live_server}/catalog/products/CFQ7TTC0LCHC")
    add_to_cart(no_js_page, "2")
    _buy_now_keeps_the_cart(no_js_page, live_server)


def test_the_cart_quantity_field_shows_the_largest_quantity_whole(page, live_server, empty_carts):
    """Exchange Online (Plan 1) allows up to 10000 seats: the cart's quantity field shows all five digits."""
    sign_in_as(page, live_server, "customer@example.com")
    page.goto(f"{live_server}/catalog/products/CFQ7TTC0LH16")
    add_to_cart(page, "10000")
    expect(page.get_by_text(re.compile(r"Added 10000 × Exchange Online \(Plan 1\)"))).to_be_visible()
    page.goto(f"{live_server}/cart")
    quantity = page.get_by_label("Quantity of Exchange Online (Plan 1)", exact=True)
    expect(quantity).to_have_value("10000")
    assert quantity.evaluate("e => e.scrollWidth <= e.clientWidth"), "the quantity is cut off in its field"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_every_bad_field_of_add_to_cart_is_said_at_once(browser, live_server, empty_carts, javascript):
    """A term and billing plan not offered together and 0 seats: both messages at once, each beside its
    field, with what was chosen and typed kept; and the prices in the one money format."""
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_as(page, live_server, "reseller@example.com")
        page.goto(f"{live_server}/catalog/products/CFQ7TTC0LCHC")
        cell = page.locator("td[data-term=P1Y][data-billing=monthly]")
        expect(cell.locator(".price-cost")).to_have_text("Your cost 20.90 USD")
        add_to_cart(page, "0", term="1 month", billing_plan="Annual")
        form = page.locator("form.add-to-cart")
        expect(form.locator("#add-CFQ7TTC0LCHC-billing_plan-error")).to_have_text(
            "Microsoft 365 Business Premium is not offered on a 1-month term billed annually. "
            "See Pricing for the combinations offered.")
        expect(form.locator("#add-CFQ7TTC0LCHC-quantity-error")).to_have_text(
            "Microsoft 365 Business Premium needs at least 1 seat.")
        expect(form.get_by_label("Quantity")).to_have_value("0")
        expect(form.get_by_label("Term")).to_have_value("P1M")
        expect(form.get_by_label("Billing plan")).to_have_value("annual")
        _shot(page, f"add-to-cart-errors-{'js' if javascript else 'no-js'}")
    finally:
        context.close()
