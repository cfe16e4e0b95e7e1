"""Telling the accounts that follow catalog changes (the "Catalog" notification category, off unless an
account turns it on) what a finished synchronisation found: products added, products withdrawn, and
the products whose prices change with the new price sheet, in the account's own market.
"""
from __future__ import annotations

from app.accounts.models import Account
from app.accounts.notification_settings import CATALOG, accounts_following
from app.accounts.notifications import link_to, send
from app.catalog.models import CatalogSync, PriceList, Product
from app.catalog.pricing import market_for
from app.extensions import db

NAMES_SHOWN = 10


def _names(titles: dict[str, str], ids: list[str]) -> str:
    names = [titles.get(pid, pid) for pid in ids]
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def change_notice(changes: dict, market: str, titles: dict[str, str], prices_from) -> tuple[str, str] | None:
    """(title, body) of what changed for a buyer in `market`, or None when nothing did."""
    added, withdrawn = changes.get("added", []), changes.get("withdrawn", [])
    repriced = (changes.get("repriced") or {}).get(market, [])
    if not (added or withdrawn or repriced):
        return None
    parts, sentences = [], []
    if added:
        parts.append(f"{_plural(len(added), 'product')} added")
        sentences.append(f"Added: {_names(titles, added)}.")
    if withdrawn:
        parts.append(f"{_plural(len(withdrawn), 'product')} withdrawn")
        sentences.append(f"Withdrawn (no longer sold; subscriptions you have keep running): {_names(titles, withdrawn)}.")
    if repriced:
        when = f"from {prices_from:%Y-%m-%d}" if prices_from else "with the new price list"
        parts.append(f"new prices for {_plural(len(repriced), 'product')}")
        sentences.append(f"Prices change {when} for: {_names(titles, repriced)}. See Price lists for the amounts.")
    return "Catalog changes: " + ", ".join(parts), " ".join(sentences)


def announce_changes(sync: CatalogSync) -> int:
    """Tell every account following catalog changes what `sync` found; returns how many accounts were
    told. Flushes; the job commits with the sync."""
    changes = sync.changes or {}
    ids = sorted({*changes.get("added", []), *changes.get("withdrawn", []),
                  *(pid for ids in (changes.get("repriced") or {}).values() for pid in ids)})
    if not ids:
        return 0
    titles = dict(db.session.execute(db.select(Product.product_id, Product.title).where(Product.product_id.in_(ids))).all())
    starts = dict(db.session.execute(db.select(PriceList.market, PriceList.effective_start)).all())
    told = 0
    for account_id in accounts_following(CATALOG):
        account = db.session.get(Account, account_id)
        if account is None or getattr(account, "is_suspended", False):
            continue
        market = market_for(account)
        notice = change_notice(changes, market, titles, starts.get(market))
        if notice is None:
            continue
        title, body = notice
        if send(CATALOG, account=account, title=title, body=body,
                link=link_to("catalog.products", "/catalog/products")).in_app:
            told += 1
    return told
