"""Pricing for a viewer: the market an account buys in, which prices and billing plans it sees,
and the price of each SKU on each term and billing plan."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select

from app.accounts.markets import DEFAULT_MARKET, MARKET_NAMES, MARKETS, market_for  # noqa: F401 (the catalog's names)
from app.admin import settings_cache
from app.catalog.models import Offer, PriceListEntry, Product, Sku
from app.catalog.terms import BILLING_PLANS, TERMS
from app.extensions import db


def allowed_billing_plans(annual_billing: bool) -> list[str]:
    return list(BILLING_PLANS) if annual_billing else ["monthly"]


@dataclass
class Viewer:
    """Who is looking: decides the market, which prices show, and which billing plans are offered."""

    kind: str  # operator, reseller, customer
    market: str
    annual_billing: bool = True

    @property
    def currency(self) -> str:
        return MARKETS.get(self.market, "USD")

    @property
    def sees_cost(self) -> bool:
        return self.kind in ("reseller", "operator")

    @property
    def billing_plans(self) -> list[str]:
        return allowed_billing_plans(self.annual_billing)

    def pays(self, entry: PriceListEntry) -> Decimal:
        """What this viewer pays per seat and billing period: resellers their cost, customers the ERP price."""
        return entry.unit_price if self.kind in ("reseller", "operator") else entry.erp_price


def viewer_for(user) -> Viewer:
    return Viewer(kind=user.account.kind, market=market_for(user.account),
                  annual_billing=settings_cache.current().annual_billing)


@dataclass
class PriceCell:
    term: str
    billing: str
    entry: PriceListEntry | None
    offered: bool


@dataclass
class SkuPricing:
    sku: Sku
    offer: Offer | None
    terms: list[str]
    billing_plans: list[str]
    cells: dict[tuple[str, str], PriceCell]
    currency: str

    @property
    def options(self) -> list[tuple[str, str]]:
        """(term, billing) pairs that can go in the cart: offered and priced."""
        return [k for k, c in self.cells.items() if c.offered and c.entry is not None]


def sku_offer(sku: Sku, market: str) -> Offer | None:
    return next((o for o in sku.offers if o.country == market and o.available), None)


def sku_pricing(viewer: Viewer, product: Product) -> list[SkuPricing]:
    """The Pricing table of each available SKU: term rows by billing plan columns, for this viewer."""
    return pricing_for(viewer, [product])[product.product_id]


def pricing_for(viewer: Viewer, products: list[Product]) -> dict[str, list[SkuPricing]]:
    """Pricing of several products with one query for their prices (the product list shows 20 at once)."""
    entries: dict[tuple[str, str, str, str], PriceListEntry] = {}
    ids = [p.product_id for p in products]
    if ids:
        for entry in db.session.scalars(select(PriceListEntry).where(
                PriceListEntry.market == viewer.market, PriceListEntry.product_id.in_(ids))
                .order_by(PriceListEntry.tier_min.desc())):
            entries[(entry.product_id, entry.sku_id, entry.term_duration, entry.billing_plan)] = entry
    result: dict[str, list[SkuPricing]] = {}
    for product in products:
        rows = result[product.product_id] = []
        for sku in product.skus:
            if not sku.available:
                continue
            offer = sku_offer(sku, viewer.market)
            if offer is None:
                continue
            offered = {(t.term_duration, t.billing_plan) for t in offer.terms}
            plans = [b for b in viewer.billing_plans if any(ob == b for _, ob in offered)]
            terms = [t for t in TERMS if any(ot == t and ob in plans for ot, ob in offered)]
            cells = {}
            for t in terms:
                for b in plans:
                    cells[(t, b)] = PriceCell(t, b, entries.get((product.product_id, sku.sku_id, t, b)),
                                              (t, b) in offered)
            rows.append(SkuPricing(sku, offer, terms, plans, cells, offer.currency))
    return result


# Built once: the cart asks it for every line on every page.
_PRICE_ENTRY = select(PriceListEntry).where(
    PriceListEntry.market == bindparam("market"), PriceListEntry.product_id == bindparam("product_id"),
    PriceListEntry.sku_id == bindparam("sku_id"), PriceListEntry.term_duration == bindparam("term"),
    PriceListEntry.billing_plan == bindparam("billing")).order_by(PriceListEntry.tier_min).limit(1)


def price_entry(market: str, sku: Sku, term: str, billing: str) -> PriceListEntry | None:
    return db.session.scalar(_PRICE_ENTRY, {"market": market, "product_id": sku.product.product_id,
                                            "sku_id": sku.sku_id, "term": term, "billing": billing})

