"""Synchronising the catalog from Partner Center: products, SKUs and offers per market, then each
market's price sheet; the runs' deadlines; and the demo's first synchronisation.

Products and SKUs are never deleted: what Microsoft stops listing is marked withdrawn.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.catalog.models import (OPEN_SYNC_STATUSES, CatalogSync, Offer, OfferTerm, PriceList, Product, Sku,
                                SyncStatus, SyncTrigger)
from app.catalog.price_sheet import import_price_rows
from app.catalog.pricing import MARKETS
from app.catalog.progress import Progress, describe_error, fail_run, finish_run, start_run
from app.catalog.search import family_for, search_text
from app.catalog.terms import BILLING_PLANS, TERMS
from app.extensions import db
from app.partner_center.errors import PartnerCenterError
from app.time import utcnow

log = logging.getLogger(__name__)

FETCH_THREADS = 4


def new_sync(trigger: str = SyncTrigger.MANUAL, requested_by=None) -> CatalogSync:
    sync = CatalogSync(trigger=trigger, requested_by_id=getattr(requested_by, "id", None),
                       status=SyncStatus.QUEUED, errors=[])
    db.session.add(sync)
    db.session.flush()
    return sync


def active_sync() -> CatalogSync | None:
    return db.session.scalar(select(CatalogSync).where(CatalogSync.status.in_(OPEN_SYNC_STATUSES))
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
    if sync.status == SyncStatus.QUEUED and now - sync.created_at > SYNC_DEADLINE:
        return (f"No worker started the synchronisation within {hours} hours (is the worker running?); "
                "start the sync again.")
    if sync.status == SyncStatus.RUNNING and now - (sync.started_at or sync.created_at) > SYNC_DEADLINE:
        return (f"The synchronisation did not finish within {hours} hours: the worker probably stopped while "
                "it ran. Start the sync again.")
    return None


def mark_sync_failed(sync: CatalogSync, message: str, now: datetime | None = None) -> None:
    sync.status = SyncStatus.FAILED
    sync.finished_at = now or utcnow()
    sync.message = message
    db.session.flush()


def stuck_syncs(now: datetime | None = None, limit: int = 20) -> list[tuple[CatalogSync, str]]:
    """What the stuck-work page lists: queued or running syncs past their deadline, and failed syncs
    that no finished sync has superseded since. Reads only."""
    now = now or utcnow()
    last_finished = db.session.scalar(select(func.max(CatalogSync.id))
                                      .where(CatalogSync.status == SyncStatus.FINISHED)) or 0
    rows = db.session.scalars(select(CatalogSync).where(
        CatalogSync.id > last_finished, CatalogSync.status.in_((*OPEN_SYNC_STATUSES, SyncStatus.FAILED)))
        .order_by(CatalogSync.id.desc()).limit(limit)).all()
    stuck = []
    for sync in rows:
        reason = sync.message if sync.status == SyncStatus.FAILED else missed_sync_deadline(sync, now)
        if reason:
            stuck.append((sync, reason))
    return stuck


def run_sync(sync: CatalogSync, client, markets: Iterable[str] | None = None) -> CatalogSync:
    """Synchronise products, SKUs and offers of `markets` from Partner Center, then their price sheets.
    `client` is one client for every market, or a mapping market -> the client of the connection that
    serves it (several Partner Center instances).

    Problems with one product or one price row are recorded and the rest carries on; only an
    unexpected failure fails the whole run (and then nothing half-done is withdrawn).
    """
    markets = [m.upper() for m in (markets or MARKETS)]
    sync_id = sync.id
    progress = start_run(sync)
    # Progress is committed as the run goes; without this every commit would expire the catalog
    # loaded in the session and reload it product by product.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        sync_catalog(client, markets, progress)
        for market in markets:
            if not _client_for(client, market).has_price_sheet:
                # Never attempted: Microsoft has no price sheet API in that cloud (21Vianet).
                progress.error(f"The {market} price sheet was not read: Microsoft publishes no price sheet API for "
                               f"{_client_for(client, market).cloud.label}; the prices already kept stay.")
                continue
            try:
                with _client_for(client, market).price_sheet(market) as rows:
                    import_price_rows(rows, progress, market=market)
            except PartnerCenterError as exc:
                db.session.rollback()
                progress.error(f"The {market} price sheet could not be read: {describe_error(exc)}")
        return finish_run(progress)
    except Exception as exc:  # the run is over; say why in plain words, keep the details in the log
        log.exception("catalog sync %s failed", sync_id)
        fail_run(sync_id, f"The synchronisation stopped: {describe_error(exc)}")
        return db.session.get(CatalogSync, sync_id)
    finally:
        session.expire_on_commit = expire_on_commit


def _client_for(client, market: str):
    """The client that serves `market`: `client` itself, or its entry when it maps markets to clients."""
    return client[market] if isinstance(client, Mapping) else client


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
            listed[market] = _client_for(client, market).list_products(market)
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
            market_client = _client_for(client, market)
            for pc_product, sku_results, errors in pool.map(lambda p, m=market, c=market_client: _fetch_product(c, p, m),
                                                           items):
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
                if _withdraw(product, now):
                    progress.withdrawn.add(pid)
                    for sku in product.skus:
                        _withdraw(sku, now)
                continue
            if pid in incomplete:
                continue
            for sku in product.skus:
                if (pid, sku.sku_id) not in seen_skus:
                    if _withdraw(sku, now):
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
        text = search_text(product)
        if product.search_text != text:
            product.search_text = text
    progress.save(force=True)


def _withdraw(row: Product | Sku, now: datetime) -> bool:
    """Mark a product or SKU that Microsoft no longer lists as withdrawn; False when it already was."""
    if not row.available:
        return False
    row.available, row.withdrawn_at = False, now
    return True


def _sold_again(row: Product | Sku) -> bool:
    """Make a withdrawn product or SKU that Microsoft lists again available; False when it was not withdrawn."""
    if row.available:
        return False
    row.available, row.withdrawn_at = True, None
    return True


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
    if _sold_again(product):
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
            if _sold_again(sku):
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


def seed_catalog(client, markets: Iterable[str] | None = None) -> CatalogSync | None:
    """Synchronise the catalog once for the demo (synchronously); skipped when a run already succeeded."""
    done = db.session.scalar(select(CatalogSync.id).where(CatalogSync.status == SyncStatus.FINISHED).limit(1))
    if done is not None and db.session.scalar(select(func.count(Product.id))):
        return None
    return run_sync(new_sync(SyncTrigger.SEED), client, markets)
