"""The new-commerce license-based price sheet: each row checked, imported in batches as it streams
(never read whole), and the entries a market's sheet no longer lists removed."""
from __future__ import annotations

import csv
import logging
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Iterable

from sqlalchemy import delete, func, insert, select, update

from app.catalog import results_cache
from app.catalog.models import CatalogSync, PriceList, PriceListEntry, Product
from app.catalog.progress import Progress, describe_error, fail_run, finish_run, start_run
from app.catalog.terms import BILLING_PLANS, TERMS
from app.extensions import db
from app.time import utcnow

log = logging.getLogger(__name__)

# The documented columns of the new-commerce license-based price sheet.
PRICE_SHEET_COLUMNS = [
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
]
REQUIRED_COLUMNS = ("ProductId", "SkuId", "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice",
                    "ERP Price")
BATCH_SIZE = 2000


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
        if inserts or updates:
            results_cache.mark_changed(db.session)  # bulk statements: the ORM's flush events do not see them
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
                    progress.repriced.setdefault(values["market"], set()).add(pid)
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
        if ids:
            results_cache.mark_changed(db.session)
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
    progress = start_run(sync)
    sync.rows_total = count_data_rows(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            import_price_rows(csv.DictReader(fh), progress, market=market)
        return finish_run(progress, f"Price sheet imported: {progress.prices} prices read, "
                                 f"{progress.error_count} rows with problems.")
    except Exception as exc:
        log.exception("price sheet import %s failed", sync_id)
        fail_run(sync_id, f"The import stopped: {describe_error(exc)}")
        return db.session.get(CatalogSync, sync_id)

