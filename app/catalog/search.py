"""Finding products: the search with its filters, one page at a time, and one product by id."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, case, column, exists, false, func, select, text
from sqlalchemy.orm import selectinload

from app.catalog.models import SEARCH_DOCUMENT, Offer, OfferTerm, PriceListEntry, Product, Sku
from app.catalog.pricing import Viewer
from app.extensions import db
from app.web.query import ListPage, SearchState, page_of

# Partner Center reports every licence product as productType OnlineServices, so the family the
# catalog filters on comes from the title. First match wins; order matters.
FAMILIES = [
    ("dynamics 365", "Dynamics 365"), ("office 365", "Office 365"), ("exchange", "Exchange"),
    ("teams", "Teams"), ("power bi", "Power BI"), ("power apps", "Power Platform"),
    ("power automate", "Power Platform"), ("visio", "Visio"), ("project", "Project"),
    ("windows", "Windows"), ("microsoft 365", "Microsoft 365"), ("defender", "Microsoft 365"),
    ("entra", "Microsoft 365"), ("intune", "Microsoft 365"), ("onedrive", "Microsoft 365"),
    ("sharepoint", "Microsoft 365"),
]


def family_for(title: str) -> str:
    lowered = (title or "").lower()
    for needle, family in FAMILIES:
        if needle in lowered:
            return family
    return "Other"


DYNAMICS = "Dynamics 365"


def is_dynamics(title: str | None) -> bool:
    """A Dynamics 365 product (its family, from its title): the one rule for "Dynamics" everywhere
    (Power Platform shortcuts, Dynamics 365 instances)."""
    return family_for(title or "") == DYNAMICS


def search_text(product: Product) -> str:
    """What the search looks in: the product's and its SKUs' ids and titles, and its family, lower-cased."""
    parts = [product.product_id, product.title, product.family]
    for sku in product.skus:
        parts += [sku.sku_id, sku.title]
    return " ".join(p for p in parts if p).lower()


@dataclass
class Filters(SearchState):
    family: str = ""
    term: str = ""
    billing: str = ""


PAGE_SIZE = 20


def _offered_in(market: str, term: str = "", billing: str = ""):
    """EXISTS: the product has an available SKU offered in `market` (on `term`/`billing` if given)."""
    sub = (select(Offer.id).join(Sku, Sku.id == Offer.sku_pk)
           .where(Sku.product_pk == Product.id, Sku.available.is_(True), Offer.country == market,
                  Offer.available.is_(True)))
    if term or billing:
        sub = sub.join(OfferTerm, OfferTerm.offer_pk == Offer.id)
        if term:
            sub = sub.where(OfferTerm.term_duration == term)
        if billing:
            sub = sub.where(OfferTerm.billing_plan == billing)
    return exists(sub)


# A word as both full-text indexes split text: letters and digits; everything else separates words.
WORD = re.compile(r"[^\W_]+")


def words_of(phrase: str) -> list[str]:
    """The words typed, at most eight: only letters and digits, so no quote, `*`, `:`, `&`, `NEAR(`
    or other operator of FTS5 or tsquery syntax reaches the database's query parser."""
    return WORD.findall(phrase.lower())[:8]


def matches_words(words: list[str]):
    """WHERE: the product's search text has a word starting with each of `words` (a product id, a
    SKU id, "busi prem" for Business Premium), answered by the database's full-text index."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Each word a prefix (`busi:*`), all required; the document is the index's expression.
        return text(f"{SEARCH_DOCUMENT} @@ to_tsquery('simple', :tsquery)").bindparams(
            tsquery=" & ".join(f"{word}:*" for word in words))
    # FTS5: each word a quoted prefix ("busi"*), all required (implicit AND).
    fts = (text("SELECT rowid FROM catalog_products_fts WHERE catalog_products_fts MATCH :match")
           .bindparams(match=" ".join(f'"{word}"*' for word in words)).columns(column("rowid", Integer)))
    return Product.id.in_(fts)


def search_products(viewer: Viewer, filters: Filters, page_size: int = PAGE_SIZE) -> ListPage[Product]:
    stmt = select(Product).where(Product.available.is_(True))
    phrase = " ".join(filters.q.lower().split())
    if phrase:
        words = words_of(phrase)
        # Text with no letter or digit in it (`"*:`) matches nothing, as it did before the index.
        stmt = stmt.where(matches_words(words) if words else false())
    if filters.family:
        stmt = stmt.where(Product.family == filters.family)
    billing = filters.billing if filters.billing in viewer.billing_plans else ""
    stmt = stmt.where(_offered_in(viewer.market, filters.term, billing))
    return page_of(
        # Titles that hold the words as typed come first ("business premium": M365 Business Premium
        # before Dynamics 365 Business Central Premium), then alphabetical.
        stmt.order_by(*([case((Product.search_text.contains(phrase, autoescape=True), 0), else_=1)] if phrase else []),
                      Product.title, Product.id)
        # Only the viewer's market: the list needs nothing else, and every loaded object costs time.
        .options(selectinload(Product.skus).selectinload(Sku.offers.and_(Offer.country == viewer.market))
                 .selectinload(Offer.terms)), filters.page, page_size)


def from_prices(viewer: Viewer, products: list[Product]) -> dict[str, dict]:
    """The lowest monthly prices of each of `products` in the viewer's market that has any:
    {product id: {"currency", "cost", "erp"}}."""
    ids = [p.product_id for p in products]
    prices: dict[str, dict] = {}
    if ids:
        for pid, currency, cost, erp in db.session.execute(
                select(PriceListEntry.product_id, PriceListEntry.currency, func.min(PriceListEntry.unit_price),
                       func.min(PriceListEntry.erp_price))
                .where(PriceListEntry.market == viewer.market, PriceListEntry.product_id.in_(ids),
                       PriceListEntry.billing_plan == "monthly")
                .group_by(PriceListEntry.product_id, PriceListEntry.currency)):
            prices[pid] = {"currency": currency, "cost": Decimal(cost), "erp": Decimal(erp)}
    return prices


def product_families() -> list[str]:
    """The families of the products on sale, for the search form's Family choice."""
    return list(db.session.scalars(select(Product.family).where(Product.available.is_(True))
                                   .distinct().order_by(Product.family)))



def find_product(product_id: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.product_id == product_id)
                             .options(selectinload(Product.skus).selectinload(Sku.offers).selectinload(Offer.terms)))
