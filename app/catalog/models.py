"""Catalog models: what Microsoft sells (products, SKUs, offers per market), what it costs (price
lists from the monthly price sheet), each synchronisation run, and the buyers' carts.

Products and SKUs are never deleted: orders, subscriptions and carts keep pointing at them, so a
product Microsoft withdrew is marked unavailable (with the time) instead.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import DDL, JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.enums import LabelledEnum, labelled
from app.time import utcnow
from app.extensions import PkModel

class Product(PkModel):
    __tablename__ = "catalog_products"

    # Partner Center's product id, e.g. CFQ7TTC0LCHC.
    product_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    family: Mapped[str] = mapped_column(String(64), index=True)
    publisher: Mapped[str] = mapped_column(String(200), default="")
    # Lower-cased titles, ids and family of the product and its SKUs: one column to search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    available: Mapped[bool] = mapped_column(default=True, index=True)
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skus: Mapped[list["Sku"]] = relationship(back_populates="product", order_by="Sku.sku_id")

    def __repr__(self) -> str:
        return f"<Product {self.product_id} {self.title!r}>"


# The product search's full-text index over Product.search_text, kept outside the metadata: on SQLite
# it is an FTS5 virtual table (with shadow tables) and on PostgreSQL a GIN index on an expression,
# neither of which the models can declare for both databases. The migration creates the same objects;
# these listeners create them for `db.create_all()` (the tests, the benches). Triggers keep the SQLite
# table current whoever writes search_text (the sync, the demo, the benches); the PostgreSQL index is
# maintained by PostgreSQL itself. Punctuation counts as a space on both sides, as the FTS5 tokenizer
# treats it, so "10/11" or "2.1" are two words on PostgreSQL too (its parser would keep them whole).
SEARCH_INDEX_NAMES = ("catalog_products_fts", "ix_catalog_products_search")
SEARCH_DOCUMENT = "to_tsvector('simple', regexp_replace(search_text, '[[:punct:]]+', ' ', 'g'))"
_FTS = SEARCH_INDEX_NAMES[0]
# What a trigger does to the FTS5 table: index a row's new text, or take its old text out.
_INDEX_NEW = f"INSERT INTO {_FTS}(rowid, search_text) VALUES (new.id, new.search_text);"
_UNINDEX_OLD = f"INSERT INTO {_FTS}({_FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
_TRIGGERS = {  # name: (the write to catalog_products, what the trigger does)
    "insert": ("INSERT", (_INDEX_NEW,)),
    "delete": ("DELETE", (_UNINDEX_OLD,)),
    "update": ("UPDATE OF search_text", (_UNINDEX_OLD, _INDEX_NEW)),
}
SQLITE_SEARCH_INDEX = (
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(search_text, content='catalog_products', content_rowid='id')",
    *(f"CREATE TRIGGER {_FTS}_{name} AFTER {write} ON catalog_products BEGIN {' '.join(actions)} END"
      for name, (write, actions) in _TRIGGERS.items()),
    # Index the products already there.
    f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')",
)


def in_metadata(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: False for the search index's objects (the FTS5 table and the shadow
    tables FTS5 names after it, the GIN index), which the metadata does not describe on purpose."""
    return not (name and (name == SEARCH_INDEX_NAMES[1] or name.startswith(SEARCH_INDEX_NAMES[0])))


POSTGRESQL_SEARCH_INDEX = f"CREATE INDEX ix_catalog_products_search ON catalog_products USING gin ({SEARCH_DOCUMENT})"

for _statement in SQLITE_SEARCH_INDEX:
    event.listen(Product.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(Product.__table__, "after_create", DDL(POSTGRESQL_SEARCH_INDEX).execute_if(dialect="postgresql"))
# The triggers and the PostgreSQL index go with the table; the virtual table has to be dropped.
event.listen(Product.__table__, "after_drop",
             DDL("DROP TABLE IF EXISTS catalog_products_fts").execute_if(dialect="sqlite"))


class Sku(PkModel):
    __tablename__ = "catalog_skus"
    __table_args__ = (UniqueConstraint("product_pk", "sku_id", name="uq_catalog_skus_product_sku"),)

    product_pk: Mapped[int] = mapped_column(ForeignKey("catalog_products.id"), index=True)
    sku_id: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    min_quantity: Mapped[int] = mapped_column(default=1)
    max_quantity: Mapped[int] = mapped_column(default=10000)
    is_trial: Mapped[bool] = mapped_column(default=False)
    available: Mapped[bool] = mapped_column(default=True)
    withdrawn_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship(back_populates="skus")
    offers: Mapped[list["Offer"]] = relationship(back_populates="sku", order_by="Offer.country")


class Offer(PkModel):
    """A SKU's availability in one market: the catalog item id to order and the terms offered."""

    __tablename__ = "catalog_offers"
    __table_args__ = (UniqueConstraint("sku_pk", "country", name="uq_catalog_offers_sku_country"),)

    sku_pk: Mapped[int] = mapped_column(ForeignKey("catalog_skus.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    availability_id: Mapped[str] = mapped_column(String(32))
    # productId:skuId:availabilityId; it can change, so checkout reads it again before buying.
    catalog_item_id: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    is_purchasable: Mapped[bool] = mapped_column(default=True)
    available: Mapped[bool] = mapped_column(default=True)

    sku: Mapped[Sku] = relationship(back_populates="offers")
    terms: Mapped[list["OfferTerm"]] = relationship(back_populates="offer", cascade="all, delete-orphan",
                                                    order_by="OfferTerm.id")


class OfferTerm(PkModel):
    """One term and billing plan an offer can be bought on (P1Y billed monthly, ...)."""

    __tablename__ = "catalog_offer_terms"
    __table_args__ = (UniqueConstraint("offer_pk", "term_duration", "billing_plan",
                                       name="uq_catalog_offer_terms_offer_term_billing"),)

    offer_pk: Mapped[int] = mapped_column(ForeignKey("catalog_offers.id"), index=True)
    term_duration: Mapped[str] = mapped_column(String(8))
    billing_plan: Mapped[str] = mapped_column(String(16))

    offer: Mapped[Offer] = relationship(back_populates="terms")


class ProductLine:
    """Columns of a SKU on a term and billing plan, with the titles as they read then: a price sheet
    row, and an order line (which copies them when the order is placed)."""

    product_id: Mapped[str] = mapped_column(String(32))
    sku_id: Mapped[str] = mapped_column(String(16))
    product_title: Mapped[str] = mapped_column(String(300))
    sku_title: Mapped[str] = mapped_column(String(300))
    term_duration: Mapped[str] = mapped_column(String(8))
    billing_plan: Mapped[str] = mapped_column(String(16))


class PriceList(PkModel):
    """The price list of one market, from the monthly new-commerce price sheet."""

    __tablename__ = "price_lists"

    market: Mapped[str] = mapped_column(String(2), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    effective_start: Mapped[datetime | None]
    effective_end: Mapped[datetime | None]
    entry_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PriceListEntry(ProductLine, PkModel):
    """One row of the price sheet: the price of a SKU on a term and billing plan in a market.

    `unit_price` is the partner's cost (UnitPrice); `erp_price` the estimated retail price
    (ERP Price), which is what a customer pays.
    """

    __tablename__ = "price_list_entries"
    __table_args__ = (
        UniqueConstraint("market", "product_id", "sku_id", "term_duration", "billing_plan", "tier_min",
                         name="uq_price_list_entries_key"),
        Index("ix_price_list_entries_market_product", "market", "product_id"),
    )

    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), index=True)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    unit_of_measure: Mapped[str] = mapped_column(String(64), default="")
    # Tiered prices (PricingTierRangeMin/Max); 0 and None for the usual untiered row.
    tier_min: Mapped[int] = mapped_column(default=0)
    tier_max: Mapped[int | None]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    erp_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    effective_start: Mapped[datetime | None]
    effective_end: Mapped[datetime | None]
    tags: Mapped[str] = mapped_column(String(200), default="")


class SyncStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


# A run in one of these has not ended: it blocks a new one until it ends or misses its deadline.
OPEN_SYNC_STATUSES = (SyncStatus.QUEUED, SyncStatus.RUNNING)


class SyncTrigger(LabelledEnum):
    MANUAL = "manual"                                # the admin's button (or Retry on the stuck-work page)
    AUTOMATIC = "automatic", "Monthly (automatic)"   # the monthly run
    SEED = "seed", "Demo data"
    IMPORT = "import", "Price sheet file"


class CatalogSync(PkModel):
    """One synchronisation run. The job updates it as it goes; the admin page polls it."""

    __tablename__ = "catalog_syncs"

    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.QUEUED, index=True)
    trigger: Mapped[str] = mapped_column(String(16), default=SyncTrigger.MANUAL)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    rows_processed: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    prices_imported: Mapped[int] = mapped_column(default=0)
    # Plain-word problems, one per entry ("Row 12: UnitPrice 'abc' is not a number.").
    errors: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    # What a finished run found, by product ID: {"added": [...], "withdrawn": [...], "repriced":
    # {market: [...]}} (the accounts that follow catalog changes are told from it).
    changes: Mapped[dict | None] = mapped_column(JSON)

    requested_by: Mapped[User | None] = relationship()

    @property
    def done(self) -> bool:
        return self.status in (SyncStatus.FINISHED, SyncStatus.FAILED)

    status_label = labelled("status", SyncStatus)
    trigger_label = labelled("trigger", SyncTrigger)  # how the run was started: "Monthly (automatic)"

    @property
    def percent(self) -> int:
        if self.status == SyncStatus.FINISHED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_processed / self.rows_total))


class CartPurpose(StrEnum):
    CART = "cart"        # the buyer's cart, for several products
    BUY_NOW = "buy_now"  # the one product of a "Buy now", kept apart so the cart stays as it is


class Cart(PkModel):
    """A buyer's cart: one per user and purpose, kept in the database so it survives sign-out."""

    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("user_id", "purpose", name="uq_carts_user_id_purpose"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(16), default=CartPurpose.CART, server_default=CartPurpose.CART)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    lines: Mapped[list["CartLine"]] = relationship(back_populates="cart", cascade="all, delete-orphan",
                                                   order_by="CartLine.id")


class CartLine(PkModel):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "sku_pk", "term_duration", "billing_plan",
                                       name="uq_cart_lines_cart_sku_term_billing"),)

    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    sku_pk: Mapped[int] = mapped_column(ForeignKey("catalog_skus.id"), index=True)
    term_duration: Mapped[str] = mapped_column(String(8))
    billing_plan: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    sku: Mapped[Sku] = relationship()
