"""The cart: adding from the list and the product page, quantities within seat limits, removing,
totals, withdrawn products, and that it lives in the database per user."""
from __future__ import annotations

from app.catalog.models import Cart, CartLine, Product, Sku
from tests.support.catalog import BUSINESS_BASIC, BUSINESS_PREMIUM, FINANCE
from tests.helpers import Client, sign_in, soup, text_of


def sku_pk(db, product_id, sku_id="0001"):
    return db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == product_id,
                                                                   Sku.sku_id == sku_id))


def add(client, db, product_id=BUSINESS_PREMIUM, quantity=5, term="P1Y", billing="monthly", htmx=False, **extra):
    return client.post(f"/catalog/products/{product_id}/cart",
                       {"sku": sku_pk(db, product_id), "term": term, "billing_plan": billing,
                        "quantity": str(quantity), **extra}, htmx=htmx)


def lines(db, email="reseller@example.com"):
    from app.accounts.models import User

    user = db.session.scalar(db.select(User).where(User.email == email))
    db.session.expire_all()
    return db.session.scalars(db.select(CartLine).join(Cart).where(Cart.user_id == user.id)
                              .order_by(CartLine.id)).all()


def test_add_to_cart_with_htmx_swaps_the_form_and_the_badge_out_of_band(reseller_client, db):
    response = add(reseller_client, db, htmx=True, compact="1")
    assert response.status_code == 200
    assert "cart-updated" in response.headers["HX-Trigger"]
    html = soup(response)
    form = html.select_one(f"form#add-{BUSINESS_PREMIUM}")
    assert "Added 5 × Microsoft 365 Business Premium (1 year term, billed monthly) to your cart." in \
        form.select_one(".add-message").get_text()
    badge = html.select_one("#cart-badge")
    assert badge["hx-swap-oob"] == "true"
    assert badge.select_one(".cart-count").get_text() == "1"
    assert badge.get_text() == "Cart 1 line"  # what a screen reader reads: "1 lines" before
    assert [(l.quantity, l.term_duration, l.billing_plan) for l in lines(db)] == [(5, "P1Y", "monthly")]
    # Adding the same SKU, term and plan again adds seats to that line.
    add(reseller_client, db, quantity=2, htmx=True)
    assert [l.quantity for l in lines(db)] == [7]


def test_the_added_message_says_how_the_line_is_billed(reseller_client, db):
    response = add(reseller_client, db, quantity=2, term="P3Y", billing="annual", htmx=True, compact="1")
    assert response.status_code == 200
    assert "Added 2 × Microsoft 365 Business Premium (3 years term, billed annually) to your cart." in \
        soup(response).select_one(f"form#add-{BUSINESS_PREMIUM} .add-message").get_text()


def test_add_to_cart_without_javascript_redirects_to_the_cart(reseller_client, db):
    response = add(reseller_client, db, quantity=3)
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    cart = reseller_client.get("/cart")
    html = soup(cart)
    assert "Added 3 × Microsoft 365 Business Premium" in html.select_one("#flash-region").get_text()
    assert html.select_one(".cart-line .quantity-input")["value"] == "3"
    assert html.select_one("#cart-badge .cart-count").get_text() == "1"


def test_the_list_and_the_product_page_offer_add_to_cart_with_labelled_fields(reseller_client):
    for url in ("/catalog/products?q=business+premium", f"/catalog/products/{BUSINESS_PREMIUM}"):
        html = soup(reseller_client.get(url))
        form = html.select_one(f"form#add-{BUSINESS_PREMIUM}")
        assert form["action"] == f"/catalog/products/{BUSINESS_PREMIUM}/cart"
        for name, label in (("sku", "SKU"), ("term", "Term"), ("billing_plan", "Billing plan"),
                            ("quantity", "Quantity")):
            field = form.select_one(f"[name={name}]")
            assert form.select_one(f"label[for={field['id']}]").get_text() == label
        assert form.select_one("button[type=submit]").get_text() == "Add to cart"
        assert form.select_one("input[name=csrf_token]")["value"]


def test_invalid_additions_answer_422_with_the_message_next_to_the_field(reseller_client, db):
    cases = [
        (dict(quantity=0), "quantity", "Microsoft 365 Business Premium needs at least 1 seat."),
        (dict(quantity="lots"), "quantity", "Enter the number of seats as a whole number, like 5."),
        (dict(quantity=301), "quantity", "Microsoft 365 Business Premium allows at most 300 seats."),
        (dict(term="P1M", billing="annual"), "billing_plan",
         "Microsoft 365 Business Premium is not offered on a 1-month term billed annually."),
    ]
    for kwargs, field, message in cases:
        response = add(reseller_client, db, htmx=True, **kwargs)
        assert response.status_code == 422, kwargs
        error = soup(response).select_one(f"#add-{BUSINESS_PREMIUM}-{field}-error").get_text()
        assert error.startswith(message), error
    # Without JavaScript: the product page again, with the message, 422.
    page = add(reseller_client, db, quantity=0)
    assert page.status_code == 422
    assert soup(page).select_one("h1").get_text() == "Microsoft 365 Business Premium"
    assert "needs at least 1 seat" in soup(page).select_one(f"#add-{BUSINESS_PREMIUM}-quantity-error").get_text()
    assert lines(db) == []


def test_every_bad_field_gets_its_message_at_once_keeping_what_was_typed(reseller_client, db):
    """A term and billing plan not offered together and a quantity of 0: both fields say what is wrong,
    with and without JavaScript, and the form keeps the choices and the 0 typed."""
    for htmx in (True, False):
        response = add(reseller_client, db, quantity=0, term="P1M", billing="annual", htmx=htmx)
        assert response.status_code == 422
        form = soup(response).select_one(f"form#add-{BUSINESS_PREMIUM}")
        errors = {p["id"].removeprefix(f"add-{BUSINESS_PREMIUM}-"): p.get_text() for p in form.select(".field-error")}
        assert errors == {
            "billing_plan-error": "Microsoft 365 Business Premium is not offered on a 1-month term billed annually. "
                                  "See Pricing for the combinations offered.",
            "quantity-error": "Microsoft 365 Business Premium needs at least 1 seat."}
        quantity = form.select_one("[name=quantity]")
        assert quantity["value"] == "0" and quantity["aria-describedby"] == f"add-{BUSINESS_PREMIUM}-quantity-error"
        assert form.select_one("[name=term] option[selected]")["value"] == "P1M"
        assert form.select_one("[name=billing_plan] option[selected]")["value"] == "annual"
    # Words where a number belongs are said beside the quantity too, with the plan's message.
    response = add(reseller_client, db, quantity="lots", term="P1M", billing="annual", htmx=True)
    form = soup(response).select_one(f"form#add-{BUSINESS_PREMIUM}")
    assert form.select_one(f"#add-{BUSINESS_PREMIUM}-quantity-error").get_text() == \
        "Enter the number of seats as a whole number, like 5."
    assert form.select_one(f"#add-{BUSINESS_PREMIUM}-billing_plan-error") is not None
    assert form.select_one("[name=quantity]")["value"] == "lots"
    assert lines(db) == []


def test_seat_minimum_of_the_sku_applies(customer_client, db):
    response = add(customer_client, db, product_id=FINANCE, quantity=5, htmx=True)
    assert response.status_code == 422
    assert "Dynamics 365 Finance needs at least 20 seats." in text_of(response)


def test_annual_billing_off_refuses_annual_plans(reseller_client, db):
    from app.admin.settings import StorefrontSettings

    settings = StorefrontSettings.load()
    settings.annual_billing = False
    settings.save()
    db.session.commit()
    response = add(reseller_client, db, billing="annual", htmx=True)
    assert response.status_code == 422
    assert "Only monthly billing is offered" in text_of(response)


def update(client, line_id, **data):
    return client.post(f"/cart/lines/{line_id}", data, htmx=True)


def test_quantity_buttons_and_field_stay_within_the_seat_limits(reseller_client, db):
    add(reseller_client, db, quantity=1)
    line = lines(db)[0]
    html = soup(reseller_client.get("/cart"))
    assert html.select_one("button[aria-label='Increase quantity of Microsoft 365 Business Premium']").get_text() == "+"
    assert html.select_one("button[aria-label='Decrease quantity of Microsoft 365 Business Premium']").get_text() == "−"
    assert html.select_one(f"label[for=quantity-{line.id}]").get_text() == "Quantity of Microsoft 365 Business Premium"

    at_minimum = update(reseller_client, line.id, change="decrease")
    assert at_minimum.status_code == 422
    assert soup(at_minimum).select_one(f"#quantity-{line.id}-error").get_text() == \
        "Microsoft 365 Business Premium needs at least 1 seat. Your cart still has 1 seat."
    assert soup(at_minimum).select_one(f"#quantity-{line.id}")["value"] == "1"
    assert lines(db)[0].quantity == 1

    increased = update(reseller_client, line.id, change="increase")
    assert increased.status_code == 200 and "cart-updated" in increased.headers["HX-Trigger"]
    assert soup(increased).select_one(f"#quantity-{line.id}")["value"] == "2"
    assert soup(increased).select_one("#cart-badge")["hx-swap-oob"] == "true"

    set_to = update(reseller_client, line.id, change="set", quantity="12")
    assert soup(set_to).select_one(f"#quantity-{line.id}")["value"] == "12"

    too_many = update(reseller_client, line.id, change="set", quantity="301")
    assert too_many.status_code == 422
    assert soup(too_many).select_one(f"#quantity-{line.id}-error").get_text() == \
        "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 12 seats."
    # The field keeps what was typed, next to the message; the saved quantity stays.
    assert soup(too_many).select_one(f"#quantity-{line.id}")["value"] == "301"
    assert soup(too_many).select_one(f"#quantity-{line.id}")["aria-invalid"] == "true"
    assert lines(db)[0].quantity == 12

    # Without JavaScript the same form posts and comes back to the cart.
    plain = reseller_client.post(f"/cart/lines/{line.id}", {"change": "set", "quantity": "4"})
    assert plain.status_code == 302 and plain.headers["Location"] == "/cart"
    assert lines(db)[0].quantity == 4


def _control_names(row) -> list[str]:
    """What a screen reader calls each control of a cart line: a button's aria-label (else its text), and
    the quantity field's label."""
    names = [b.get("aria-label") or b.get_text(strip=True) for b in row.select("button")]
    field = row.select_one(".quantity-input")
    return names + [row.select_one(f"label[for={field['id']}]").get_text()]


def test_each_lines_controls_are_named_by_its_product_and_by_its_term_when_two_lines_share_it(reseller_client, db):
    """With two lines every line's −, +, Quantity, Update and Remove had the same names, so a screen reader
    (or a person driving by labels) could not tell which line each belonged to. Each is named by its
    product, the plain words first; two lines of one product are told apart by their term and billing."""
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=3, term="P1Y")
    premium, monthly, yearly = lines(db)
    page = soup(reseller_client.get("/cart"))
    named = {row["id"]: _control_names(row) for row in page.select(".cart-line")}
    assert named[f"line-{premium.id}"] == [
        "Update quantity of Microsoft 365 Business Premium", "Decrease quantity of Microsoft 365 Business Premium",
        "Increase quantity of Microsoft 365 Business Premium", "Remove Microsoft 365 Business Premium",
        "Quantity of Microsoft 365 Business Premium"]
    basic = "Microsoft 365 Business Basic (1-month term, billed monthly)"
    assert named[f"line-{monthly.id}"] == [f"Update quantity of {basic}", f"Decrease quantity of {basic}",
                                           f"Increase quantity of {basic}", f"Remove {basic}", f"Quantity of {basic}"]
    every = [name for names in named.values() for name in names]
    assert len(every) == len(set(every)) == 15
    assert "Quantity of Microsoft 365 Business Basic (1-year term, billed monthly)" in every

    # A line's own answer (htmx swaps that row alone) names it as the page does.
    changed = update(reseller_client, yearly.id, change="increase")
    assert _control_names(soup(changed).select_one(f"#line-{yearly.id}"))[2] == (
        "Increase quantity of Microsoft 365 Business Basic (1-year term, billed monthly)")


def _cart_form(page) -> dict:
    """What the cart's form sends as a browser sends it: its hidden fields and every line's quantity
    field (the buttons' own name and value come on top)."""
    form = page.select_one("form.cart-form")
    return {i["name"]: i.get("value", "") for i in form.select("input[name]")}


def _drafts(db) -> int:
    from app.checkout.models import CheckoutDraft

    return db.session.scalar(db.select(db.func.count(CheckoutDraft.id)))


def test_without_javascript_next_goes_on_with_the_quantity_typed_without_update(reseller_client, db):
    """The cart is one form: a quantity typed and Next pressed, without Update, is the one bought."""
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    first, second = lines(db)
    page = soup(reseller_client.get("/cart"))
    form = page.select_one("form.cart-form")
    assert form["method"] == "post" and form["action"] == "/checkout/cart"
    # Next, every line's field and every line's buttons belong to the one form.
    assert form.select_one("button.cart-next").get_text() == "Next"
    assert [i["name"] for i in form.select(".quantity-input")] == [f"quantity-{first.id}", f"quantity-{second.id}"]
    assert form.select_one(f"#line-{first.id} .quantity-update")["formaction"] == f"/cart/lines/{first.id}"
    assert form.select_one(f"#line-{first.id} button[aria-label^=Remove]")["formaction"] == \
        f"/cart/lines/{first.id}/remove"
    assert page.select("form form") == [] and page.select(".cart-line form") == []

    moved = reseller_client.post(form["action"], _cart_form(page) | {f"quantity-{first.id}": "7"})
    assert moved.status_code == 303 and moved.headers["Location"].startswith("/checkout/")
    assert [line.quantity for line in lines(db)] == [7, 2]


def test_enter_in_a_quantity_field_saves_every_field_without_javascript(reseller_client, db):
    """Enter presses the form's first button: "Update the cart", hidden from sight and from screen
    readers (a line's own Update is the one they use), which saves every field."""
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    first, second = lines(db)
    page = soup(reseller_client.get("/cart"))
    default = page.select_one("form.cart-form").select("button[type=submit]")[0]
    assert default["formaction"] == "/cart/update" and default["aria-hidden"] == "true"

    saved = reseller_client.post(default["formaction"], _cart_form(page) | {f"quantity-{first.id}": "9",
                                                                             f"quantity-{second.id}": "4"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/cart"
    assert [line.quantity for line in lines(db)] == [9, 4]
    assert "Your cart was updated." in text_of(reseller_client.get("/cart"))

    # One refused: the cart again, its message beside its field, which keeps what was typed; the other saved.
    refused = reseller_client.post("/cart/update", _cart_form(page) | {f"quantity-{first.id}": "20000",
                                                                       f"quantity-{second.id}": "3"})
    assert refused.status_code == 422
    cart = soup(refused)
    assert cart.select_one(f"#quantity-{first.id}-error").get_text() == (
        "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 9 seats.")
    assert cart.select_one(f"#quantity-{first.id}")["value"] == "20000"
    assert cart.select_one(f"#quantity-{second.id}")["value"] == "3"
    assert [line.quantity for line in lines(db)] == [9, 3]


def test_without_javascript_a_lines_buttons_keep_what_was_typed_in_the_cart(reseller_client, db):
    """Without JavaScript a line's plus, minus and Remove send the whole cart form: plus counts from the
    number typed in its field without Update, and the other lines' typed quantities are saved, not lost
    (a refused one comes back beside its field, as typed)."""
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    first, second = lines(db)
    page = soup(reseller_client.get("/cart"))
    plus = page.select_one(f"#line-{first.id} button[aria-label^='Increase quantity']")
    pressed = reseller_client.post(plus["formaction"], _cart_form(page) | {
        plus["name"]: plus["value"], f"quantity-{first.id}": "8", f"quantity-{second.id}": "3"})
    assert pressed.status_code == 302 and pressed.headers["Location"] == "/cart"
    assert [line.quantity for line in lines(db)] == [9, 3]

    page = soup(reseller_client.get("/cart"))
    remove = page.select_one(f"#line-{first.id} button[aria-label^=Remove]")
    removed = reseller_client.post(remove["formaction"], _cart_form(page) | {f"quantity-{second.id}": "6"})
    assert removed.status_code == 302
    assert [line.quantity for line in lines(db)] == [6]

    add(reseller_client, db, quantity=5)
    second, third = lines(db)
    page = soup(reseller_client.get("/cart"))
    remove = page.select_one(f"#line-{second.id} button[aria-label^=Remove]")
    refused = reseller_client.post(remove["formaction"], _cart_form(page) | {f"quantity-{third.id}": "20000"})
    assert refused.status_code == 422
    cart = soup(refused)
    assert cart.select_one(f"#quantity-{third.id}-error").get_text() == (
        "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 5 seats.")
    assert cart.select_one(f"#quantity-{third.id}")["value"] == "20000"
    assert [line.id for line in lines(db)] == [third.id]


def test_the_address_a_refused_cart_form_was_shown_at_leads_back_to_its_page_not_to_a_405(reseller_client, db):
    """Without JavaScript a refused quantity shows the cart again at the address its form was sent to
    (/cart/lines/3, /cart/update, /checkout/cart), and a refused Add to cart the product at its own: addresses
    that take POST only, so a reload of the address, or a copy of it opened, answered 405 Method Not Allowed.
    Opened, each now leads back to the page its form is on, and changes nothing."""
    add(reseller_client, db, quantity=5)
    line = lines(db)[0]
    refused = reseller_client.post(f"/cart/lines/{line.id}", {"change": "set", f"quantity-{line.id}": "20000"})
    assert refused.status_code == 422
    for url in (f"/cart/lines/{line.id}", "/cart/update", f"/cart/lines/{line.id}/remove", "/checkout/cart"):
        opened = reseller_client.get(url)
        assert (opened.status_code, opened.headers.get("Location")) == (303, "/cart"), url
    opened = reseller_client.get(f"/catalog/products/{BUSINESS_PREMIUM}/cart")
    assert (opened.status_code, opened.headers.get("Location")) == (303, f"/catalog/products/{BUSINESS_PREMIUM}")
    assert [l.quantity for l in lines(db)] == [5]


def test_another_users_cart_is_not_touched_by_updating_the_cart(reseller_client, reseller2_client, db):
    """The cart's update reads the signed-in user's own lines only: another user's line ids in the form do nothing."""
    add(reseller_client, db, quantity=5)
    line = lines(db)[0]
    assert reseller2_client.post("/cart/update", {f"quantity-{line.id}": "9"}).status_code == 302
    assert lines(db)[0].quantity == 5


def test_next_without_javascript_never_goes_on_with_the_saved_quantity_while_the_field_shows_a_refused_one(
        reseller_client, db):
    """20000 typed and refused stays in its field; Next sends the field again, is refused again beside
    it (the cart page, the checkout not started), and goes on once the quantity is one the SKU allows."""
    add(reseller_client, db, quantity=5)
    line = lines(db)[0]
    refused = reseller_client.post(f"/cart/lines/{line.id}", {"change": "set", f"quantity-{line.id}": "20000"})
    assert refused.status_code == 422
    page = soup(refused)
    message = "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 5 seats."
    assert page.select_one(f"#quantity-{line.id}-error").get_text() == message
    assert page.select_one(f"#quantity-{line.id}")["value"] == "20000"
    data = _cart_form(page)
    assert data[f"quantity-{line.id}"] == "20000"

    again = reseller_client.post("/checkout/cart", data)
    assert again.status_code == 422
    page = soup(again)
    assert page.select_one("h1").get_text() == "Cart"
    assert page.select_one(f"#quantity-{line.id}-error").get_text() == message
    assert page.select_one(f"#quantity-{line.id}")["value"] == "20000"
    assert lines(db)[0].quantity == 5 and _drafts(db) == 0  # nothing bought, the checkout not started

    # Corrected in the field, Next goes on with it.
    moved = reseller_client.post("/checkout/cart", _cart_form(page) | {f"quantity-{line.id}": "12"})
    assert moved.status_code == 303 and moved.headers["Location"].startswith("/checkout/")
    assert lines(db)[0].quantity == 12


def test_next_sends_every_field_refuses_beside_it_and_saves_the_others(reseller_client, db):
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    first, second = lines(db)
    page = soup(reseller_client.get("/cart"))

    # 20000 typed in the first and Next pressed at once (no change event answered yet), 3 in the second.
    sent = _cart_form(page) | {f"quantity-{first.id}": "20000", f"quantity-{second.id}": "3"}
    refused = reseller_client.post("/checkout/cart", sent)
    assert refused.status_code == 422
    cart = soup(refused).select_one("#cart")
    assert cart.select_one(f"#quantity-{first.id}-error").get_text() == (
        "Microsoft 365 Business Premium allows at most 300 seats. Your cart still has 5 seats.")
    assert cart.select_one(f"#quantity-{first.id}")["value"] == "20000"
    assert cart.select_one(f"#quantity-{second.id}")["value"] == "3"
    assert [l.quantity for l in lines(db)] == [5, 3] and _drafts(db) == 0

    moved = reseller_client.post("/checkout/cart", _cart_form(soup(refused)) | {f"quantity-{first.id}": "7"})
    assert moved.status_code == 303 and moved.headers["Location"].startswith("/checkout/")
    assert [l.quantity for l in lines(db)] == [7, 3]


def test_subtotals_and_totals_per_currency_and_remove(reseller_client, db):
    add(reseller_client, db, quantity=5)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=2, term="P1M")
    html = soup(reseller_client.get("/cart"))
    rows = html.select(".cart-line")
    assert len(rows) == 2
    from app.catalog.models import PriceListEntry

    def cost(pid, term):
        return db.session.scalar(db.select(PriceListEntry.unit_price).where(
            PriceListEntry.market == "US", PriceListEntry.product_id == pid, PriceListEntry.term_duration == term,
            PriceListEntry.billing_plan == "monthly"))

    premium, basic = cost(BUSINESS_PREMIUM, "P1Y") * 5, cost(BUSINESS_BASIC, "P1M") * 2
    assert [r.select_one(".subtotal").get_text(strip=True) for r in rows] == [f"{premium:,.2f} USD", f"{basic:,.2f} USD"]
    assert html.select_one(".cart-total[data-currency=USD] dd").get_text() == f"{premium + basic:,.2f} USD"
    # Next posts: the checkout then buys this cart (not a Buy now held meanwhile).
    next_form = html.select_one("form.cart-form")
    assert next_form["method"] == "post" and next_form["action"] == "/checkout/cart"
    assert next_form.select_one(".cart-actions button.cart-next").get_text() == "Next"
    assert next_form.select_one("[name=csrf_token]")

    first, second = lines(db)
    # Changing one line answers that line only, with the totals and badge out of band: the other
    # line's quantity field (someone may be typing in it) is not in the answer, so it is not replaced.
    changed = update(reseller_client, first.id, change="set", quantity="6")
    assert changed.status_code == 200
    answer = soup(changed)
    assert [row["id"] for row in answer.select(".cart-line")] == [f"line-{first.id}"]
    assert answer.select_one(f"#quantity-{second.id}") is None
    assert answer.select_one("#cart-summary")["hx-swap-oob"] == "true"
    assert answer.select_one(".cart-total[data-currency=USD] dd").get_text() == \
        f"{premium / 5 * 6 + basic:,.2f} USD"

    first_title, second_title = first.sku.title, second.sku.title
    removed = reseller_client.post(f"/cart/lines/{first.id}/remove", {}, htmx=True)
    assert removed.status_code == 200
    answer = soup(removed)
    assert answer.select(".cart-line") == []  # the removed row is swapped for nothing
    said = answer.select_one("[hx-swap-oob='innerHTML:#flash-region'] .alert")  # in the page's messages
    assert said.get_text() == f"{first_title} was removed from your cart." and said.has_attr("autofocus")
    assert answer.select_one(".cart-total[data-currency=USD] dd").get_text() == f"{basic:,.2f} USD"
    assert answer.select_one("#cart-badge .cart-count").get_text() == "1"
    assert [l.sku.product.product_id for l in lines(db)] == [BUSINESS_BASIC]

    # The last line removed: the whole cart is answered (its empty message replaces the table).
    emptied = reseller_client.post(f"/cart/lines/{second.id}/remove", {}, htmx=True)
    assert emptied.headers["HX-Retarget"] == "#cart" and emptied.headers["HX-Reswap"] == "outerHTML settle:0ms"
    assert "Your cart is empty." in soup(emptied).select_one("#cart").get_text()
    said = soup(emptied).select_one("[hx-swap-oob='innerHTML:#flash-region'] .alert")
    assert said.get_text() == f"{second_title} was removed from your cart." and said.has_attr("autofocus")


def test_withdrawn_products_are_refused_and_block_next(reseller_client, db):
    add(reseller_client, db, quantity=5)
    product = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_PREMIUM))
    product.available = False
    for sku in product.skus:
        sku.available = False
    db.session.commit()

    cart = soup(reseller_client.get("/cart"))
    assert cart.select_one(".line-problem").get_text() == (
        "Microsoft 365 Business Premium is no longer sold: Microsoft withdrew it from the catalog. "
        "Remove it from your cart to continue.")
    assert cart.select_one(".cart-actions a.button") is None and cart.select_one(".cart-next") is None
    assert cart.select_one(".cart-actions button[disabled]").get_text() == "Next"

    refused = add(reseller_client, db, quantity=1, htmx=True)
    assert refused.status_code == 422
    assert "Microsoft 365 Business Premium is no longer sold" in text_of(refused)
    assert update(reseller_client, lines(db)[0].id, change="increase").status_code == 422


def test_the_cart_is_kept_per_user_and_survives_sign_out(demo, db):
    c = Client(demo.test_client())
    sign_in(c, "reseller@example.com")
    add(c, db, quantity=5)
    c.post("/sign-out", {})
    assert c.get("/cart").status_code == 302  # signed out
    sign_in(c, "reseller@example.com")
    assert soup(c.get("/cart")).select_one(".cart-line .quantity-input")["value"] == "5"
    # Another buyer has a cart of their own and cannot touch this one.
    other = Client(demo.test_client())
    sign_in(other, "customer@example.com")
    assert soup(other.get("/cart")).select_one(".cart-line") is None
    assert other.post(f"/cart/lines/{lines(db)[0].id}", {"change": "increase"}).status_code == 404
    assert other.post(f"/cart/lines/{lines(db)[0].id}/remove", {}).status_code == 404


def test_the_operator_has_no_cart(operator_client, db):
    assert operator_client.get("/cart").status_code == 403
    assert add(operator_client, db).status_code == 403
    assert soup(operator_client.get("/")).select_one("#cart-badge") is None


def test_the_badge_is_in_the_header_for_buyers(customer_client, db):
    html = soup(customer_client.get("/"))
    assert html.select_one("header #cart-badge")["href"] == "/cart"
    assert html.select_one("header #cart-badge .cart-count").get_text() == "0"
    assert html.select_one("header #cart-badge").get_text() == "Cart 0 lines"


def test_cart_writes_flush_and_leave_the_commit_to_the_view(demo, db):
    from app.accounts.models import User
    from app.catalog.cart import add_to_cart, remove_line, set_line_quantity
    from app.catalog.pricing import viewer_for

    user = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    sku = db.session.get(Sku, sku_pk(db, BUSINESS_PREMIUM))
    line = add_to_cart(user, viewer_for(user), sku, "P1Y", "monthly", 4)
    assert line.id is not None and not db.session.new, "added and flushed"
    set_line_quantity(line, 6)
    assert not db.session.dirty
    remove_line(line)
    assert not db.session.deleted
    # Nothing was committed: the view's rollback undoes all three.
    db.session.rollback()
    assert lines(db) == []


def test_the_cart_page_reads_its_lines_with_their_skus_products_and_offers_in_one_statement(reseller_client, db):
    from tests.support.sql import about, statements

    add(reseller_client, db)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=3)
    reseller_client.get("/cart")
    with statements() as seen:
        page = reseller_client.get("/cart")
    assert page.status_code == 200 and "Microsoft 365 Business Basic" in text_of(page)
    [offers] = about(seen, "catalog_offers")
    assert about([offers], "cart_lines") and about([offers], "catalog_skus") and about([offers], "catalog_products")


def test_the_cart_page_with_a_buy_now_held_is_two_statements_the_users_and_its_carts(reseller_client, db):
    """The cart, the Buy now held apart from it and every line's price are read in one statement (with the
    signed-in user's, two: app/catalog/cart.py, _view_statement)."""
    from tests.support.sql import statements

    add(reseller_client, db)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=3)
    assert add(reseller_client, db, product_id=FINANCE, quantity=20, action="buy_now").status_code in (302, 303)
    reseller_client.get("/cart")
    with statements() as seen:
        page = reseller_client.get("/cart")
    assert page.status_code == 200
    assert len([s for s in seen if "SAVEPOINT" not in s]) == 2
    html = soup(page)
    assert "with Buy now, which is not in this cart" in html.select_one(".buying-now").get_text()
    assert len(html.select("#cart tbody tr")) == 2


def test_a_line_of_tiered_prices_costs_the_lowest_tiers_price_as_the_price_lookup_answers(reseller_client, db):
    """Each line's price, read with the cart, is the price entry `price_entry` answers: the lowest tier of the
    viewer's market, SKU, term and billing plan."""
    from decimal import Decimal

    from app.accounts.models import User
    from app.catalog.cart import cart_and_buy_now, cart_view
    from app.catalog.models import PriceListEntry
    from app.catalog.pricing import price_entry, viewer_for

    add(reseller_client, db)
    add(reseller_client, db, product_id=BUSINESS_BASIC, quantity=3)
    [premium, basic] = lines(db)
    entry = price_entry("US", premium.sku, premium.term_duration, premium.billing_plan)
    db.session.add(PriceListEntry(**{c.key: getattr(entry, c.key) for c in PriceListEntry.__table__.columns
                                     if c.key != "id"} | {"tier_min": entry.tier_min + 100,
                                                          "unit_price": Decimal("1.0000")}))
    db.session.flush()
    user = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    viewer = viewer_for(user)
    view, held = cart_and_buy_now(user, viewer)
    assert held is None and [lv.line for lv in view.lines] == [premium, basic]
    for lv in view.lines:
        line = lv.line
        assert lv.entry is price_entry(viewer.market, line.sku, line.term_duration, line.billing_plan)
    assert view.lines[0].price == entry.unit_price != Decimal("1.0000")
    assert cart_view(user, viewer).totals == view.totals
