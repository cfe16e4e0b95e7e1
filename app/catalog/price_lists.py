"""Price lists: which markets' lists a viewer may read, a page of entries, and the CSV download."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from app.catalog.models import PriceList, PriceListEntry
from app.catalog.pricing import Viewer
from app.catalog.terms import billing_label
from app.extensions import db
from app.web.csv_export import csv_stream


def price_lists_for(viewer: Viewer) -> list[PriceList]:
    stmt = select(PriceList).order_by(PriceList.market)
    if viewer.kind != "operator":
        stmt = stmt.where(PriceList.market == viewer.market)
    return list(db.session.scalars(stmt))


def may_see_price_list(viewer: Viewer, market: str) -> bool:
    return viewer.kind == "operator" or market == viewer.market


PAGE_SIZE = 50  # price list entries a page


def price_list_query(viewer: Viewer, market: str, q: str = ""):
    stmt = select(PriceListEntry).where(PriceListEntry.market == market)
    if viewer.kind != "operator":
        stmt = stmt.where(PriceListEntry.billing_plan.in_(viewer.billing_plans))
    for word in q.split()[:8]:
        pattern = f"%{word}%"
        stmt = stmt.where(PriceListEntry.product_title.ilike(pattern) | PriceListEntry.sku_title.ilike(pattern)
                          | PriceListEntry.product_id.ilike(pattern))
    return stmt.order_by(PriceListEntry.product_title, PriceListEntry.sku_id, PriceListEntry.term_duration,
                         PriceListEntry.billing_plan, PriceListEntry.id)


def price_list_csv(viewer: Viewer, market: str, q: str = "") -> Iterator[str]:
    """The viewer's price list as CSV, streamed (the documented columns the viewer may see)."""
    columns = ["ProductTitle", "ProductId", "SkuId", "SkuTitle", "UnitOfMeasure", "TermDuration", "BillingPlan",
               "Market", "Currency"] + (["UnitPrice"] if viewer.sees_cost else []) + [
        "PricingTierRangeMin", "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "ERP Price"]
    stmt = price_list_query(viewer, market, q).execution_options(yield_per=1000)

    def rows():
        for e in db.session.scalars(stmt):
            values = {"ProductTitle": e.product_title, "ProductId": e.product_id, "SkuId": e.sku_id,
                      "SkuTitle": e.sku_title, "UnitOfMeasure": e.unit_of_measure, "TermDuration": e.term_duration,
                      "BillingPlan": billing_label(e.billing_plan), "Market": e.market, "Currency": e.currency,
                      "UnitPrice": f"{e.unit_price:.2f}", "PricingTierRangeMin": e.tier_min or "",
                      "PricingTierRangeMax": e.tier_max or "",
                      "EffectiveStartDate": e.effective_start.strftime("%Y-%m-%dT%H:%M:%SZ") if e.effective_start else "",
                      "EffectiveEndDate": e.effective_end.strftime("%Y-%m-%dT%H:%M:%SZ") if e.effective_end else "",
                      "ERP Price": f"{e.erp_price:.2f}"}
            yield [values[c] for c in columns]

    return csv_stream(columns, rows())

