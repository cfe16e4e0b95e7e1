"""Catalog > Price lists: read-only, the lists that apply to the viewer, search, CSV download."""
from __future__ import annotations

import csv
import io

from tests.helpers import soup


def test_buyers_see_the_price_list_of_their_market_only(reseller_client, customer_client):
    index = soup(reseller_client.get("/catalog/price-lists"))
    assert index.select_one("h1").get_text() == "Price lists"
    assert [a.get_text() for a in index.select("tbody td:first-child a")] == ["United States (US)"]
    assert reseller_client.get("/catalog/price-lists/PL").status_code == 403
    assert customer_client.get("/catalog/price-lists/PL/download.csv").status_code == 403
    assert reseller_client.get("/catalog/price-lists/XX").status_code == 404


def test_operator_sees_every_price_list(operator_client):
    index = soup(operator_client.get("/catalog/price-lists"))
    assert [a.get_text() for a in index.select("tbody td:first-child a")] == ["Poland (PL)", "United States (US)"]
    assert operator_client.get("/catalog/price-lists/PL").status_code == 200


def test_search_as_page_and_fragment(reseller_client):
    page = reseller_client.get("/catalog/price-lists/US?q=business+premium")
    html = soup(page)
    products = {td.get_text(" ", strip=True).split(" CFQ")[0] for td in html.select(".price-list-table tbody td:first-child")}
    assert products == {"Microsoft 365 Business Premium", "Dynamics 365 Business Central Premium"}
    assert [th.get_text() for th in html.select(".price-list-table thead th")][4:6] == ["Unit price", "ERP price"]
    fragment = reseller_client.get("/catalog/price-lists/US?q=premium", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert soup(fragment).select_one("section#price-list-entries") is not None


def read_csv(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_download_has_cost_for_resellers_and_not_for_customers(reseller_client, customer_client):
    reseller = reseller_client.get("/catalog/price-lists/US/download.csv?q=business+premium")
    assert reseller.status_code == 200 and reseller.mimetype == "text/csv"
    assert 'filename="price-list-US-USD.csv"' in reseller.headers["Content-Disposition"]
    rows = read_csv(reseller)
    assert rows and all("Business" in r["ProductTitle"] for r in rows)
    assert {"UnitPrice", "ERP Price", "TermDuration", "BillingPlan", "Currency"} <= set(rows[0])
    customer = read_csv(customer_client.get("/catalog/price-lists/US/download.csv"))
    assert "UnitPrice" not in customer[0] and len(customer) > 100


def test_nobody_can_change_a_price_list_through_the_web(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/catalog/price-lists"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
