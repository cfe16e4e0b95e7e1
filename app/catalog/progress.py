"""A recorded catalog run (a CatalogSync row: a synchronisation or a price sheet import): its
progress as it goes, and how it ends.

A run commits its own progress, unlike the other catalog services: it runs for minutes in the
worker while the operator's page polls the row from another process, so each counter it saves
must be visible at once, and a failure must leave the row saying why.
"""
from __future__ import annotations

import time

from app.catalog.models import CatalogSync, SyncStatus
from app.extensions import db
from app.partner_center.errors import PartnerCenterError
from app.time import utcnow

MAX_STORED_ERRORS = 200


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
        return f"{what}{detail}. Try again later; if it keeps happening, check Settings > Partner Center."
    return f"Unexpected error: {exc}"


class Progress:
    """What a sync run found, written to its CatalogSync row as it goes so the admin page can poll it."""

    def __init__(self, sync: CatalogSync) -> None:
        self.sync = sync
        self.added: set[str] = set()
        self.changed: set[str] = set()
        self.withdrawn: set[str] = set()
        self.repriced: dict[str, set[str]] = {}  # market -> products whose prices changed
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


def start_run(sync: CatalogSync) -> Progress:
    """Mark the run running (committed: the page shows it at once) and start counting."""
    sync.status = SyncStatus.RUNNING
    sync.started_at = utcnow()
    sync.rows_processed = 0
    sync.errors = []
    db.session.commit()
    return Progress(sync)


def finish_run(progress: Progress, message: str | None = None) -> CatalogSync:
    sync = progress.sync
    sync.status = SyncStatus.FINISHED
    sync.finished_at = utcnow()
    sync.rows_total = max(sync.rows_total, sync.rows_processed)
    parts = [f"{len(progress.added)} added", f"{len(progress.changed)} changed",
             f"{len(progress.withdrawn)} withdrawn"]
    sync.message = message or ("Catalog synchronised: " + ", ".join(parts) + f"; {progress.prices} prices read.")
    sync.changes = {"added": sorted(progress.added), "withdrawn": sorted(progress.withdrawn),
                    "repriced": {market: sorted(ids) for market, ids in sorted(progress.repriced.items())}}
    progress.save(force=True)
    return sync


def fail_run(sync_id: int, message: str) -> None:
    """End the run as failed with `message`; what it had not saved yet is dropped."""
    db.session.rollback()
    sync = db.session.get(CatalogSync, sync_id)
    sync.status = SyncStatus.FAILED
    sync.finished_at = utcnow()
    sync.message = message
    db.session.commit()

