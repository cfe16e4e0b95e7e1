"""Catalog resources and the price sheet."""
from __future__ import annotations

import csv
import io

from tests.sandbox.sandbox_support import BUSINESS_PREMIUM

COLUMNS = ["ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
           "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
           "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price"]


def test_products_collection(pc_app_only):
    response = pc_app_only.get("/v1/products", params={"country": "US", "targetView": "OnlineServices"})
    assert response.status_code == 200
    body = response.json()
    assert body["attributes"] == {"objectType": "Collection"}
    assert body["totalCount"] == len(body["items"]) >= 40
    titles = {p["title"] for p in body["items"]}
    for family in ("Microsoft 365", "Office 365", "Dynamics 365", "Teams", "Exchange", "Power BI", "Visio"):
        assert any(family in t for t in titles), family
    premium = next(p for p in body["items"] if p["id"] == BUSINESS_PREMIUM)
    assert premium["title"] == "Microsoft 365 Business Premium"
    assert premium["productType"] == {"id": "OnlineServices", "displayName": "OnlineServices"}
    assert premium["publisherName"] == "Microsoft Corporation"
    assert pc_app_only.get("/v1/products", params={"targetView": "OnlineServices"}).status_code == 400


def test_skus_and_availabilities(pc_app_only):
    skus = pc_app_only.get(f"/v1/products/{BUSINESS_PREMIUM}/skus", params={"country": "US"}).json()
    sku = skus["items"][0]
    assert sku["id"] == "0001"
    assert (sku["minimumQuantity"], sku["maximumQuantity"]) == (1, 300)
    assert sku["isTrial"] is False
    assert set(sku["supportedBillingCycles"]) == {"monthly", "annual", "triennial"}

    us = pc_app_only.get(f"/v1/products/{BUSINESS_PREMIUM}/skus/0001/availabilities",
                         params={"country": "US"}).json()["items"][0]
    product_id, sku_id, availability_id = us["catalogItemId"].split(":")
    assert (product_id, sku_id, availability_id) == (BUSINESS_PREMIUM, "0001", us["id"])
    assert us["defaultCurrency"]["code"] == "USD"
    terms = {(t["duration"], t["billingCycle"]) for t in us["terms"]}
    assert terms == {("P1M", "monthly"), ("P1Y", "monthly"), ("P1Y", "annual"), ("P3Y", "monthly"),
                     ("P3Y", "annual"), ("P3Y", "triennial")}
    pl = pc_app_only.get(f"/v1/products/{BUSINESS_PREMIUM}/skus/0001/availabilities",
                         params={"country": "PL"}).json()["items"][0]
    assert pl["defaultCurrency"]["code"] == "PLN"

    e3 = pc_app_only.get("/v1/products/CFQ7TTC0LFLX/skus", params={"country": "US"}).json()["items"][0]
    assert e3["maximumQuantity"] == 10000
    assert pc_app_only.get("/v1/products/CFQ7TTC0XXXX/skus/0001", params={"country": "US"}).status_code == 404


def _sheet(pc, market: str, **params):
    path = f"/v1.0/sales/pricesheets(Market='{market}',PricesheetView='updatedlicensebased')/$value"
    return pc.get(path, params=params or None)


def test_price_sheet_columns_and_prices(partner_api):
    response = _sheet(partner_api, "US", timeline="current")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == COLUMNS
    rows = list(reader)
    assert len(rows) > 100
    assert {r["Market"] for r in rows} == {"US"}
    assert {r["Currency"] for r in rows} == {"USD"}
    premium = {(r["TermDuration"], r["BillingPlan"]): r for r in rows
               if r["ProductId"] == BUSINESS_PREMIUM and r["SkuId"] == "0001"}
    assert premium[("P1Y", "Monthly")]["ERP Price"] == "22.00"
    assert premium[("P1Y", "Annual")]["ERP Price"] == "264.00"
    assert premium[("P1M", "Monthly")]["ERP Price"] == "26.40"
    unit = float(premium[("P1Y", "Monthly")]["UnitPrice"])
    assert 20.0 < unit < 22.0
    assert premium[("P1Y", "Monthly")]["Publisher"] == "Microsoft Corporation"


def test_price_sheet_for_poland_and_other_timelines(partner_api):
    pc = partner_api
    rows = list(csv.DictReader(io.StringIO(_sheet(pc, "PL").text)))
    assert {r["Currency"] for r in rows} == {"PLN"}
    current_start = rows[0]["EffectiveStartDate"]
    history = list(csv.DictReader(io.StringIO(_sheet(pc, "PL", timeline="history").text)))
    future = list(csv.DictReader(io.StringIO(_sheet(pc, "PL", timeline="future").text)))
    assert history[0]["EffectiveStartDate"] < current_start < future[0]["EffectiveStartDate"]


def test_price_sheet_is_app_user_only_and_knows_its_markets(partner_api, partner_api_app_only):
    refused = _sheet(partner_api_app_only, "US")
    assert refused.status_code == 403
    assert "can't be accessed by application credentials" in refused.json()["description"]
    assert _sheet(partner_api, "XX").status_code == 400


def test_price_sheet_wants_a_token_for_the_partner_api_and_partner_center_refuses_it(pc, partner_api, http):
    from tests.sandbox.sandbox_support import PARTNER_API, PartnerCenter

    # A Partner Center token (audience api.partnercenter.microsoft.com) is refused by the Partner API.
    wrong = _sheet(PartnerCenter(http, pc.token, base=PARTNER_API), "US")
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    response = _sheet(partner_api, "US")
    assert response.status_code == 200
    assert response.text.splitlines()[0] == ",".join(COLUMNS)
    # ... and the other way round.
    assert PartnerCenter(http, partner_api.token).get("/v1/profiles/mpn").status_code == 401
