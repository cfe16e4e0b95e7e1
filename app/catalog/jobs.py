"""Catalog jobs: the synchronisation runs in the worker, never in a web request.

A sync row is never left blocking new runs: one whose enqueue failed is failed at once, one whose
job vanished from the queue is failed when someone starts another, and one past its deadline
(app.catalog.sync.SYNC_DEADLINE) is failed by a periodic task, which notifies the operator's admins.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.accounts.notification_settings import CATALOG
from app.accounts.notifications import link_to, notify_operator_admins
from app.catalog import sync as syncs
from app.catalog.models import OPEN_SYNC_STATUSES, CatalogSync, SyncStatus, SyncTrigger
from app.catalog.notices import announce_changes
from app.catalog.progress import describe_error, fail_run
from app.extensions import db
from app.jobs import enqueue
from app.jobs.periodic import periodic
from app.time import utcnow

log = logging.getLogger(__name__)

SYNC_TIMEOUT = 3600
# start_sync commits the row before enqueuing; a queued row younger than this may be a start in progress.
ENQUEUE_GRACE = timedelta(minutes=1)
LIVE_JOB_STATUSES = {"queued", "started", "scheduled", "deferred"}
# Where the deadline notification points (the tools area's stuck-work page), for a job that has no
# request to build the URL from.
STUCK_WORK_PATH = "/admin/stuck"


def run_catalog_sync(sync_id: int) -> dict:
    """Run one recorded synchronisation (products, SKUs, offers, then price sheets)."""
    from app.audit import services as audit
    from app.catalog.pricing import MARKETS
    from app.connections.services import connection_for, get_client

    sync = db.session.get(CatalogSync, sync_id)
    if sync is None or sync.status not in OPEN_SYNC_STATUSES:
        return {"skipped": True}
    try:
        # Each market from the connection that serves it (admin > Partner Center > Markets).
        client = {market: get_client(connection_for(market=market)) for market in MARKETS}
    except Exception as exc:  # no connection configured: say so on the sync row
        fail_run(sync_id, f"The synchronisation could not start: {describe_error(exc)}")
        return {"status": SyncStatus.FAILED}
    sync = syncs.run_sync(sync, client)
    if sync.status == SyncStatus.FINISHED:
        announce_changes(sync)
    audit.record("catalog_synchronised", actor=sync.requested_by, subject=f"Catalog sync {sync.id}",
                 details={"status": sync.status, "added": sync.added, "changed": sync.changed,
                          "withdrawn": sync.withdrawn, "errors": len(sync.errors or [])})
    db.session.commit()
    return {"status": sync.status, "added": sync.added, "changed": sync.changed, "withdrawn": sync.withdrawn}


def job_id_for(sync_id: int) -> str:
    return f"catalog-sync-{sync_id}"


def start_sync(trigger: str = SyncTrigger.MANUAL, requested_by=None) -> CatalogSync:
    """Record a sync and enqueue it; a sync already waiting or running is returned instead.

    When the queue cannot be reached the new row is failed at once with app.catalog.sync.QUEUE_UNREACHABLE
    (and returned), so nothing stays `queued` and the operator can start again.
    """
    expire_stuck_syncs()
    running = syncs.active_sync()
    if running is not None and not _job_lost(running):
        return running
    sync = syncs.new_sync(trigger, requested_by)
    db.session.commit()  # the worker may pick the job up before this request ends
    try:
        enqueue(run_catalog_sync, sync.id, job_id=job_id_for(sync.id), timeout=SYNC_TIMEOUT, retry=None,
                description="Synchronise the catalog from Partner Center")
    except Exception:  # Redis down or refusing: say so on the row instead of leaving it queued
        log.exception("could not enqueue catalog sync %s", sync.id)
        syncs.mark_sync_failed(sync, syncs.QUEUE_UNREACHABLE)
        db.session.commit()
    return sync


def _job_lost(sync: CatalogSync) -> bool:
    """A run started here whose job is no longer queued or running (Redis restarted without its data,
    or RQ stopped the job before it could record why): fail it so a new run can start. Runs started
    inside another job (monthly, seed) have no job of their own; their deadline covers them."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.extensions import get_redis

    if sync.trigger != SyncTrigger.MANUAL or utcnow() - sync.created_at < ENQUEUE_GRACE:
        return False
    try:
        status = Job.fetch(job_id_for(sync.id), connection=get_redis()).get_status()
    except NoSuchJobError:
        status = None
    except Exception:  # the queue is unreachable: the enqueue that follows says so
        return True
    if getattr(status, "value", status) in LIVE_JOB_STATUSES:
        return False
    syncs.mark_sync_failed(sync, "Its job is no longer on the queue (Redis may have restarted, or the worker "
                                    "stopped it); a new synchronisation was started.")
    db.session.commit()
    return True


@periodic("catalog-sync-deadline", interval_seconds=300, timeout=120)
def expire_stuck_syncs(now: datetime | None = None) -> list[int]:
    """Fail every sync queued or running past app.catalog.sync.SYNC_DEADLINE and tell the operator's admins."""
    now = now or utcnow()
    expired = []
    for sync in db.session.scalars(select(CatalogSync).where(CatalogSync.status.in_(OPEN_SYNC_STATUSES))).all():
        reason = syncs.missed_sync_deadline(sync, now)
        if reason is None:
            continue
        syncs.mark_sync_failed(sync, reason, now)
        notify_operator_admins(f"Catalog sync {sync.id} stopped at its deadline", reason,
                               link_to("tools.stuck", STUCK_WORK_PATH), category=CATALOG)
        expired.append(sync.id)
    if expired:
        db.session.commit()
        log.warning("catalog syncs failed at their deadline: %s", expired)
    return expired


def due_for_monthly_sync(now: datetime | None = None) -> bool:
    """True when no synchronisation has finished yet in the current (UTC) month."""
    now = now or datetime.now(timezone.utc)
    month_start = datetime(now.year, now.month, 1)
    last = db.session.scalar(select(CatalogSync.finished_at).where(CatalogSync.status == SyncStatus.FINISHED)
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
    expire_stuck_syncs()
    if syncs.active_sync() is not None:
        return "A synchronisation is already running."
    sync = syncs.new_sync(SyncTrigger.AUTOMATIC)
    db.session.commit()
    run_catalog_sync(sync.id)
    return f"Catalog sync {sync.id} ran."
