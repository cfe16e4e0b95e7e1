"""Catalog jobs: the synchronisation runs in the worker, never in a web request."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.catalog import services
from app.catalog.models import CatalogSync
from app.extensions import db
from app.jobs import enqueue
from app.jobs.periodic import periodic


def run_catalog_sync(sync_id: int) -> dict:
    """Run one recorded synchronisation (products, SKUs, offers, then price sheets)."""
    from app.audit import services as audit
    from app.connections.services import get_client

    sync = db.session.get(CatalogSync, sync_id)
    if sync is None or sync.status not in ("queued", "running"):
        return {"skipped": True}
    try:
        client = get_client()
    except Exception as exc:  # no connection configured: say so on the sync row
        services._fail(sync_id, f"The synchronisation could not start: {services.describe_error(exc)}")
        return {"status": "failed"}
    sync = services.run_sync(sync, client)
    audit.record("catalog_synchronised", actor=sync.requested_by, subject=f"Catalog sync {sync.id}",
                 details={"status": sync.status, "added": sync.added, "changed": sync.changed,
                          "withdrawn": sync.withdrawn, "errors": len(sync.errors or [])})
    db.session.commit()
    return {"status": sync.status, "added": sync.added, "changed": sync.changed, "withdrawn": sync.withdrawn}


def start_sync(trigger: str = "manual", requested_by=None) -> CatalogSync:
    """Record a sync and enqueue it; a sync already waiting or running is returned instead."""
    running = services.active_sync()
    if running is not None:
        return running
    sync = services.new_sync(trigger, requested_by)
    enqueue(run_catalog_sync, sync.id, job_id=f"catalog-sync-{sync.id}", timeout=3600, retry=None,
            description="Synchronise the catalog from Partner Center")
    return sync


def due_for_monthly_sync(now: datetime | None = None) -> bool:
    """True when no synchronisation has finished yet in the current (UTC) month."""
    now = now or datetime.now(timezone.utc)
    month_start = datetime(now.year, now.month, 1)
    last = db.session.scalar(select(CatalogSync.finished_at).where(CatalogSync.status == "finished")
                             .order_by(CatalogSync.finished_at.desc()).limit(1))
    return last is None or last < month_start


@periodic("catalog-monthly-sync", interval_seconds=3600, timeout=3600)
def monthly_catalog_sync() -> str:
    """Checked hourly: when "Automatic catalog update" is on and this month has no finished sync, run one."""
    from app.admin.settings import StorefrontSettings

    if not StorefrontSettings.load().automatic_catalog_update:
        return "Automatic catalog update is off."
    if not due_for_monthly_sync():
        return "The catalog was already synchronised this month."
    if services.active_sync() is not None:
        return "A synchronisation is already running."
    sync = services.new_sync("automatic")
    run_catalog_sync(sync.id)
    return f"Catalog sync {sync.id} ran."
