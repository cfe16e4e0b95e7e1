"""Keeping the stored subscriptions in step with Partner Center: copying its view of a
subscription onto the row (auditing changes made outside the storefront), reading one again, and
what the periodic refresh (app/subscriptions/jobs.py) reads in batches.

Two clocks. The storefront's (utcnow) stamps when a row was read. Partner Center's stamps what
Partner Center decides (renewal dates, the 7-day windows): in sandbox mode the sandbox keeps its
own clock, which demos and tests move forward, so it is asked of connections
(partner_center_now), never of the wall clock.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from itertools import groupby

from app.audit import services as audit
from app.connections.services import get_client, partner_center_now
from app.extensions import db, get_redis
from app.partner_center import PartnerCenterError
from app.subscriptions.models import ENDED_STATUSES, Subscription, SubscriptionStatus
from app.time import naive_utc, utcnow

log = logging.getLogger(__name__)

REFRESH_BATCH = 200           # subscriptions per run of the refresh job
PAUSE_KEY = "subscriptions:refresh:paused-until"


TRACKED = ("status", "quantity", "auto_renew", "friendly_name", "commitment_end_date", "scheduled_quantity")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def apply_remote(row: Subscription, remote, pc_time: datetime, *, audit_outside: bool = True) -> dict:
    """Copy Partner Center's view of a subscription (a partner_center Subscription) onto the row.

    Returns the tracked fields that changed ({field: {"from", "to"}}). With `audit_outside`, a
    change is one the storefront did not make (the storefront refreshes the row after each of
    its own changes), so it is recorded in the audit log.
    """
    before = {name: getattr(row, name) for name in TRACKED}
    row.quantity = remote.quantity
    row.status = remote.status or row.status or SubscriptionStatus.ACTIVE
    if remote.auto_renew_enabled is not None:
        row.auto_renew = bool(remote.auto_renew_enabled)
    if remote.friendly_name:
        row.friendly_name = remote.friendly_name
    if remote.term_duration:
        row.term_duration = remote.term_duration
    if remote.billing_cycle:
        row.billing_plan = remote.billing_cycle
    row.commitment_end_date = naive_utc(remote.commitment_end_date) or row.commitment_end_date
    row.cancellation_allowed_until = naive_utc(remote.cancellation_allowed_until_date)
    row.effective_start_date = naive_utc(remote.effective_start_date) or row.effective_start_date
    refundable = remote.refundable_quantity
    batches = []
    if refundable is not None:
        batches = [{"quantity": quantity, "allowedUntil": _iso(naive_utc(until))}
                   for quantity, until in refundable.details if quantity and until]
    row.refundable_batches = batches
    row.refundable_quantity = refundable.total_quantity if refundable is not None else 0
    scheduled = remote.scheduled_next_term_instructions
    row.scheduled_quantity = scheduled.quantity if scheduled is not None else None
    row.etag = remote.etag or row.etag
    row.refreshed_at = utcnow()
    row.pc_refreshed_at = pc_time
    changed = {name: {"from": _plain(before[name]), "to": _plain(getattr(row, name))}
               for name in TRACKED if before[name] != getattr(row, name)}
    if changed and audit_outside and row.id is not None:
        audit.record("subscription_changed_in_partner_center", account=row.account, subject=row.ms_subscription_id,
                     details={"subscription": row.name, **changed})
    return changed


def _plain(value):
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def refresh_one(sub: Subscription) -> None:
    """Read one subscription again (after Partner Center refused a change to it), so its page shows
    Partner Center's current state; a failure to read is logged and leaves the row as it was."""
    try:
        remote = get_client(sub.partner_center_instance).get_subscription(sub.tenant_id, sub.ms_subscription_id)
    except PartnerCenterError:
        log.warning("could not read subscription %s again", sub.ms_subscription_id, exc_info=True)
        return
    apply_remote(sub, remote, partner_center_now())


# ----------------------------------------------------------------------------------- what the refresh job reads

def paused_for() -> float:
    """Seconds the refresh still waits after Partner Center throttled it (0: it may run)."""
    value = get_redis().get(PAUSE_KEY)
    remaining = float(value) - time.time() if value else 0.0
    return max(0.0, remaining)


def pause(seconds: float) -> None:
    get_redis().set(PAUSE_KEY, str(time.time() + seconds), ex=int(seconds) + 1)


def due_for_refresh(batch_size: int = REFRESH_BATCH) -> list[Subscription]:
    """The least recently refreshed subscriptions still running, never-read ones first."""
    return db.session.scalars(
        db.select(Subscription).where(Subscription.status.notin_(ENDED_STATUSES))
        .order_by(Subscription.refreshed_at.is_not(None), Subscription.refreshed_at, Subscription.id)
        .limit(batch_size)).all()


def by_tenant(rows: list[Subscription]):
    """((instance, tenant id), rows) per customer tenant: one list call each."""
    key = lambda s: (s.partner_center_instance or "default", s.tenant_id)  # noqa: E731
    for tenant, group in groupby(sorted(rows, key=key), key=key):
        yield tenant, list(group)
