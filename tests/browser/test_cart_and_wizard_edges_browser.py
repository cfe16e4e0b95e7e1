"""The cart and the checkout wizard at their edges, in Chromium as a person drives them (by labels and
button names), with JavaScript on and off: a cart of several lines, and the wizard with nothing to buy."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, add_to_cart, sign_in_as

pytestmark = pytest.mark.browser

BASIC, PREMIUM = "CFQ7TTC0LH18", "CFQ7TTC0LCHC"  # Microsoft 365 Business Basic and Premium


def _fill_cart(page, live_server, *lines):
    """Add (product, seats, billing plan) lines on a 1-year term from their product pages, then open the cart."""
    for product_id, seats, billing_plan in lines:
        page.goto(f"{live_server}/catalog/products/{product_id}")
        add_to_cart(page, seats, billing_plan=billing_plan)
        expect(page.get_by_text("to your cart.")).to_be_visible()
    page.goto(f"{live_server}/cart")


def _settling_late(page):
    """htmx settles a swap (takes charge of the swapped controls, focuses what says autofocus) 20 ms after it, on a
    timer; a busy browser runs that timer later, after a key pressed meanwhile, as in the whole suite. Here it runs
    10 seconds late, so a press right after a swap comes before it every time: what the cart's swaps show and do
    must not wait for it."""
    page.add_init_script("addEventListener('DOMContentLoaded', () => {"
                         " if (window.htmx) htmx.config.defaultSettleDelay = 10000; })")


def _tailspin_to_the_agreement(page, live_server):
    """Tailspin Toys (a direct customer) through Customer, Service details (a new tenant) and Company details,
    to the Agreement step."""
    sign_in_as(page, live_server, "customer@example.com")
    page.goto(f"{live_server}/checkout/")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Domain prefix").fill(f"tailspin{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    page.get_by_role("button", name="Next").click()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def buyer_page(request, browser):
    context = browser.new_context(java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_each_cart_lines_controls_are_found_by_its_product(buyer_page, live_server, empty_carts):
    """With three lines, two of one product (billed monthly and annually), every line's −, +, Quantity,
    Update and Remove are told apart by their names, and pressing one changes its own line only."""
    page = buyer_page
    sign_in_as(page, live_server, "reseller@example.com")
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"), (BASIC, "3", "Annual"))
    premium = "Microsoft 365 Business Premium"
    yearly = "Microsoft 365 Business Basic (1-year term, billed monthly)"
    annual = "Microsoft 365 Business Basic (1-year term, billed annually)"
    for name in (premium, yearly, annual):
        for button in (f"Decrease quantity of {name}", f"Increase quantity of {name}",
                       f"Update quantity of {name}", f"Remove {name}"):
            expect(page.get_by_role("button", name=button, exact=True)).to_have_count(1)
        expect(page.get_by_label(f"Quantity of {name}", exact=True)).to_have_count(1)

    page.get_by_role("button", name=f"Increase quantity of {yearly}", exact=True).click()
    expect(page.get_by_label(f"Quantity of {yearly}", exact=True)).to_have_value("3")
    expect(page.get_by_label(f"Quantity of {premium}", exact=True)).to_have_value("5")
    expect(page.get_by_label(f"Quantity of {annual}", exact=True)).to_have_value("3")

    page.get_by_role("button", name=f"Remove {annual}", exact=True).click()
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.get_by_label(f"Quantity of {premium}", exact=True)).to_have_value("5")


def test_back_after_buy_leads_to_the_cart_not_through_the_steps_again(buyer_page, live_server, fresh_checkouts,
                                                                      filled_carts):
    """The browser's Back after Buy showed the steps as if the emptied cart still had something to buy; it now
    lands on the cart, which says the order is placed and a new purchase starts there."""
    page = buyer_page
    _tailspin_to_the_agreement(page, live_server)
    page.get_by_label("I have read and accept the Microsoft Customer Agreement").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("I accept the terms and conditions").check()
    page.get_by_role("button", name="Buy", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you: your order is placed")).to_be_visible()
    number = page.locator(".order-number").inner_text()

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.get_by_text(f"Your order {number} is placed. A new purchase starts here.")).to_be_visible()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def test_opening_again_the_address_a_refused_form_was_shown_at_leads_to_its_page(no_js_page, live_server,
                                                                                fresh_checkouts, filled_carts):
    """Without JavaScript a refused quantity shows the cart at its Update's address, and Discard its question
    at its own: addresses that take POST only, so opening them again (Enter in the address bar, a copied
    address) showed "Not allowed". They now lead to the page their form is on."""
    page = no_js_page
    sign_in_as(page, live_server, "customer@example.com")
    page.goto(f"{live_server}/cart")
    page.get_by_label("Quantity of Microsoft 365 Business Premium", exact=True).fill("20000")
    page.get_by_role("button", name="Update quantity of Microsoft 365 Business Premium").click()
    expect(page.locator(".quantity-error")).to_contain_text("allows at most 300 seats")
    assert page.goto(page.url).status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.get_by_label("Quantity of Microsoft 365 Business Premium", exact=True)).to_have_value("5")

    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()  # the Customer step: the customer is Tailspin itself
    page.get_by_role("button", name="Discard this purchase").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Discard this purchase?")
    assert page.goto(page.url).status == 200
    expect(page.get_by_role("heading", name="Service details")).to_be_visible()


def test_on_a_phone_every_control_of_a_cart_line_is_on_the_screen(browser, live_server, empty_carts):
    """At 390 px the cart's table was wider than the screen: each line's −, Quantity, +, Update and Remove sat
    past its right edge, reached only by scrolling the table sideways. Each line now stacks within the
    screen, and is still a row of the table "Products in your cart" to a screen reader."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_as(page, live_server, "reseller@example.com")
        _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
        table = page.get_by_role("table", name="Products in your cart")
        expect(table.get_by_role("row")).to_have_count(3)  # the headings' and one per line
        expect(table.get_by_role("columnheader", name="Quantity")).to_have_count(1)
        for name in ("Microsoft 365 Business Premium", "Microsoft 365 Business Basic"):
            controls = [page.get_by_label(f"Quantity of {name}", exact=True)] + [
                page.get_by_role("button", name=button, exact=True) for button in (
                    f"Decrease quantity of {name}", f"Increase quantity of {name}", f"Update quantity of {name}",
                    f"Remove {name}")]
            for control in controls:
                box = control.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
    finally:
        context.close()


def test_with_javascript_a_lines_button_keeps_the_keyboards_focus_after_its_line_is_updated(page, live_server,
                                                                                            empty_carts):
    """With JavaScript pressing a line's +, − or Update (Enter or Space) swaps the line, and the focus fell to the
    page's body: a keyboard user pressing + again had to find the button from the top of the page. The button
    pressed keeps the focus; and a press as soon as the line shows is htmx's too: until the swap settled (20 ms
    later) it was a plain press of the cart's form, which loaded the page again."""
    sign_in_as(page, live_server, "reseller@example.com")
    _settling_late(page)
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    quantity = page.get_by_label("Quantity of Microsoft 365 Business Basic", exact=True)
    for name, key, after in (("Increase quantity of", "Enter", "3"), ("Increase quantity of", "Space", "4"),
                             ("Decrease quantity of", "Enter", "3"), ("Update quantity of", "Enter", "3")):
        button = page.get_by_role("button", name=f"{name} Microsoft 365 Business Basic", exact=True)
        button.focus()
        line = page.locator(".cart-line").nth(1).element_handle()
        with page.expect_request(lambda r: "/cart/lines/" in r.url) as sent:
            page.keyboard.press(key)
        assert sent.value.headers.get("hx-request") == "true", f"{name}: {key} sent the cart's form without htmx"
        page.wait_for_function("old => !old.isConnected", arg=line)  # the line was swapped (its buttons kept)
        expect(quantity).to_have_value(after)
        expect(page.locator(".cart-line").nth(1).locator(".subtotal")).to_have_text(f"{5.70 * int(after):,.2f} USD")
        expect(button).to_be_focused()


def test_with_javascript_remove_says_what_was_removed_and_takes_the_focus_there(page, live_server, empty_carts):
    """With JavaScript Remove took its line away without a word (without JavaScript the cart says "… was removed
    from your cart.") and the focus fell to the page's body. It now says so, and the focus is on what it says,
    also when the last line goes; and it stays where the keyboard takes it next (the message took it back when
    the swap settled, 20 ms later, so Enter on the next Remove pressed nothing)."""
    sign_in_as(page, live_server, "reseller@example.com")
    _settling_late(page)
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    for name, left in (("Microsoft 365 Business Basic", 1), ("Microsoft 365 Business Premium", 0)):
        page.get_by_role("button", name=f"Remove {name}", exact=True).focus()
        page.keyboard.press("Enter")
        said = page.get_by_role("status").get_by_text(f"{name} was removed from your cart.")
        expect(said).to_be_visible()
        expect(said).to_be_focused()
        expect(page.locator(".cart-line")).to_have_count(left)
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def test_with_javascript_add_to_cart_keeps_the_keyboards_focus(page, live_server, empty_carts):
    """With JavaScript Add to cart swaps its form (with the message "Added …"), and the focus fell to the page's
    body, on the product's page and in the product list alike. Add to cart keeps it."""
    sign_in_as(page, live_server, "customer@example.com")
    page.bring_to_front()  # (the focus is the page's own only while it is the browser's active page)
    for url in (f"/catalog/products/{BASIC}", "/catalog/products?q=business+premium"):
        page.goto(f"{live_server}{url}")
        button = page.get_by_role("button", name="Add to cart").first
        button.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".add-message").first).to_contain_text("to your cart.")
        expect(button).to_be_focused()


def test_with_javascript_a_refused_steps_next_keeps_the_keyboards_focus(page, live_server, fresh_checkouts,
                                                                         filled_carts):
    """With JavaScript a step refused (Customer, Agreement) is swapped with its messages, and the focus fell to
    the page's body: a keyboard user had to find the form again from the top. Next keeps the focus."""
    _tailspin_to_the_agreement(page, live_server)
    page.get_by_label("First name").fill("")
    page.bring_to_front()  # (the focus is the page's own only while it is the browser's active page)
    page.get_by_label("I have read and accept the Microsoft Customer Agreement").check()
    next_button = page.get_by_role("button", name="Next")
    next_button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#first_name-error")).to_be_visible()
    expect(next_button).to_be_focused()



class _FirstLineChangeHeld:
    """Holds the first request to a cart line's address (+, −, Update, a typed quantity, Remove) on its way to the
    server until `release()`, and lets every later one through: the presses made meanwhile are made while it is in
    flight, as on a slow connection."""

    def __init__(self, page):
        self.page, self.held = page, []
        page.route("**/cart/lines/**", self._hold)

    def _hold(self, route):
        if self.held:
            route.continue_()
        else:
            self.held.append(route)

    def release(self):
        assert self.held, "no request to a cart line was sent"
        self.held[0].continue_()
        self.page.unroute("**/cart/lines/**", self._hold)


def _totals_agree(page):
    """The summary's Total is the sum of the lines' subtotals (both in USD here)."""
    subtotals = [float(text.removesuffix(" USD").replace(",", ""))
                 for text in page.locator(".cart-line .subtotal").all_inner_texts()]
    expect(page.locator(".cart-total dd")).to_have_text(f"{sum(subtotals):,.2f} USD")


def test_with_javascript_presses_made_while_a_lines_change_is_on_its_way_all_count(page, live_server, empty_carts):
    """With JavaScript pressing a line's + twice, the second press before the first's answer, added one seat: htmx
    kept the second press on the button pressed, which the first's answer replaced with the line, and dropped it.
    The cart's changes are now sent one after the other, each from the line as the one before left it: + twice
    adds two seats, − twice takes two away, and a quantity typed and then stepped with + counts the typed one."""
    sign_in_as(page, live_server, "reseller@example.com")
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    name = "Microsoft 365 Business Basic"
    quantity = page.get_by_label(f"Quantity of {name}", exact=True)
    subtotal = page.locator(".cart-line").nth(1).locator(".subtotal")
    for step, after in (("Increase", "4"), ("Decrease", "2")):
        button = page.get_by_role("button", name=f"{step} quantity of {name}", exact=True)
        held = _FirstLineChangeHeld(page)
        with page.expect_request(lambda r: "/cart/lines/" in r.url):
            button.click()
        button.click()
        held.release()
        expect(quantity).to_have_value(after)
        expect(subtotal).to_have_text(f"{5.70 * int(after):,.2f} USD")
        _totals_agree(page)

    held = _FirstLineChangeHeld(page)
    quantity.fill("7")
    with page.expect_request(lambda r: "/cart/lines/" in r.url):  # the typed quantity, as the field is left
        page.get_by_role("button", name=f"Increase quantity of {name}", exact=True).click()
    held.release()
    expect(quantity).to_have_value("8")
    expect(subtotal).to_have_text("45.60 USD")
    _totals_agree(page)
    page.reload()
    expect(quantity).to_have_value("8")


def test_with_javascript_remove_pressed_while_a_lines_change_is_on_its_way_removes_it(page, live_server,
                                                                                     empty_carts):
    """Remove pressed while the line's + is on its way to the server removes the line, says so and leaves no error;
    the +'s answer does not bring the line back."""
    sign_in_as(page, live_server, "reseller@example.com")
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    name = "Microsoft 365 Business Basic"
    held = _FirstLineChangeHeld(page)
    with page.expect_request(lambda r: "/cart/lines/" in r.url):
        page.get_by_role("button", name=f"Increase quantity of {name}", exact=True).click()
    page.get_by_role("button", name=f"Remove {name}", exact=True).click()
    held.release()
    expect(page.get_by_role("status").get_by_text(f"{name} was removed from your cart.")).to_be_visible()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.get_by_label(f"Quantity of {name}", exact=True)).to_have_count(0)
    expect(page.locator(".cart-count")).to_have_text("1")
    _totals_agree(page)
    expect(page.locator(".alert-danger, .alert-error")).to_have_count(0)
    page.reload()
    expect(page.locator(".cart-line")).to_have_count(1)


def _pressed_while_held(page, button) -> _FirstLineChangeHeld:
    """`button` pressed, its request held on its way until the returned hold is released."""
    held = _FirstLineChangeHeld(page)
    with page.expect_request(lambda r: "/cart/lines/" in r.url):
        button.click()
    return held


def test_with_javascript_a_quantity_typed_while_its_lines_change_is_on_its_way_is_kept_and_counts(page, live_server,
                                                                                                  empty_carts):
    """With JavaScript a quantity typed into a line's field while that line's + or − was on its way to the server
    was lost: the answer's swap replaced the field with its own number, and a typed quantity whose field had been
    left meanwhile (its change waiting for that answer) was dropped with it. The field being typed in is kept, with
    what was typed, and what was typed is what the cart ends with: left after the answer or before it."""
    sign_in_as(page, live_server, "reseller@example.com")
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    name = "Microsoft 365 Business Basic"
    quantity = page.get_by_label(f"Quantity of {name}", exact=True)
    subtotal = page.locator(".cart-line").nth(1).locator(".subtotal")

    # Typed while + is on its way, still being typed in when its answer comes.
    held = _pressed_while_held(page, page.get_by_role("button", name=f"Increase quantity of {name}", exact=True))
    quantity.fill("7")
    held.release()
    expect(subtotal).to_have_text("17.10 USD")  # the +'s answer: 3 seats
    expect(quantity).to_have_value("7")
    expect(quantity).to_be_focused()
    quantity.press("Tab")
    expect(subtotal).to_have_text("39.90 USD")
    expect(quantity).to_have_value("7")
    _totals_agree(page)

    # Typed and left while − is on its way: its change waits for the −'s answer, and is then sent.
    held = _pressed_while_held(page, page.get_by_role("button", name=f"Decrease quantity of {name}", exact=True))
    quantity.fill("4")
    quantity.press("Tab")
    held.release()
    expect(subtotal).to_have_text("22.80 USD")
    expect(quantity).to_have_value("4")
    _totals_agree(page)
    page.reload()
    expect(quantity).to_have_value("4")


def test_with_javascript_presses_made_before_a_quantity_is_typed_count_and_the_typed_one_comes_last(
        page, live_server, empty_carts):
    """+ pressed twice, then a quantity typed while they are on their way: each + adds a seat to the line's number
    (not to the number being typed), and what was typed is what the cart ends with, even when it is the number the
    field showed before the answers came."""
    sign_in_as(page, live_server, "reseller@example.com")
    _fill_cart(page, live_server, (PREMIUM, "5", "Monthly"), (BASIC, "2", "Monthly"))
    name = "Microsoft 365 Business Basic"
    quantity = page.get_by_label(f"Quantity of {name}", exact=True)
    subtotal = page.locator(".cart-line").nth(1).locator(".subtotal")
    increase = page.get_by_role("button", name=f"Increase quantity of {name}", exact=True)

    held = _pressed_while_held(page, increase)
    increase.click()
    quantity.fill("9")
    held.release()
    expect(subtotal).to_have_text("22.80 USD")  # both answered: 4 seats
    expect(quantity).to_have_value("9")
    quantity.press("Enter")
    expect(subtotal).to_have_text("51.30 USD")
    expect(quantity).to_have_value("9")
    _totals_agree(page)

    # The field shows 9 when + is pressed; 9 typed again before its answer (10) is what the cart keeps.
    held = _pressed_while_held(page, increase)
    quantity.fill("9")
    held.release()
    expect(subtotal).to_have_text("57.00 USD")  # the +'s answer: 10 seats
    expect(quantity).to_have_value("9")
    quantity.press("Tab")
    expect(subtotal).to_have_text("51.30 USD")
    expect(quantity).to_have_value("9")
    _totals_agree(page)
    page.reload()
    expect(quantity).to_have_value("9")
