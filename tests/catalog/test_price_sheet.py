"""Importing the monthly price sheet: streaming, malformed rows reported by number, changes."""
from __future__ import annotations

import csv

import pytest

from app.catalog.price_sheet import PRICE_SHEET_COLUMNS, import_price_sheet_file
from app.catalog.sync import new_sync
from app.catalog.models import PriceList, PriceListEntry
from tests.support.catalog import BUSINESS_PREMIUM
from tests.helpers import soup

COLUMNS = PRICE_SHEET_COLUMNS


def row(**overrides):
    values = {"ProductTitle": "Microsoft 365 Business Premium", "ProductId": BUSINESS_PREMIUM, "SkuId": "0001",
              "SkuTitle": "Microsoft 365 Business Premium", "Publisher": "Microsoft Corporation",
              "SkuDescription": "Premium", "UnitOfMeasure": "1 License", "TermDuration": "P1Y",
              "BillingPlan": "Monthly", "Market": "US", "Currency": "USD", "UnitPrice": "20.90",
              "PricingTierRangeMin": "", "PricingTierRangeMax": "", "EffectiveStartDate": "2025-01-01T00:00:00Z",
              "EffectiveEndDate": "2025-01-31T23:59:59Z", "Tags": "", "ERP Price": "22.00"}
    values.update(overrides)
    return values


def write_sheet(path, rows, columns=COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for r in rows:
            if isinstance(r, str):
                fh.write(r + "\r\n")
            else:
                writer.writerow({k: v for k, v in r.items() if k in columns})
    return str(path)


def entries(db, market="ZZ"):
    return {(e.product_id, e.sku_id, e.term_duration, e.billing_plan): e for e in db.session.scalars(
        db.select(PriceListEntry).where(PriceListEntry.market == market))}


def test_a_malformed_row_is_reported_by_number_and_everything_else_imports(app, db, tmp_path):
    path = write_sheet(tmp_path / "sheet.csv", [
        row(Market="ZZ", Currency="ZZD"),                                          # row 2
        row(Market="ZZ", Currency="ZZD", TermDuration="P3Y", UnitPrice="abc"),     # row 3: bad price
        row(Market="ZZ", Currency="ZZD", TermDuration="P2Y", SkuId="0002"),        # row 4: bad term
        "CFQ7TTC0LCHC,only,three",                                                 # row 5: short row
        row(Market="ZZ", Currency="ZZD", BillingPlan="Annual", UnitPrice="250.80", **{"ERP Price": "264.00"}),
        row(Market="ZZ", Currency="ZZD", EffectiveStartDate="yesterday", SkuId="0003"),  # row 7
        row(Market="ZZ", Currency="ZZD"),                                          # row 8: repeats row 2
    ])
    sync = import_price_sheet_file(path, new_sync("import"))
    assert sync.status == "finished"
    assert sync.errors == [
        "Row 3: UnitPrice 'abc' is not a number.",
        "Row 4: TermDuration 'P2Y' is not P1M, P1Y or P3Y.",
        "Row 5: it has a different number of columns than the header (18).",
        "Row 7: EffectiveStartDate 'yesterday' is not a date like 2025-01-01T00:00:00Z.",
        "Row 8: it repeats row 2 (same product, SKU, term, billing plan and tier); the price of row 2 is kept.",
    ]
    imported = entries(db)
    assert set(imported) == {(BUSINESS_PREMIUM, "0001", "P1Y", "monthly"), (BUSINESS_PREMIUM, "0001", "P1Y", "annual")}
    annual = imported[(BUSINESS_PREMIUM, "0001", "P1Y", "annual")]
    assert (float(annual.unit_price), float(annual.erp_price)) == (250.80, 264.00)
    assert annual.effective_start.isoformat() == "2025-01-01T00:00:00"
    price_list = db.session.scalar(db.select(PriceList).where(PriceList.market == "ZZ"))
    assert price_list.currency == "ZZD" and price_list.entry_count == 2
    assert sync.rows_processed == sync.rows_total == 7
    assert sync.prices_imported == 2


def test_the_admin_page_shows_row_problems_in_plain_words(operator_client, db, tmp_path):
    path = write_sheet(tmp_path / "sheet.csv", [row(Market="ZZ", Currency="ZZD", UnitPrice="-3")])
    sync = import_price_sheet_file(path, new_sync("import"))
    page = operator_client.get(f"/admin/catalog/syncs/{sync.id}")
    assert "Row 2: UnitPrice -3 is negative." in [li.get_text() for li in soup(page).select(".sync-errors li")]


def test_a_sheet_without_the_documented_columns_imports_nothing(app, db, tmp_path):
    columns = [c for c in COLUMNS if c != "ERP Price"]
    path = write_sheet(tmp_path / "sheet.csv", [row(Market="ZZ")], columns=columns)
    sync = import_price_sheet_file(path, new_sync("import"))
    assert sync.errors == ["The price sheet is missing the columns ERP Price. Nothing was imported from it."]
    assert entries(db) == {}


def test_reimport_updates_changed_prices_and_drops_rows_no_longer_listed(app, db, tmp_path):
    first = write_sheet(tmp_path / "one.csv", [row(Market="ZZ", Currency="ZZD"),
                                               row(Market="ZZ", Currency="ZZD", BillingPlan="Annual")])
    import_price_sheet_file(first, new_sync("import"))
    second = write_sheet(tmp_path / "two.csv", [row(Market="ZZ", Currency="ZZD", UnitPrice="19.99")])
    sync = import_price_sheet_file(second, new_sync("import"))
    assert sync.errors == []
    db.session.expire_all()
    now = entries(db)
    assert set(now) == {(BUSINESS_PREMIUM, "0001", "P1Y", "monthly")}
    assert float(now[(BUSINESS_PREMIUM, "0001", "P1Y", "monthly")].unit_price) == 19.99


def test_a_product_in_the_catalog_counts_as_changed_when_its_price_changes(demo, db, tmp_path):
    current = db.session.scalars(db.select(PriceListEntry).where(PriceListEntry.market == "US")).all()
    rows = [row(ProductId=e.product_id, SkuId=e.sku_id, TermDuration=e.term_duration,
                BillingPlan=e.billing_plan.capitalize(), UnitPrice=f"{e.unit_price:.2f}",
                EffectiveStartDate=e.effective_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                EffectiveEndDate=e.effective_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ProductTitle=e.product_title, SkuTitle=e.sku_title, **{"ERP Price": f"{e.erp_price:.2f}"})
            for e in current]
    same = import_price_sheet_file(write_sheet(tmp_path / "same.csv", rows), new_sync("import"),
                                            market="US")
    assert (same.added, same.changed, same.withdrawn, same.errors) == (0, 0, 0, [])
    premium = next(r for r in rows if r["ProductId"] == BUSINESS_PREMIUM)
    premium["UnitPrice"] = "1.00"
    sync = import_price_sheet_file(write_sheet(tmp_path / "us.csv", rows), new_sync("import"),
                                            market="US")
    assert (sync.added, sync.changed, sync.withdrawn) == (0, 1, 0)


@pytest.mark.parametrize("market,message", [("PL", "Row 2: Market US does not belong in the PL price sheet.")])
def test_rows_of_another_market_are_refused(app, db, tmp_path, market, message):
    path = write_sheet(tmp_path / "sheet.csv", [row()])
    sync = import_price_sheet_file(path, new_sync("import"), market=market)
    assert sync.errors == [message]
