"""Money is written one way on every buyer's page: the amount with two decimals and a comma between
thousands, then the currency's ISO code ("1,045.00 USD", "86.73 PLN"), never a symbol, which a
storefront selling in several currencies could not tell apart ("$" is several dollars). One filter
writes it (app.catalog.terms.money); the cart, the Review step and the order pages show the same."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.models import CartLine, Product, Sku
from app.catalog.terms import money
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant, _place
from tests.helpers import soup
from tests.support.catalog import BUSINESS_PREMIUM


@pytest.mark.parametrize("amount, currency, signed, said", [
    (Decimal("20.9"), "USD", False, "20.90 USD"),
    (Decimal("1045"), "USD", False, "1,045.00 USD"),
    (Decimal("1040.8249"), "PLN", False, "1,040.82 PLN"),
    (Decimal("0.005"), "USD", False, "0.01 USD"),
    (Decimal("104.5"), "USD", True, "+104.50 USD"),
    (Decimal("-41.8"), "USD", True, "−41.80 USD"),
    ("550.00", "USD", False, "550.00 USD"),
    (None, "USD", False, "—"),
])
def test_one_format_for_every_amount(amount, currency, signed, said):
    assert money(amount, currency, signed=signed) == said


def _fifty_seats(client, db):
    """Adatum's cart: 50 seats of Business Premium, 1-year term billed monthly, at its cost of 20.90 USD."""
    sku = db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == BUSINESS_PREMIUM,
                                                                  Sku.sku_id == "0001"))
    line = db.session.scalar(db.select(CartLine))
    assert client.post(f"/cart/lines/{line.id}", {"change": "set", f"quantity-{line.id}": "50"}).status_code == 302
    return sku


def _text(page, selector) -> str:
    return page.select_one(selector).get_text(" ", strip=True)


def test_cart_review_and_order_write_money_the_same_way(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    _fifty_seats(reseller_client, db)

    product = soup(reseller_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    one_year = product.select_one("td[data-term=P1Y][data-billing=monthly]")
    assert _text(one_year, ".price-cost") == "Your cost 20.90 USD"
    assert _text(one_year, ".price-erp") == "ERP 22.00 USD"

    cart = soup(reseller_client.get("/cart"))
    row = cart.select_one("tr.cart-line")
    assert _text(row, "td:nth-of-type(3)").startswith("20.90 USD per month")
    assert _text(row, ".subtotal") == "1,045.00 USD"
    assert _text(cart, ".cart-total") == "Total 1,045.00 USD"

    line = db.session.scalar(db.select(CartLine))
    swapped = soup(reseller_client.post(f"/cart/lines/{line.id}", {"change": "set", f"quantity-{line.id}": "40"},
                                        htmx=True))
    assert _text(swapped, ".subtotal") == "836.00 USD"
    assert _text(swapped, ".cart-total") == "Total 836.00 USD"

    for review in (soup(reseller_client.get("/checkout/review")),
                   soup(reseller_client.get("/checkout/review", headers={"HX-Request": "true"}))):
        cells = [td.get_text(" ", strip=True) for td in review.select("#review tbody tr")[0].select("td")]
        # As the cart says it: the price per billing period; the SKU named apart only when its title differs.
        assert cells == ["Microsoft 365 Business Premium", "40", "1 year", "Monthly", "20.90 USD per month", "836.00 USD"]
        assert _text(review, "#review tfoot tr") == "Total 836.00 USD"

    placed = _place(reseller_client, db)
    number = placed.headers["HX-Redirect"].rsplit("/", 1)[1]
    order = soup(reseller_client.get(f"/orders/{number}"))
    # The price per seat per billing period too, as the cart and the Review say it.
    assert [td.get_text(" ", strip=True) for td in order.select("tbody tr")[0].select("td.numeric")] == \
        ["40", "20.90 USD per month", "836.00 USD"]
    assert _text(order, "tfoot tr") == "Total 836.00 USD"
    listed = soup(reseller_client.get("/orders"))
    assert "836.00 USD" in [td.get_text(strip=True) for td in listed.select("td.numeric")]
