"""The subscriptions' periodic jobs (registered with app.jobs.periodic; the worker runs them). Each
commits its units one by one, so a failure or a stop halfway keeps what was done.

- `refresh_subscriptions`: keeps the stored state in step with Partner Center, in batches, one list
  call per customer tenant, pausing when throttled (app/subscriptions/sync.py);
- `renewal_notices`: the 30- and 7-day renewal notices (app/subscriptions/notices.py);
- `window_notices`: a cancellation window closes within 48 hours (app/subscriptions/notices.py).

The changes people ask for run as orders, through the orders' engine (app/subscriptions/steps.py).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.connections import webhooks
from app.connections.services import get_client, partner_center_now
from app.extensions import db
from app.jobs.periodic import periodic
from app.partner_center import NotFound, PartnerCenterUnavailable, Throttled, WebhookEvent
from app.partner_center.webhooks import SUBSCRIPTION_UPDATED
from app.subscriptions import notices, sync
from app.subscriptions.models import Subscription
from app.time import utcnow

log = logging.getLogger(__name__)

REFRESH_INTERVAL = 15 * 60    # seconds between runs


@periodic("refresh-subscriptions", interval_seconds=REFRESH_INTERVAL, timeout=900)
def refresh_subscriptions(batch_size: int = sync.REFRESH_BATCH) -> dict:
    """Read the least recently refreshed subscriptions from Partner Center (one list call per
    customer tenant), store what changed, and audit changes made outside the storefront.

    Throttled (429): stop, and skip runs until Retry-After has passed. Partner Center down:
    stop; the next run carries on. A tenant the partner can no longer see is skipped. Each
    tenant's rows are committed on their own.
    """
    summary = {"refreshed": 0, "changed": 0, "tenants": 0, "stopped": None}
    wait = sync.paused_for()
    if wait:
        summary["stopped"] = f"throttled; paused for {wait:.0f}s"
        return summary
    db.session.expire_all()
    for (instance, tenant_id), group in sync.by_tenant(sync.due_for_refresh(batch_size)):
        try:
            remote = {s.id: s for s in get_client(instance).list_subscriptions(tenant_id)}
        except Throttled as error:
            seconds = error.retry_after or 60
            sync.pause(seconds)
            summary["stopped"] = f"throttled for {seconds:.0f}s"
            break
        except PartnerCenterUnavailable as error:
            summary["stopped"] = f"Partner Center unavailable: {error}"
            break
        except NotFound:
            log.warning("tenant %s is not visible in Partner Center; its subscriptions are skipped", tenant_id)
            for row in group:
                row.refreshed_at = utcnow()
            db.session.commit()
            continue
        now = partner_center_now()
        summary["tenants"] += 1
        for row in group:
            found = remote.get(row.ms_subscription_id)
            if found is None:
                row.refreshed_at = utcnow()
                continue
            if sync.apply_remote(row, found, now, audit_outside=True):
                summary["changed"] += 1
            summary["refreshed"] += 1
        db.session.commit()
    if summary["changed"]:
        log.info("subscription refresh: %s", summary)
    return summary


@periodic("renewal-notices", interval_seconds=3600, timeout=600)
def renewal_notices(now: datetime | None = None) -> list[str]:
    """Send the renewal notices now due (Partner Center's time unless `now` is given); returns what
    was sent. Each subscription's notice is committed on its own: one that fails (a row that cannot
    be written, a mail server gone) is logged, rolled back and tried again by the next run, and
    loses none of the others."""
    db.session.expire_all()
    now = now or partner_center_now()
    return _send_each(notices.due_for_notice(now), notices.send_notice, now, "renewal notice")


@periodic("window-notices", interval_seconds=900, timeout=600)
def window_notices(now: datetime | None = None) -> list[str]:
    """Tell accounts whose subscriptions' 7-day windows close within 48 hours (Partner Center's time
    unless `now` is given); returns what was sent. Each notice is committed on its own, like the
    renewal notices."""
    db.session.expire_all()
    now = now or partner_center_now()
    return _send_each(notices.due_for_window_notice(), notices.send_window_notice, now, "window notice")


def _send_each(due: list[int], send: Callable[[Subscription, datetime], str | None], now: datetime,
               what: str) -> list[str]:
    """`send` each due subscription's notice, committing each on its own: one that fails (a row that
    cannot be written, a mail server gone) is logged, rolled back and tried again by the next run,
    and loses none of the others. Returns what was sent."""
    sent = []
    for sub_id in due:
        try:
            notice = send(db.session.get(Subscription, sub_id), now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("%s for subscription %s not sent; the next run tries again", what, sub_id)
            continue
        if notice:
            sent.append(notice)
    return sent


@webhooks.handles(SUBSCRIPTION_UPDATED)
def subscription_updated(event: WebhookEvent, connection: str) -> dict:
    """Partner Center says a subscription changed (it may say so hours late): read that one again now
    instead of at its turn in `refresh_subscriptions`. One the storefront does not hold yet (an order
    still being recorded) is left to the order's own steps."""
    if not event.subscription_id:
        return {"refreshed": 0}
    row = db.session.scalar(db.select(Subscription).where(
        db.func.lower(Subscription.ms_subscription_id) == event.subscription_id))
    if row is None:
        return {"refreshed": 0}
    sync.refresh_one(row)
    db.session.commit()
    return {"refreshed": 1}
