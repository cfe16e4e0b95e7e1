"""Contract: products, SKUs, availabilities and the streamed NCE price sheet."""

import pytest

from app.partner_center import PartnerCenterError

PRICE_COLUMNS = [
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
]


def test_products_skus_availabilities(pc_client, sbx_store):
    products = pc_client.list_products("us")
    assert products and all(p.id and p.title for p in products)
    assert sbx_store.calls(path="/v1/products")[0]["query"] == "country=US&targetView=OnlineServices"
    product = products[0]
    skus = pc_client.list_skus(product.id, "US")
    assert skus and skus[0].product_id == product.id
    assert skus[0].minimum_quantity >= 1 and skus[0].maximum_quantity >= skus[0].minimum_quantity
    avails = pc_client.list_availabilities(product.id, skus[0].id, "US")
    avail = avails[0]
    assert avail.catalog_item_id.count(":") == 2
    assert avail.catalog_item_id.startswith(f"{product.id}:{skus[0].id}:")
    assert avail.currency_code == "USD"
    assert {t.duration for t in avail.terms} >= {"P1Y"}
    assert all(t.billing_cycle for t in avail.terms)


def test_unknown_product_is_an_error(pc_client):
    with pytest.raises(PartnerCenterError) as info:
        pc_client.list_skus("NOPE", "US")
    assert info.value.status == 404


def test_price_sheet_streamed_rows(pc_client, sbx_store):
    with pc_client.price_sheet("us") as rows:
        first = next(rows)
        assert list(first) == PRICE_COLUMNS
        rest = list(rows)
    assert first["Market"] == "US" and first["Currency"] == "USD"
    assert float(first["UnitPrice"]) > 0
    assert len(rest) > 10
    call = sbx_store.calls(path_prefix="/v1.0/sales/")[0]
    assert call["path"] == "/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value"
    assert call["query"] == "timeline=current"
    assert call["host"] == "api.partner.microsoft.com"


def test_price_sheet_generator_and_market(pc_client):
    rows = pc_client.iter_price_sheet("PL", timeline="future")
    assert next(rows)["Currency"] == "PLN"
    rows.close()
    with pytest.raises(PartnerCenterError) as info:
        with pc_client.price_sheet("ZZ"):
            pass
    assert info.value.status == 400
