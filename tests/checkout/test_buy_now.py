"""Buy now on a product page: the purchase wizard for those seats alone, while the cart stays as it
is; the cart's Next, a placed order or a discarded checkout end the Buy now."""
from __future__ import annotations

import json

from app.catalog.models import Cart, CartLine, CartPurpose, Product, Sku
from app.orders.models import Order
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant, _place
from tests.helpers import soup
from tests.support.catalog import BUSINESS_BASIC, BUSINESS_PREMIUM


def _sku(db, product_id):
    return db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == product_id,
                                                                   Sku.sku_id == "0001"))


def _buy_now(client, db, product_id=BUSINESS_BASIC, quantity="3", htmx=False):
    return client.post(f"/catalog/products/{product_id}/cart",
                       {"sku": _sku(db, product_id), "term": "P1Y", "billing_plan": "monthly", "quantity": quantity,
                        "action": "buy_now"}, htmx=htmx)


def _lines(db, purpose) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [(l.sku.product.product_id, l.quantity) for l in db.session.scalars(
        db.select(CartLine).join(Cart).where(Cart.purpose == purpose).order_by(CartLine.id))]


def _review_products(client) -> list[str]:
    page = soup(client.get("/checkout/review"))
    return [row.select_one("td").contents[0].strip() for row in page.select("section[aria-labelledby=r-products] tbody tr")]


def test_the_product_page_offers_buy_now_beside_add_to_cart(reseller_client):
    page = soup(reseller_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    buttons = [b.get_text() for b in page.select("form.add-to-cart button[type=submit]")]
    assert buttons == ["Add to cart", "Buy now"]
    assert page.select_one("form.add-to-cart button[value=buy_now]")["name"] == "action"
    # The product list keeps its compact form: Add to cart only.
    listing = soup(reseller_client.get("/catalog/products?q=business+premium"))
    assert listing.select_one("form.add-to-cart button[value=buy_now]") is None


def test_buy_now_starts_the_wizard_with_that_product_and_keeps_the_cart(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)  # the cart holds 5 Premium
    response = _buy_now(reseller_client, db)
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/"
    assert _lines(db, CartPurpose.BUY_NOW) == [(BUSINESS_BASIC, 3)]
    assert _lines(db, CartPurpose.CART) == [(BUSINESS_PREMIUM, 5)]
    assert soup(reseller_client.get("/cart")).select_one("#cart-badge .cart-count").get_text() == "1"
    assert _review_products(reseller_client) == ["Microsoft 365 Business Basic"]
    review = soup(reseller_client.get("/checkout/review"))
    assert review.select_one("#buy-now-note").get_text().startswith("Buy now: only this product")
    assert review.select_one("#r-products a")["href"] == f"/catalog/products/{BUSINESS_BASIC}"

    # A second Buy now replaces the first.
    _buy_now(reseller_client, db, quantity="4")
    assert _lines(db, CartPurpose.BUY_NOW) == [(BUSINESS_BASIC, 4)]

    placed = _place(reseller_client, db)
    assert placed.headers["HX-Redirect"].startswith("/checkout/placed/")
    order = db.session.scalars(db.select(Order)).one()
    assert [(l.catalog_item_id.split(":")[0], l.quantity) for l in order.lines] == [(BUSINESS_BASIC, 4)]
    assert _lines(db, CartPurpose.BUY_NOW) == [] and _lines(db, CartPurpose.CART) == [(BUSINESS_PREMIUM, 5)]


def test_with_htmx_buy_now_navigates_to_the_wizard(reseller_client, db):
    response = _buy_now(reseller_client, db, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/checkout/"


def test_bad_seats_are_refused_next_to_the_field_and_nothing_is_held(reseller_client, db):
    refused = _buy_now(reseller_client, db, quantity="0")
    assert refused.status_code == 422
    page = soup(refused)
    assert "needs at least 1 seat" in page.select_one(f"#add-{BUSINESS_BASIC}-quantity-error").get_text()
    assert page.select_one(f"#add-{BUSINESS_BASIC}-quantity")["value"] == "0"
    assert _lines(db, CartPurpose.BUY_NOW) == []


def test_the_carts_next_buys_the_cart_again_and_discarding_drops_the_buy_now(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    assert soup(reseller_client.get("/cart")).select_one(".buying-now") is None
    _buy_now(reseller_client, db)
    cart = soup(reseller_client.get("/cart"))
    # The stepper's Cart link leads here while the Buy now's checkout goes on: the page says so.
    notice = cart.select_one(".buying-now")
    assert " ".join(notice.get_text().split()) == (
        "Your checkout is buying 3 × Microsoft 365 Business Basic with Buy now, which is not in this cart. "
        "Back to the checkout. Next below buys this cart instead.")
    assert notice.select_one("a")["href"] == "/checkout/"
    form = cart.select_one("form.cart-form")
    moved = reseller_client.post(form["action"], {"csrf_token": form.select_one("[name=csrf_token]")["value"]})
    assert moved.status_code == 303
    assert _lines(db, CartPurpose.BUY_NOW) == []
    assert soup(reseller_client.get("/cart")).select_one(".buying-now") is None
    assert _review_products(reseller_client) == ["Microsoft 365 Business Premium"]

    _buy_now(reseller_client, db)
    review = soup(reseller_client.get("/checkout/review"))
    cancel = review.select_one("form[action='/checkout/cancel']")
    reseller_client.post(cancel["action"], {i["name"]: i.get("value", "") for i in cancel.select("input[name]")}
                         | json.loads(cancel["hx-vals"]))
    assert _lines(db, CartPurpose.BUY_NOW) == [] and _lines(db, CartPurpose.CART) == [(BUSINESS_PREMIUM, 5)]


def test_another_user_cannot_touch_a_buy_now_line_through_the_cart(reseller_client, reseller2_client, db):
    _buy_now(reseller_client, db)
    held = db.session.scalar(db.select(CartLine).join(Cart).where(Cart.purpose == CartPurpose.BUY_NOW))
    assert reseller2_client.post(f"/cart/lines/{held.id}", {"change": "increase"}).status_code == 404
    # Nor its owner: the cart page edits the cart only.
    assert reseller_client.post(f"/cart/lines/{held.id}/remove", {}).status_code == 404
    assert _lines(db, CartPurpose.BUY_NOW) == [(BUSINESS_BASIC, 3)]


def test_discarding_a_buy_now_on_its_first_step_drops_it(customer_client, db):
    """Nothing is saved before the first step is sent: Discard this purchase still ends the Buy now,
    and the next checkout buys the cart."""
    _buy_now(customer_client, db)
    assert _lines(db, CartPurpose.BUY_NOW) == [(BUSINESS_BASIC, 3)]
    assert customer_client.post("/checkout/cancel", {}).status_code == 303
    assert _lines(db, CartPurpose.BUY_NOW) == []


def test_the_empty_carts_page_during_a_buy_now_offers_only_the_way_back(reseller_client, db):
    db.session.execute(db.delete(CartLine))  # (the cart the checkout tests start with, conftest.py)
    _buy_now(reseller_client, db)
    notice = soup(reseller_client.get("/cart")).select_one(".buying-now")
    assert " ".join(notice.get_text().split()) == (
        "Your checkout is buying 3 × Microsoft 365 Business Basic with Buy now, which is not in this cart. "
        "Back to the checkout.")
