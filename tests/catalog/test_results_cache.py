"""The search results fragment is served from Redis while the catalog is unchanged: each visitor's
forms carry their own CSRF token, each kind of viewer sees its own prices, and any catalog change
(an edit, a price sheet import's bulk statements) shows at once."""
from __future__ import annotations

from app.catalog.models import PriceListEntry, Product
from app.catalog.price_sheet import import_price_sheet_file
from app.catalog.sync import new_sync
from app.extensions import get_redis
from tests.catalog.test_price_sheet import row, write_sheet
from tests.helpers import soup
from tests.support.catalog import BUSINESS_PREMIUM
from tests.support.sql import about, statements

SEARCH = "/catalog/products?q=business+premium"
HX = {"HX-Request": "true"}


def _cached_keys(app) -> list:
    with app.app_context():
        return get_redis().keys("catalog:results:*")


def _first_card(response):
    return soup(response).select_one(f"#product-{BUSINESS_PREMIUM}")


def _session_token(token: str) -> str:
    """The session's raw token a signed CSRF token carries (each signing has its own timestamp)."""
    return token.split(".")[0]


def _token_in_page(client) -> str:
    return _session_token(soup(client.get("/catalog/products")).select_one('meta[name="csrf-token"]')["content"])


def test_a_repeated_search_is_served_from_the_cache_with_each_visitors_own_csrf_token(
        app, reseller_client, reseller2_client):
    first = reseller_client.get(SEARCH, headers=HX)
    assert first.status_code == 200 and _cached_keys(app)
    again = reseller_client.get(SEARCH, headers=HX)
    assert [c["id"] for c in soup(again).select(".product-card")] == [c["id"] for c in soup(first).select(".product-card")]
    assert again.headers["HX-Push-Url"] == "/catalog/products?q=business+premium"

    # Another reseller, same market? Litware sells in Poland: a fragment of its own. Its forms carry
    # its own session's token, never Adatum's.
    other = reseller2_client.get(SEARCH, headers=HX)
    own = _session_token(_first_card(other).select_one("input[name=csrf_token]")["value"])
    assert own == _token_in_page(reseller2_client)
    assert _session_token(_first_card(first).select_one("input[name=csrf_token]")["value"]) == \
        _token_in_page(reseller_client)
    assert own != _token_in_page(reseller_client)


def test_the_same_market_cached_fragment_gets_the_second_visitors_token(app, reseller_client, reseller_member_client):
    reseller_client.get(SEARCH, headers=HX)  # cached by the admin
    member = reseller_member_client.get(SEARCH, headers=HX)
    token = _first_card(member).select_one("input[name=csrf_token]")["value"]
    assert _session_token(token) == _token_in_page(reseller_member_client)
    # And the token works: the form adds to the member's cart.
    form = _first_card(member).select_one("form.add-to-cart")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    data.update({s["name"]: s.select_one("option[selected]")["value"] for s in form.select("select")})
    added = reseller_member_client.post(form["action"], data, htmx=True)
    assert added.status_code == 200 and "Added" in soup(added).select_one(".add-message").get_text()


def test_resellers_and_customers_see_their_own_prices_from_the_cache(reseller_client, customer_client):
    reseller_client.get(SEARCH, headers=HX)
    customer = _first_card(customer_client.get(SEARCH, headers=HX)).select_one(".from-price").get_text()
    reseller = _first_card(reseller_client.get(SEARCH, headers=HX)).select_one(".from-price").get_text()
    assert "Your cost" in reseller and "Your cost" not in customer


def test_a_catalog_edit_shows_at_once(db, reseller_client):
    assert "Microsoft 365 Business Premium" in _first_card(reseller_client.get(SEARCH, headers=HX)).get_text()
    product = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_PREMIUM))
    product.title = "Microsoft 365 Business Premium (renamed)"
    db.session.commit()
    card = _first_card(reseller_client.get(SEARCH, headers=HX))
    assert "Microsoft 365 Business Premium (renamed)" in card.select_one(".product-title").get_text()


def test_a_price_sheet_imported_with_bulk_statements_shows_at_once(db, reseller_client, tmp_path):
    before = _first_card(reseller_client.get(SEARCH, headers=HX)).select_one(".from-price").get_text()
    current = db.session.scalars(db.select(PriceListEntry).where(PriceListEntry.market == "US",
                                                                 PriceListEntry.product_id == BUSINESS_PREMIUM)).all()
    rows = [row(ProductId=e.product_id, SkuId=e.sku_id, TermDuration=e.term_duration,
                BillingPlan=e.billing_plan.capitalize(), UnitPrice="1.23",
                EffectiveStartDate=e.effective_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                EffectiveEndDate=e.effective_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ProductTitle=e.product_title, SkuTitle=e.sku_title, **{"ERP Price": "2.34"}) for e in current]
    import_price_sheet_file(write_sheet(tmp_path / "cheaper.csv", rows), new_sync("import"))
    after = _first_card(reseller_client.get(SEARCH, headers=HX)).select_one(".from-price").get_text()
    assert after != before and "1.23 USD" in after


def test_with_the_cache_off_nothing_is_stored(app, reseller_client):
    app.config["CATALOG_RESULTS_CACHE_SECONDS"] = 0
    try:
        assert reseller_client.get(SEARCH, headers=HX).status_code == 200
        assert _cached_keys(app) == []
    finally:
        app.config.pop("CATALOG_RESULTS_CACHE_SECONDS")


def test_the_catalog_page_shows_the_cached_results_and_keeps_the_search_form(db, reseller_client):
    first = reseller_client.get(SEARCH)  # a full page: renders the results and keeps them
    with statements() as seen:
        again = reseller_client.get(SEARCH)
    assert about(seen, "catalog_skus") == [] and about(seen, "catalog_offers") == []
    page = soup(again)
    assert [c["id"] for c in page.select(".product-card")] == [c["id"] for c in soup(first).select(".product-card")]
    assert again.headers["HX-Push-Url"] == "/catalog/products?q=business+premium"
    # The page around them is the page's own: the search form with the words typed and every family.
    assert page.select_one("input#q")["value"] == "business premium"
    families = [o.get_text() for o in page.select("select[name=family] option")]
    assert families[0] == "All families" and "Microsoft 365" in families
    # Its forms carry this visitor's token.
    assert _session_token(_first_card(again).select_one("input[name=csrf_token]")["value"]) == \
        _session_token(page.select_one('meta[name="csrf-token"]')["content"])
