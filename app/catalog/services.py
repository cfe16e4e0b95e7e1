"""Catalog rules: synchronising from Partner Center, importing price sheets, finding products,
pricing them for a viewer, and the cart. No request and no templates here.
"""
from __future__ import annotations

import csv
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator

from sqlalchemy import case, delete, exists, func, insert, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import utcnow
from app.catalog.models import (BILLING_PLANS, TERMS, Cart, CartLine, CatalogSync, Offer, OfferTerm, PriceList,
                                PriceListEntry, Product, Sku)
from app.extensions import db
from app.partner_center.errors import PartnerCenterError
from app.web.csv_export import csv_stream

log = logging.getLogger(__name__)

# The storefront's markets: the account's country decides which one a viewer buys in.
MARKETS: dict[str, str] = {"US": "USD", "PL": "PLN"}
DEFAULT_MARKET = "US"
MARKET_NAMES = {"US": "United States", "PL": "Poland"}

# The documented columns of the new-commerce license-based price sheet.
PRICE_SHEET_COLUMNS = [
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
]
REQUIRED_COLUMNS = ("ProductId", "SkuId", "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice",
                    "ERP Price")

TERM_WORDS = {"P1M": "1-month", "P1Y": "1-year", "P3Y": "3-year"}
BILLING_WORDS = {"monthly": "monthly", "annual": "annually", "triennial": "every three years"}
PERIOD_WORDS = {"monthly": "month", "annual": "year", "triennial": "3 years"}

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

MAX_STORED_ERRORS = 200
BATCH_SIZE = 2000
FETCH_THREADS = 4


def market_for(account) -> str:
    country = (getattr(account, "country", None) or "").upper()
    return country if country in MARKETS else DEFAULT_MARKET


def family_for(title: str) -> str:
    lowered = (title or "").lower()
    for needle, family in FAMILIES:
        if needle in lowered:
            return family
    return "Other"


def term_label(term: str) -> str:
    return TERMS.get(term, term)


def billing_label(plan: str) -> str:
    return BILLING_PLANS.get(plan, plan)


def allowed_billing_plans(annual_billing: bool) -> list[str]:
    return list(BILLING_PLANS) if annual_billing else ["monthly"]


def describe_error(exc: Exception) -> str:
    """A Partner Center failure in plain words, for the operator."""
    if isinstance(exc, PartnerCenterError):
        if exc.status in (401, 403):
            what = "Partner Center refused the storefront's credentials"
        elif exc.status == 429:
            what = "Partner Center is throttling requests"
        elif exc.status is None:
            what = "Partner Center could not be reached"
        elif exc.status >= 500:
            what = "Partner Center had an internal error"
        else:
            what = "Partner Center rejected the request"
        detail = f" ({exc.description})" if exc.description else ""
        return f"{what}{detail}. Try again later; if it keeps happening, check Admin > Partner Center."
    return f"Unexpected error: {exc}"


# ---------------------------------------------------------------- progress and results


class Progress:
    """What a sync run found, written to its CatalogSync row as it goes so the admin page can poll it."""

    def __init__(self, sync: CatalogSync) -> None:
        self.sync = sync
        self.added: set[str] = set()
        self.changed: set[str] = set()
        self.withdrawn: set[str] = set()
        self.errors: list[str] = list(sync.errors or [])
        self.error_count = len(self.errors)
        self.prices = 0
        self._last_flush = 0.0

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(message)

    def row_error(self, row: int, reason: str) -> None:
        self.error(f"Row {row}: {reason}")

    def mark_changed(self, product_id: str) -> None:
        if product_id not in self.added and product_id not in self.withdrawn:
            self.changed.add(product_id)

    def step(self, n: int = 1) -> None:
        self.sync.rows_processed += n
        if self.sync.rows_processed > self.sync.rows_total:
            self.sync.rows_total = self.sync.rows_processed

    def save(self, *, force: bool = False) -> None:
        """Copy the counters to the row and commit (at most a few times a second)."""
        now = time.monotonic()
        if not force and now - self._last_flush < 0.5:
            return
        self._last_flush = now
        s = self.sync
        s.added, s.changed, s.withdrawn = len(self.added), len(self.changed), len(self.withdrawn)
        s.prices_imported = self.prices
        errors = list(self.errors)
        if self.error_count > len(errors):
            errors.append(f"… and {self.error_count - len(errors)} more problems like these.")
        s.errors = errors
        db.session.commit()


def new_sync(trigger: str = "manual", requested_by=None) -> CatalogSync:
    sync = CatalogSync(trigger=trigger, requested_by_id=getattr(requested_by, "id", None), status="queued",
                       errors=[])
    db.session.add(sync)
    db.session.commit()
    return sync


def active_sync() -> CatalogSync | None:
    return db.session.scalar(select(CatalogSync).where(CatalogSync.status.in_(("queued", "running")))
                             .order_by(CatalogSync.id.desc()).limit(1))


def latest_sync() -> CatalogSync | None:
    return db.session.scalar(select(CatalogSync).order_by(CatalogSync.id.desc()).limit(1))


# A run cannot outlive its job's timeout (one hour, app.catalog.jobs); one still queued or running
# after this long has nobody working on it (the worker stopped or died) and only blocks new runs.
SYNC_DEADLINE = timedelta(hours=2)
QUEUE_UNREACHABLE = "The job queue was not reachable; start the sync again."


def missed_sync_deadline(sync: CatalogSync, now: datetime | None = None) -> str | None:
    """Why a queued or running sync is stuck, in plain words, or None."""
    now = now or utcnow()
    hours = int(SYNC_DEADLINE.total_seconds() // 3600)
    if sync.status == "queued" and now - sync.created_at > SYNC_DEADLINE:
        return (f"No worker started the synchronisation within {hours} hours (is the worker running?); "
                "start the sync again.")
    if sync.status == "running" and now - (sync.started_at or sync.created_at) > SYNC_DEADLINE:
        return (f"The synchronisation did not finish within {hours} hours: the worker probably stopped while "
                "it ran. Start the sync again.")
    return None


def mark_sync_failed(sync: CatalogSync, message: str, now: datetime | None = None) -> None:
    sync.status = "failed"
    sync.finished_at = now or utcnow()
    sync.message = message
    db.session.flush()


def stuck_syncs(now: datetime | None = None, limit: int = 20) -> list[tuple[CatalogSync, str]]:
    """What the stuck-work page lists: queued or running syncs past their deadline, and failed syncs
    that no finished sync has superseded since. Reads only."""
    now = now or utcnow()
    last_finished = db.session.scalar(select(func.max(CatalogSync.id)).where(CatalogSync.status == "finished")) or 0
    rows = db.session.scalars(select(CatalogSync).where(
        CatalogSync.id > last_finished, CatalogSync.status.in_(("queued", "running", "failed")))
        .order_by(CatalogSync.id.desc()).limit(limit)).all()
    stuck = []
    for sync in rows:
        reason = sync.message if sync.status == "failed" else missed_sync_deadline(sync, now)
        if reason:
            stuck.append((sync, reason))
    return stuck


def _start(sync: CatalogSync) -> Progress:
    sync.status = "running"
    sync.started_at = utcnow()
    sync.rows_processed = 0
    sync.errors = []
    db.session.commit()
    return Progress(sync)


def _finish(progress: Progress, message: str | None = None) -> CatalogSync:
    sync = progress.sync
    sync.status = "finished"
    sync.finished_at = utcnow()
    sync.rows_total = max(sync.rows_total, sync.rows_processed)
    parts = [f"{len(progress.added)} added", f"{len(progress.changed)} changed",
             f"{len(progress.withdrawn)} withdrawn"]
    sync.message = message or ("Catalog synchronised: " + ", ".join(parts) + f"; {progress.prices} prices read.")
    progress.save(force=True)
    return sync


def _fail(sync_id: int, message: str) -> None:
    db.session.rollback()
    sync = db.session.get(CatalogSync, sync_id)
    sync.status = "failed"
    sync.finished_at = utcnow()
    sync.message = message
    db.session.commit()


# ---------------------------------------------------------------- synchronisation


def run_sync(sync: CatalogSync, client, markets: Iterable[str] | None = None) -> CatalogSync:
    """Synchronise products, SKUs and offers of `markets` from Partner Center, then their price sheets.

    Problems with one product or one price row are recorded and the rest carries on; only an
    unexpected failure fails the whole run (and then nothing half-done is withdrawn).
    """
    markets = [m.upper() for m in (markets or MARKETS)]
    sync_id = sync.id
    progress = _start(sync)
    # Progress is committed as the run goes; without this every commit would expire the catalog
    # loaded in the session and reload it product by product.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        sync_catalog(client, markets, progress)
        for market in markets:
            try:
                with client.price_sheet(market) as rows:
                    import_price_rows(rows, progress, market=market)
            except PartnerCenterError as exc:
                db.session.rollback()
                progress.error(f"The {market} price sheet could not be read: {describe_error(exc)}")
        return _finish(progress)
    except Exception as exc:  # the run is over; say why in plain words, keep the details in the log
        log.exception("catalog sync %s failed", sync_id)
        _fail(sync_id, f"The synchronisation stopped: {describe_error(exc)}")
        return db.session.get(CatalogSync, sync_id)
    finally:
        session.expire_on_commit = expire_on_commit


def _fetch_product(client, product, market: str):
    """SKUs and availabilities of one product in one market (runs in a thread: no database here)."""
    errors: list[str] = []
    try:
        skus = client.list_skus(product.id, market)
    except PartnerCenterError as exc:
        return product, None, [f"{product.title} ({product.id}), market {market}: its SKUs could not be read. "
                               f"{describe_error(exc)}"]
    out = []
    for sku in skus:
        try:
            out.append((sku, client.list_availabilities(product.id, sku.id, market)))
        except PartnerCenterError as exc:
            out.append((sku, None))
            errors.append(f"{product.title} ({product.id}/{sku.id}), market {market}: its availabilities could "
                          f"not be read. {describe_error(exc)}")
    return product, out, errors


def sync_catalog(client, markets: list[str], progress: Progress) -> None:
    listed: dict[str, list] = {}
    for market in markets:
        try:
            listed[market] = client.list_products(market)
        except PartnerCenterError as exc:
            progress.error(f"The product list of market {market} could not be read: {describe_error(exc)}")
    previous_prices = db.session.scalar(select(func.coalesce(func.sum(PriceList.entry_count), 0))
                                        .where(PriceList.market.in_(markets))) or 0
    progress.sync.rows_total = sum(len(v) for v in listed.values()) + int(previous_prices)
    progress.save(force=True)

    products: dict[str, Product] = {p.product_id: p for p in db.session.scalars(
        select(Product).options(selectinload(Product.skus).selectinload(Sku.offers).selectinload(Offer.terms)))}
    seen_products: set[str] = set()
    seen_skus: set[tuple[str, str]] = set()
    seen_offers: set[tuple[str, str, str]] = set()
    incomplete: set[str] = set()  # products whose SKUs or availabilities could not all be read
    now = utcnow()

    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        for market, items in listed.items():
            for pc_product, sku_results, errors in pool.map(lambda p, m=market: _fetch_product(client, p, m), items):
                for message in errors:
                    progress.error(message)
                pid = pc_product.id
                if not pid:
                    progress.step()
                    continue
                seen_products.add(pid)
                product = _upsert_product(products, pc_product, progress)
                if sku_results is None:
                    incomplete.add(pid)
                else:
                    for pc_sku, availabilities in sku_results:
                        seen_skus.add((pid, pc_sku.id))
                        sku = _upsert_sku(product, pc_sku, progress)
                        if availabilities is None:
                            incomplete.add(pid)
                            continue
                        if _upsert_offer(sku, market, availabilities, progress):
                            seen_offers.add((pid, pc_sku.id, market))
                progress.step()
                progress.save()

    if len(listed) == len(markets):
        for pid, product in products.items():
            if pid not in seen_products:
                if product.available:
                    product.available = False
                    product.withdrawn_at = now
                    progress.withdrawn.add(pid)
                    for sku in product.skus:
                        if sku.available:
                            sku.available = False
                            sku.withdrawn_at = now
                continue
            if pid in incomplete:
                continue
            for sku in product.skus:
                if (pid, sku.sku_id) not in seen_skus:
                    if sku.available:
                        sku.available = False
                        sku.withdrawn_at = now
                        progress.mark_changed(pid)
                    continue
                for offer in sku.offers:
                    if offer.country in listed and (pid, sku.sku_id, offer.country) not in seen_offers and offer.available:
                        offer.available = False
                        progress.mark_changed(pid)
    elif listed or markets:
        progress.error("Nothing was marked withdrawn, because the product list of "
                       + ", ".join(m for m in markets if m not in listed) + " could not be read.")

    for product in products.values():
        text = _search_text(product)
        if product.search_text != text:
            product.search_text = text
    progress.save(force=True)


def _search_text(product: Product) -> str:
    parts = [product.product_id, product.title, product.family]
    for sku in product.skus:
        parts += [sku.sku_id, sku.title]
    return " ".join(p for p in parts if p).lower()


def _set(row, progress: Progress, pid: str, **values) -> None:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        progress.mark_changed(pid)


def _upsert_product(products: dict[str, Product], pc_product, progress: Progress) -> Product:
    pid = pc_product.id
    title = pc_product.title or pid
    values = dict(title=title, description=pc_product.description or "", family=family_for(title),
                  publisher=pc_product.publisher_name or "")
    product = products.get(pid)
    if product is None:
        product = Product(product_id=pid, available=True, **values)
        product.skus = []
        db.session.add(product)
        products[pid] = product
        progress.added.add(pid)
        return product
    _set(product, progress, pid, **values)
    if not product.available:
        product.available = True
        product.withdrawn_at = None
        progress.mark_changed(pid)
    return product


def _upsert_sku(product: Product, pc_sku, progress: Progress) -> Sku:
    pid = product.product_id
    values = dict(title=pc_sku.title or product.title, description=pc_sku.description or "",
                  min_quantity=pc_sku.minimum_quantity or 1, max_quantity=pc_sku.maximum_quantity or 10000,
                  is_trial=bool(pc_sku.is_trial))
    for sku in product.skus:
        if sku.sku_id == pc_sku.id:
            _set(sku, progress, pid, **values)
            if not sku.available:
                sku.available = True
                sku.withdrawn_at = None
                progress.mark_changed(pid)
            return sku
    sku = Sku(sku_id=pc_sku.id, available=True, **values)
    sku.offers = []
    product.skus.append(sku)
    progress.mark_changed(pid)
    return sku


def _upsert_offer(sku: Sku, market: str, availabilities: list, progress: Progress) -> bool:
    """Record the SKU's availability in `market`; False when it has none there."""
    if not availabilities:
        return False
    availability = next((a for a in availabilities if a.is_purchasable), availabilities[0])
    pid = sku.product.product_id
    terms = {(t.duration.upper(), (t.billing_cycle or "").lower()) for t in availability.terms}
    terms = {t for t in terms if t[0] in TERMS and t[1] in BILLING_PLANS}
    values = dict(availability_id=availability.id, catalog_item_id=availability.catalog_item_id,
                  currency=(availability.currency_code or MARKETS.get(market, "")).upper(),
                  is_purchasable=availability.is_purchasable, available=True)
    offer = next((o for o in sku.offers if o.country == market), None)
    if offer is None:
        offer = Offer(country=market, **values)
        offer.terms = []
        sku.offers.append(offer)
        progress.mark_changed(pid)
    else:
        _set(offer, progress, pid, **values)
    current = {(t.term_duration, t.billing_plan) for t in offer.terms}
    if current != terms:
        offer.terms = [OfferTerm(term_duration=t, billing_plan=b) for t, b in sorted(terms)]
        progress.mark_changed(pid)
    return True


# ---------------------------------------------------------------- price sheets


class RowError(ValueError):
    pass


_DATE_CACHE: dict[str, datetime | None] = {}


def _date(row: dict, column: str) -> datetime | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    cached = _DATE_CACHE.get(raw)
    if cached is not None:
        return cached
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{column} {raw!r} is not a date like 2025-01-01T00:00:00Z.")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    if len(_DATE_CACHE) < 1000:
        _DATE_CACHE[raw] = value
    return value


def _money(row: dict, column: str) -> Decimal:
    raw = (row.get(column) or "").strip()
    if not raw:
        raise RowError(f"{column} is empty.")
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise RowError(f"{column} {raw!r} is not a number.")
    if not value.is_finite():
        raise RowError(f"{column} {raw!r} is not a number.")
    if value < 0:
        raise RowError(f"{column} {raw} is negative.")
    return value


def _tier(row: dict, column: str) -> int | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    try:
        return int(Decimal(raw))
    except (InvalidOperation, ValueError):
        raise RowError(f"{column} {raw!r} is not a whole number.")


def parse_price_row(row: dict, market: str | None = None) -> tuple[str, dict]:
    """Check one price sheet row; return its key and the values to store, or raise RowError."""
    if None in row or None in row.values():
        raise RowError(f"it has a different number of columns than the header ({len(PRICE_SHEET_COLUMNS)}).")
    product_id = row["ProductId"].strip()
    sku_id = row["SkuId"].strip()
    if not product_id:
        raise RowError("ProductId is empty.")
    if not sku_id:
        raise RowError("SkuId is empty.")
    term = row["TermDuration"].strip().upper()
    if term not in TERMS:
        raise RowError(f"TermDuration {row['TermDuration']!r} is not P1M, P1Y or P3Y.")
    billing = row["BillingPlan"].strip().lower()
    if billing not in BILLING_PLANS:
        raise RowError(f"BillingPlan {row['BillingPlan']!r} is not Monthly, Annual or Triennial.")
    row_market = row["Market"].strip().upper()
    if len(row_market) != 2 or not row_market.isalpha():
        raise RowError(f"Market {row['Market']!r} is not a two-letter country code.")
    if market and row_market != market:
        raise RowError(f"Market {row_market} does not belong in the {market} price sheet.")
    currency = row["Currency"].strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise RowError(f"Currency {row['Currency']!r} is not a three-letter currency code.")
    unit = _money(row, "UnitPrice")
    erp = _money(row, "ERP Price")
    tier_min = _tier(row, "PricingTierRangeMin") or 0
    tier_max = _tier(row, "PricingTierRangeMax")
    start, end = _date(row, "EffectiveStartDate"), _date(row, "EffectiveEndDate")
    key = f"{row_market}|{product_id}|{sku_id}|{term}|{billing}|{tier_min}"
    values = dict(market=row_market, currency=currency, product_id=product_id, sku_id=sku_id,
                  product_title=(row.get("ProductTitle") or "").strip()[:300],
                  sku_title=(row.get("SkuTitle") or "").strip()[:300],
                  unit_of_measure=(row.get("UnitOfMeasure") or "").strip()[:64],
                  term_duration=term, billing_plan=billing, tier_min=tier_min, tier_max=tier_max,
                  unit_price=unit, erp_price=erp, effective_start=start, effective_end=end,
                  tags=(row.get("Tags") or "").strip()[:200])
    return key, values


class _MarketState:
    """Existing entries of one market, by key, loaded once when the sheet first mentions the market."""

    def __init__(self, market: str, currency: str) -> None:
        price_list = db.session.scalar(select(PriceList).where(PriceList.market == market))
        if price_list is None:
            price_list = PriceList(market=market, currency=currency)
            db.session.add(price_list)
            db.session.flush()
        self.price_list_id = price_list.id
        # key -> (id, hash of the prices, hash of the other values): hashes keep 100,000 entries small.
        self.existing: dict[str, tuple[int, int, int]] = {}
        rows = db.session.execute(select(
            PriceListEntry.id, PriceListEntry.product_id, PriceListEntry.sku_id, PriceListEntry.term_duration,
            PriceListEntry.billing_plan, PriceListEntry.tier_min, PriceListEntry.unit_price,
            PriceListEntry.erp_price, PriceListEntry.effective_start, PriceListEntry.effective_end,
            PriceListEntry.product_title, PriceListEntry.sku_title).where(PriceListEntry.market == market)
            .execution_options(yield_per=5000))
        for row in rows:
            key = f"{market}|{row[1]}|{row[2]}|{row[3]}|{row[4]}|{row[5]}"
            self.existing[key] = (row[0], hash((row[6], row[7])), hash((row[8], row[9], row[10], row[11])))
        self.seen_ids: set[int] = set()
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.currency = currency


def import_price_rows(rows: Iterable[dict], progress: Progress, *, market: str | None = None,
                      batch_size: int = BATCH_SIZE) -> int:
    """Import price sheet rows (dicts keyed by the documented columns), streaming, in batches.

    Row numbers in messages count the header as row 1, as a spreadsheet shows them. A malformed
    row is reported and skipped; the rest is imported. Entries of a market that the sheet no
    longer lists are removed when the sheet has been read to the end. Returns the rows read.
    """
    header = getattr(rows, "fieldnames", None)
    if header is not None:
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            progress.error("The price sheet is missing the columns " + ", ".join(missing)
                           + ". Nothing was imported from it.")
            progress.save(force=True)
            return 0
    catalog_ids = set(db.session.scalars(select(Product.product_id)))
    states: dict[str, _MarketState] = {}
    first_row: dict[str, int] = {}
    inserts: list[dict] = []
    updates: list[dict] = []
    count = 0

    def flush():
        if inserts:
            db.session.execute(insert(PriceListEntry), inserts)
            inserts.clear()
        if updates:
            db.session.execute(update(PriceListEntry), updates)
            updates.clear()
        progress.save(force=True)

    for number, row in enumerate(rows, start=2):
        count += 1
        progress.step()
        try:
            key, values = parse_price_row(row, market)
        except RowError as exc:
            progress.row_error(number, str(exc))
            continue
        except KeyError as exc:
            progress.row_error(number, f"the column {exc.args[0]} is missing.")
            continue
        if key in first_row:
            progress.row_error(number, f"it repeats row {first_row[key]} (same product, SKU, term, billing plan "
                                       f"and tier); the price of row {first_row[key]} is kept.")
            continue
        first_row[key] = number
        state = states.get(values["market"])
        if state is None:
            state = states[values["market"]] = _MarketState(values["market"], values["currency"])
        if values["effective_start"] and (state.start is None or values["effective_start"] < state.start):
            state.start = values["effective_start"]
        if values["effective_end"] and (state.end is None or values["effective_end"] > state.end):
            state.end = values["effective_end"]
        progress.prices += 1
        pid = values["product_id"]
        old = state.existing.get(key)
        if old is None:
            values["price_list_id"] = state.price_list_id
            inserts.append(values)
            if pid in catalog_ids:
                progress.mark_changed(pid)
        else:
            state.seen_ids.add(old[0])
            prices_changed = old[1] != hash((values["unit_price"], values["erp_price"]))
            if prices_changed or old[2] != hash((values["effective_start"], values["effective_end"],
                                                 values["product_title"], values["sku_title"])):
                values["id"] = old[0]
                updates.append(values)
                if prices_changed and pid in catalog_ids:
                    progress.mark_changed(pid)
        if len(inserts) + len(updates) >= batch_size:
            flush()
    flush()

    for market_code, state in states.items():
        stale = [(key, entry[0]) for key, entry in state.existing.items() if entry[0] not in state.seen_ids]
        for key, _ in stale:
            pid = key.split("|")[1]
            if pid in catalog_ids:
                progress.mark_changed(pid)
        ids = [entry_id for _, entry_id in stale]
        for i in range(0, len(ids), 500):
            db.session.execute(delete(PriceListEntry).where(PriceListEntry.id.in_(ids[i:i + 500])))
        price_list = db.session.get(PriceList, state.price_list_id)
        price_list.currency = state.currency
        price_list.effective_start, price_list.effective_end = state.start, state.end
        price_list.entry_count = db.session.scalar(
            select(func.count()).select_from(PriceListEntry).where(PriceListEntry.market == market_code))
        price_list.updated_at = utcnow()
    progress.save(force=True)
    return count


def count_data_rows(path: str) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def import_price_sheet_file(path: str, sync: CatalogSync, *, market: str | None = None) -> CatalogSync:
    """Import a price sheet CSV file (the documented columns) into the price lists; the job and
    the benchmark use this. The file is read line by line, never whole."""
    sync_id = sync.id
    progress = _start(sync)
    sync.rows_total = count_data_rows(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            import_price_rows(csv.DictReader(fh), progress, market=market)
        return _finish(progress, f"Price sheet imported: {progress.prices} prices read, "
                                 f"{progress.error_count} rows with problems.")
    except Exception as exc:
        log.exception("price sheet import %s failed", sync_id)
        _fail(sync_id, f"The import stopped: {describe_error(exc)}")
        return db.session.get(CatalogSync, sync_id)


# ---------------------------------------------------------------- finding and pricing products


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
    from app.admin.settings import StorefrontSettings

    return Viewer(kind=user.account.kind, market=market_for(user.account),
                  annual_billing=StorefrontSettings.load().annual_billing)


@dataclass
class Filters:
    q: str = ""
    family: str = ""
    term: str = ""
    billing: str = ""
    page: int = 1

    def args(self, **overrides) -> dict:
        values = {"q": self.q, "family": self.family, "term": self.term, "billing": self.billing, "page": self.page}
        values.update(overrides)
        return {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}


@dataclass
class SearchResult:
    products: list[Product]
    from_prices: dict[str, dict]
    total: int
    page: int
    pages: int
    families: list[str]


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


def search_products(viewer: Viewer, filters: Filters, page_size: int = PAGE_SIZE, *,
                    with_families: bool = True) -> SearchResult:
    stmt = select(Product).where(Product.available.is_(True))
    phrase = " ".join(filters.q.lower().split())
    for word in phrase.split()[:8]:
        stmt = stmt.where(Product.search_text.contains(word, autoescape=True))
    if filters.family:
        stmt = stmt.where(Product.family == filters.family)
    billing = filters.billing if filters.billing in viewer.billing_plans else ""
    stmt = stmt.where(_offered_in(viewer.market, filters.term, billing))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    products = db.session.scalars(
        # Titles that hold the words as typed come first ("business premium": M365 Business Premium
        # before Dynamics 365 Business Central Premium), then alphabetical.
        stmt.order_by(*([case((Product.search_text.contains(phrase, autoescape=True), 0), else_=1)] if phrase else []),
                      Product.title, Product.id).offset((page - 1) * page_size).limit(page_size)
        # Only the viewer's market: the list needs nothing else, and every loaded object costs time.
        .options(selectinload(Product.skus).selectinload(Sku.offers.and_(Offer.country == viewer.market))
                 .selectinload(Offer.terms))).all()
    ids = [p.product_id for p in products]
    from_prices: dict[str, dict] = {}
    if ids:
        for pid, currency, cost, erp in db.session.execute(
                select(PriceListEntry.product_id, PriceListEntry.currency, func.min(PriceListEntry.unit_price),
                       func.min(PriceListEntry.erp_price))
                .where(PriceListEntry.market == viewer.market, PriceListEntry.product_id.in_(ids),
                       PriceListEntry.billing_plan == "monthly")
                .group_by(PriceListEntry.product_id, PriceListEntry.currency)):
            from_prices[pid] = {"currency": currency, "cost": Decimal(cost), "erp": Decimal(erp)}
    families = list(db.session.scalars(select(Product.family).where(Product.available.is_(True))
                                       .distinct().order_by(Product.family))) if with_families else []
    return SearchResult(products, from_prices, total, page, pages, families)


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


def find_product(product_id: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.product_id == product_id)
                             .options(selectinload(Product.skus).selectinload(Sku.offers).selectinload(Offer.terms)))


def price_entry(market: str, sku: Sku, term: str, billing: str) -> PriceListEntry | None:
    return db.session.scalar(select(PriceListEntry).where(
        PriceListEntry.market == market, PriceListEntry.product_id == sku.product.product_id,
        PriceListEntry.sku_id == sku.sku_id, PriceListEntry.term_duration == term,
        PriceListEntry.billing_plan == billing).order_by(PriceListEntry.tier_min).limit(1))


# ---------------------------------------------------------------- price lists


def price_lists_for(viewer: Viewer) -> list[PriceList]:
    stmt = select(PriceList).order_by(PriceList.market)
    if viewer.kind != "operator":
        stmt = stmt.where(PriceList.market == viewer.market)
    return list(db.session.scalars(stmt))


def may_see_price_list(viewer: Viewer, market: str) -> bool:
    return viewer.kind == "operator" or market == viewer.market


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


def page_of(stmt, page: int, page_size: int = 50):
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    return list(db.session.scalars(stmt.offset((page - 1) * page_size).limit(page_size))), total, page, pages


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


# ---------------------------------------------------------------- the cart


class CartError(ValueError):
    """A cart change that cannot be made; `field` says which form field the message belongs to."""

    def __init__(self, message: str, field: str = "quantity") -> None:
        super().__init__(message)
        self.field = field


def cart_for(user, create: bool = False) -> Cart | None:
    cart = db.session.scalar(select(Cart).where(Cart.user_id == user.id)
                             .options(selectinload(Cart.lines).selectinload(CartLine.sku).selectinload(Sku.product)))
    if cart is None and create:
        cart = Cart(user_id=user.id)
        cart.lines = []
        db.session.add(cart)
        db.session.flush()
    return cart


def cart_count(user) -> int:
    return db.session.scalar(select(func.count(CartLine.id)).join(Cart).where(Cart.user_id == user.id)) or 0


def withdrawn_message(sku: Sku) -> str:
    return (f"{sku.product.title} is no longer sold: Microsoft withdrew it from the catalog. "
            f"Remove it from your cart to continue.")


def check_quantity(sku: Sku, quantity: int, *, already: int = 0) -> None:
    name = sku.product.title
    if quantity + already < sku.min_quantity:
        raise CartError(f"{name} needs at least {sku.min_quantity} "
                        f"seat{'s' if sku.min_quantity != 1 else ''}.")
    if quantity + already > sku.max_quantity:
        extra = f" Your cart already has {already}." if already else ""
        raise CartError(f"{name} allows at most {sku.max_quantity} seats.{extra}")


def parse_quantity(raw: Any) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise CartError("Enter the number of seats as a whole number, like 5.")
    return value


def add_to_cart(user, viewer: Viewer, sku: Sku, term: str, billing: str, quantity: int) -> CartLine:
    """Put seats of `sku` on `term`/`billing` in the user's cart (adding to a line that has them)."""
    product = sku.product
    if not (product.available and sku.available):
        raise CartError(withdrawn_message(sku).replace(" Remove it from your cart to continue.", ""), "sku")
    if term not in TERMS:
        raise CartError("Choose a term.", "term")
    if billing not in BILLING_PLANS:
        raise CartError("Choose a billing plan.", "billing_plan")
    if billing not in viewer.billing_plans:
        raise CartError("Only monthly billing is offered. Choose Monthly.", "billing_plan")
    offer = sku_offer(sku, viewer.market)
    if offer is None:
        raise CartError(f"{sku.title} is not sold in your market ({viewer.market}).", "sku")
    if (term, billing) not in {(t.term_duration, t.billing_plan) for t in offer.terms}:
        raise CartError(f"{sku.title} is not offered on a {TERM_WORDS[term]} term billed {BILLING_WORDS[billing]}. "
                        f"See Pricing for the combinations offered.", "billing_plan")
    if price_entry(viewer.market, sku, term, billing) is None:
        raise CartError(f"No price is published yet for {sku.title} on a {TERM_WORDS[term]} term billed "
                        f"{BILLING_WORDS[billing]}.", "billing_plan")
    cart = cart_for(user, create=True)
    line = next((l for l in cart.lines if l.sku_pk == sku.id and l.term_duration == term
                 and l.billing_plan == billing), None)
    check_quantity(sku, quantity, already=line.quantity if line else 0)
    if line is None:
        line = CartLine(sku=sku, term_duration=term, billing_plan=billing, quantity=quantity)
        cart.lines.append(line)
    else:
        line.quantity += quantity
    cart.updated_at = utcnow()
    return line


def set_line_quantity(line: CartLine, quantity: int) -> None:
    """Change a line's quantity within the SKU's seat limits; on error the line keeps its quantity."""
    if not (line.sku.available and line.sku.product.available):
        raise CartError(withdrawn_message(line.sku))
    check_quantity(line.sku, quantity)
    line.quantity = quantity
    line.cart.updated_at = utcnow()


@dataclass
class CartLineView:
    line: CartLine
    entry: PriceListEntry | None
    problem: str | None
    price: Decimal | None = None
    subtotal: Decimal | None = None
    currency: str | None = None


@dataclass
class CartView:
    lines: list[CartLineView] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        return [l.problem for l in self.lines if l.problem]

    @property
    def ready(self) -> bool:
        return bool(self.lines) and not self.problems


def cart_view(user, viewer: Viewer) -> CartView:
    cart = cart_for(user)
    view = CartView()
    if cart is None:
        return view
    for line in cart.lines:
        sku = line.sku
        entry = price_entry(viewer.market, sku, line.term_duration, line.billing_plan)
        problem = None
        if not (sku.available and sku.product.available):
            problem = withdrawn_message(sku)
        elif sku_offer(sku, viewer.market) is None or entry is None:
            problem = f"{sku.title} is no longer offered on this term and billing plan. Remove it to continue."
        elif line.billing_plan not in viewer.billing_plans:
            problem = "Only monthly billing is offered now. Remove this line and add it again billed monthly."
        lv = CartLineView(line, entry, problem)
        if entry is not None and not problem:
            lv.price = viewer.pays(entry)
            lv.subtotal = lv.price * line.quantity
            lv.currency = entry.currency
            view.totals[entry.currency] = view.totals.get(entry.currency, Decimal(0)) + lv.subtotal
        view.lines.append(lv)
    return view


# ---------------------------------------------------------------- demo data


def seed_catalog(client, markets: Iterable[str] | None = None) -> CatalogSync | None:
    """Synchronise the catalog once for the demo (synchronously); skipped when a run already succeeded."""
    done = db.session.scalar(select(CatalogSync.id).where(CatalogSync.status == "finished").limit(1))
    if done is not None and db.session.scalar(select(func.count(Product.id))):
        return None
    return run_sync(new_sync("seed"), client, markets)
