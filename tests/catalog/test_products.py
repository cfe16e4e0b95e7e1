"""Catalog > Products: search, filters and paging, as a page and as an htmx fragment; product pages
with the Pricing table for each kind of viewer."""
from __future__ import annotations

from app.catalog.models import PriceListEntry, Product
from tests.support.catalog import BUSINESS_BASIC, BUSINESS_PREMIUM, FINANCE
from tests.helpers import soup, text_of


def titles(response):
    return [a.get_text(strip=True) for a in soup(response).select("#product-results .product-title a")]


def annual_billing(db, on: bool):
    from app.admin.settings import StorefrontSettings

    settings = StorefrontSettings.load()
    settings.annual_billing = on
    settings.save()
    db.session.commit()


def test_search_answers_a_page_without_htmx_and_a_fragment_with_it(reseller_client):
    page = reseller_client.get("/catalog/products?q=business+premium")
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = soup(page)
    assert html.select_one("h1").get_text() == "Products"
    assert html.select_one("#q")["value"] == "business premium"
    assert html.select_one("label[for=q]").get_text() == "Search products"
    assert titles(page) == ["Microsoft 365 Business Premium", "Dynamics 365 Business Central Premium"]

    fragment = reseller_client.get("/catalog/products?q=BUSINESS%20premium", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<h1" not in body
    assert soup(fragment).select_one("section#product-results") is not None
    assert titles(fragment)[0] == "Microsoft 365 Business Premium"
    # The search field asks as one types (debounced) and pushes the URL so the result can be reloaded.
    field = html.select_one("#q")
    assert field["hx-trigger"] == "input changed delay:300ms, search" and field["hx-push-url"] == "true"


def test_search_words_match_anywhere_in_any_order_and_by_product_id(reseller_client):
    assert set(titles(reseller_client.get("/catalog/products?q=premium+business"))) == {
        "Microsoft 365 Business Premium", "Dynamics 365 Business Central Premium"}
    assert titles(reseller_client.get(f"/catalog/products?q={BUSINESS_PREMIUM.lower()}")) == \
        ["Microsoft 365 Business Premium"]
    none = reseller_client.get("/catalog/products?q=nothing+like+this")
    assert titles(none) == [] and "No products match" in text_of(none)


def test_filters_by_family_term_and_billing_plan(reseller_client, db):
    dynamics = titles(reseller_client.get("/catalog/products?family=Dynamics+365"))
    assert dynamics and all(t.startswith("Dynamics 365") for t in dynamics)
    three_year = titles(reseller_client.get("/catalog/products?term=P3Y"))
    assert "Microsoft 365 Business Premium" in three_year and "Microsoft 365 Business Basic" not in three_year
    triennial = titles(reseller_client.get("/catalog/products?billing=triennial&q=microsoft+365"))
    assert "Microsoft 365 E3" in triennial and "Microsoft 365 Business Basic" not in triennial
    month = titles(reseller_client.get("/catalog/products?term=P1M&family=Dynamics+365"))
    assert month == []  # Dynamics 365 is sold on 1-year terms only
    page = soup(reseller_client.get("/catalog/products?family=Teams"))
    assert page.select_one("#family option[selected]")["value"] == "Teams"
    assert [o["value"] for o in page.select("#billing option")] == ["", "monthly", "annual", "triennial"]


def test_paging_keeps_the_filters_and_works_as_fragment(reseller_client):
    first = soup(reseller_client.get("/catalog/products"))
    assert first.select_one(".results-count").get_text(strip=True) == "50 products"
    assert len(first.select(".product-card")) == 20
    assert "Page 1 of 3" in first.select_one(".pager").get_text()
    assert first.select_one(".pager a[rel=next]")["href"] == "/catalog/products?page=2"
    second = reseller_client.get("/catalog/products?page=2&q=microsoft", headers={"HX-Request": "true"})
    html = soup(second)
    assert "Page 2 of" in html.select_one(".pager").get_text()
    assert html.select_one(".pager a[rel=prev]")["href"] == "/catalog/products?q=microsoft"
    assert html.select_one(".pager a[rel=prev]")["hx-push-url"] == "true"


def test_withdrawn_products_leave_the_list(reseller_client, db):
    product = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_BASIC))
    product.available = False
    db.session.commit()
    assert "Microsoft 365 Business Basic" not in titles(reseller_client.get("/catalog/products?q=business"))


def test_annual_billing_off_hides_the_annual_billing_filters(reseller_client, db):
    annual_billing(db, False)
    page = soup(reseller_client.get("/catalog/products"))
    assert [o["value"] for o in page.select("#billing option")] == ["", "monthly"]


def cell(html, term, billing):
    return html.select_one(f".pricing-table td[data-term={term}][data-billing={billing}]")


def test_reseller_sees_cost_and_erp_price_in_the_pricing_table(reseller_client, db):
    response = reseller_client.get(f"/catalog/products/{BUSINESS_PREMIUM}")
    assert response.status_code == 200
    html = soup(response)
    assert html.select_one("h1").get_text() == "Microsoft 365 Business Premium"
    assert html.select_one("#pricing-heading").get_text() == "Pricing"
    table = html.select_one(".pricing-table")
    assert [th.get_text(strip=True) for th in table.select("thead th")] == \
        ["Term", "Monthly billing", "Annual billing", "Triennial billing"]
    assert [th.get_text(strip=True) for th in table.select("tbody th")] == ["1 month", "1 year", "3 years"]
    entry = db.session.scalar(db.select(PriceListEntry).where(
        PriceListEntry.market == "US", PriceListEntry.product_id == BUSINESS_PREMIUM,
        PriceListEntry.term_duration == "P1Y", PriceListEntry.billing_plan == "monthly"))
    one_year = cell(html, "P1Y", "monthly")
    assert one_year.select_one(".price-cost").get_text(strip=True) == f"Your cost {entry.unit_price:,.2f} USD"
    assert one_year.select_one(".price-erp").get_text(strip=True) == "ERP 22.00 USD"
    assert cell(html, "P1M", "annual").get_text(strip=True) == "Not offered"
    caption = table.select_one("caption").get_text()
    assert "in USD" in caption and "Seats: 1 to 300" in caption


def test_direct_customer_sees_only_their_price(customer_client):
    html = soup(customer_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    one_year = cell(html, "P1Y", "monthly")
    assert one_year.select_one(".price-cost") is None
    assert one_year.select_one(".price-erp").get_text(strip=True) == "22.00 USD"
    assert cell(html, "P1Y", "annual").select_one(".price-erp").get_text(strip=True) == "264.00 USD"
    assert "Your cost" not in text_of(customer_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))


def test_annual_billing_off_hides_annual_and_triennial_columns(customer_client, db):
    annual_billing(db, False)
    html = soup(customer_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    assert [th.get_text(strip=True) for th in html.select(".pricing-table thead th")] == ["Term", "Monthly billing"]
    assert cell(html, "P1Y", "annual") is None and cell(html, "P3Y", "triennial") is None
    assert [o["value"] for o in html.select(f"#add-{BUSINESS_PREMIUM}-billing_plan option")] == ["monthly"]


def test_an_account_in_poland_sees_zloty_prices(customer_client, db):
    from app.accounts.models import Account

    account = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    account.country = "PL"
    db.session.commit()
    html = soup(customer_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    assert "in PLN" in html.select_one(".pricing-table caption").get_text()
    assert cell(html, "P1Y", "monthly").select_one(".price-erp").get_text(strip=True).endswith(" PLN")


def test_seat_limits_and_skus_are_shown(customer_client):
    html = soup(customer_client.get(f"/catalog/products/{FINANCE}"))
    assert "Seats: 20 to 10000" in html.select_one(".sku-list").get_text()
    assert html.select_one(f"#add-{FINANCE}-quantity")["value"] == "20"


def test_unknown_product_is_404_and_operator_sees_no_add_to_cart(operator_client):
    assert operator_client.get("/catalog/products/NOPE").status_code == 404
    html = soup(operator_client.get(f"/catalog/products/{BUSINESS_PREMIUM}"))
    assert html.select_one("form.add-to-cart") is None
    assert cell(html, "P1Y", "monthly").select_one(".price-cost") is not None


def test_catalog_pages_need_sign_in(client):
    response = client.get("/catalog/products")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_search_filters_are_drawn_once_for_each_selection_and_show_it(reseller_client):
    """The filters' markup is kept per choices and selection (app/catalog/routes.py, _search_filters): each selection
    shows as chosen, and the same selection draws the same filters again."""
    from app.catalog import routes

    routes._SEARCH_FILTERS.clear()
    teams = soup(reseller_client.get("/catalog/products?family=Teams"))
    monthly = soup(reseller_client.get("/catalog/products?term=P1M"))
    again = soup(reseller_client.get("/catalog/products?family=Teams"))
    assert teams.select_one("#family option[selected]")["value"] == "Teams"
    assert teams.select_one("#term option[selected]") is None
    assert monthly.select_one("#term option[selected]")["value"] == "P1M"
    assert monthly.select_one("#family option[selected]") is None
    assert str(again.select_one("form.search-form")) == str(teams.select_one("form.search-form"))
    assert len(routes._SEARCH_FILTERS) == 2


def test_the_kept_search_filters_are_the_ones_the_search_form_draws(demo, db):
    """Whatever is asked (a family, a term, twice, unknown, escaped, none), the filters kept for its key are the
    ones the search form draws for that request."""
    from flask import current_app

    from app.accounts.models import User
    from app.catalog import routes
    from app.catalog.pricing import viewer_for

    user = db.session.scalar(db.select(User).where(User.email == "customer@example.com"))
    viewer = viewer_for(user)
    families = ["Office", "Teams", '<b>"x']
    queries = ["", "?family=Teams", "?family=Teams&family=Office", "?family=Office&family=Teams", "?term=P1M&billing=annual",
               "?term=nope", "?family=%3Cb%3E%22x&billing=monthly", "?q=teams&term=P3Y", "?family=", "?billing=annual"]
    routes._SEARCH_FILTERS.clear()
    for _ in range(2):  # drawn, then kept
        for query in queries:
            with demo.test_request_context("/catalog/products" + query):
                form = routes._search_form(viewer, families)
                fresh = current_app.jinja_env.get_template("catalog/_search_filters.html").render(
                    fields=(form.family, form.term, form.billing), url="/catalog/products")
                assert routes._search_filters(viewer, families) == fresh, query
