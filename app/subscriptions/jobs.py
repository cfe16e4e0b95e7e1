"""Partner Center work on existing subscriptions.

- `apply_change`: the step runner of change, configuration and termination orders (one step per
  order line), called by the orders' provisioning job (app/orders/jobs.py), which stores each
  step's MS-RequestId before the call and resumes after a crash, a 5xx or a throttle.
- `refresh_subscriptions`: the periodic job that keeps the stored state in step with Partner
  Center, in batches, one list call per customer, pausing when throttled.
- `renewal_notices`: the periodic job that sends the 14- and 7-day renewal notices.
"""
from __future__ import annotations

import logging
import time
from itertools import groupby

from app.accounts.models import utcnow
from app.connections.services import get_client
from app.extensions import db, get_redis
from app.jobs.periodic import periodic
from app.orders.jobs import _Fail
from app.orders.models import Order, OrderLine, OrderStep, Subscription
from app.partner_center import (EtagMismatch, NotFound, PartnerCenterError, PartnerCenterUnavailable,
                                QuantityCannotBeDecreased, Throttled, subscription_patch_body)
from app.subscriptions import services as svc

log = logging.getLogger(__name__)

REFRESH_BATCH = 200           # subscriptions per run of the refresh job
REFRESH_INTERVAL = 15 * 60    # seconds between runs
PAUSE_KEY = "subscriptions:refresh:paused-until"


# ----------------------------------------------------------------------------------- order steps

def _line_of(order: Order, step: OrderStep) -> OrderLine:
    index = int(step.name.split("_", 1)[1]) - 1
    return order.lines[index]


def _already_done(action: str, change: dict, remote) -> bool:
    """Does Partner Center already show the change? (A retry after a PATCH whose answer was lost.)"""
    if action == "quantity":
        return remote.quantity == change["to"]
    if action == "schedule":
        scheduled = remote.scheduled_next_term_instructions
        return scheduled is not None and scheduled.quantity == change["to"]
    if action == "auto_renew":
        return bool(remote.auto_renew_enabled) == bool(change["to"])
    if action == "rename":
        return (remote.friendly_name or "") == change["to"]
    if action == "cancel":
        return remote.status == "deleted"
    raise ValueError(f"unknown change {action!r}")


def _body(action: str, change: dict, remote) -> dict:
    """The whole resource as Partner Center gave it, with the change applied (GET, modify, PATCH);
    the client builds it, so what Partner Center holds for the next term is kept."""
    if action == "schedule":
        return subscription_patch_body(remote, next_term_quantity=change["to"])
    if action == "auto_renew":
        return subscription_patch_body(remote, auto_renew=bool(change["to"]))
    if action == "rename":
        return subscription_patch_body(remote, friendly_name=change["to"])
    if action == "cancel":
        return subscription_patch_body(remote, status="deleted")
    return subscription_patch_body(remote, quantity=change["to"])


def apply_change(order: Order, step: OrderStep, client) -> dict:
    """GET the subscription, apply the line's change, PATCH it with If-Match: the etag the person
    saw (a change made meanwhile answers 412 and nothing is changed), then store the answer."""
    line = _line_of(order, step)
    sub = line.subscription
    change = line.change or {}
    action = change.get("action")
    remote = client.get_subscription(sub.tenant_id, sub.ms_subscription_id)
    if _already_done(action, change, remote):
        svc.apply_remote(sub, remote, svc.pc_now(), audit_outside=False)
        return {"action": action, "alreadyApplied": True, "quantity": remote.quantity}
    updated = client.patch_subscription(sub.tenant_id, _body(action, change, remote), etag=change.get("etag"),
                                        request_id=step.ms_request_id)
    svc.apply_remote(sub, updated, svc.pc_now(), audit_outside=False)
    result = {"action": action, "quantity": updated.quantity, "status": updated.status,
              "autoRenew": updated.auto_renew_enabled}
    if action == "quantity" and change["to"] < change["from"]:
        result["refundedSeats"] = change["from"] - change["to"]
    if action == "cancel":
        result["refundedSeats"] = change["from"]
    return result


def classify_change_error(order: Order, step: OrderStep, error: PartnerCenterError) -> _Fail:
    """A definite refusal of a change, in plain words. The subscription is read again, so its page
    shows Partner Center's current state next to the failed order."""
    line = _line_of(order, step)
    sub = line.subscription
    change = line.change or {}
    _refresh_one(sub)
    if isinstance(error, EtagMismatch):
        return _Fail(f"{sub.name} was changed in Partner Center after the change was asked for, so Microsoft "
                     "changed nothing. Its page now shows the current values; ask for the change again if it is "
                     "still needed.", code="412")
    if isinstance(error, QuantityCannotBeDecreased) or error.code == "800090":
        if change.get("action") == "cancel":
            return _Fail(f"Microsoft refused to cancel {sub.name}: a subscription can be cancelled only within 7 "
                         "days of its purchase or renewal, and that window has closed. Turn auto-renewal off so "
                         "that it ends at its renewal date.", code="800090")
        return _Fail(f"Microsoft refused to reduce the seats of {sub.name}: seats can be reduced only within 7 days "
                     "of being added, and that window has closed for these seats. Schedule the reduction for the "
                     "renewal instead.", code="800090")
    if error.code == "2002":
        return _Fail(f"Microsoft refused the number of seats: {sub.sku_title} takes between {sub.min_quantity} and "
                     f"{sub.max_quantity} seats.", code="2002")
    if error.code == "800093":
        return _Fail("Microsoft refused the change: a change scheduled for the renewal needs auto-renewal on.",
                     code="800093")
    if error.code == "800091":
        return _Fail(f"Microsoft refused the change: {sub.name} is suspended.", code="800091")
    if error.code == "2011":
        return _Fail(f"Microsoft refused the change: {sub.name} is cancelled or expired.", code="2011")
    return _Fail(f"Microsoft refused the change: {error.description or error}",
                 code=str(error.code) if error.code else None)


def completion_summary(order: Order) -> str:
    words = "; ".join(line.change_label for line in order.lines)
    names = ", ".join(dict.fromkeys(line.sku_title for line in order.lines))
    return f"{names}: {words}."


def _refresh_one(sub: Subscription) -> None:
    try:
        remote = get_client(sub.partner_center_instance).get_subscription(sub.tenant_id, sub.ms_subscription_id)
    except PartnerCenterError:
        log.warning("could not read subscription %s again", sub.ms_subscription_id, exc_info=True)
        return
    svc.apply_remote(sub, remote, svc.pc_now())


# ----------------------------------------------------------------------------------- keeping in step

def _paused() -> float:
    value = get_redis().get(PAUSE_KEY)
    remaining = float(value) - time.time() if value else 0.0
    return max(0.0, remaining)


@periodic("refresh-subscriptions", interval_seconds=REFRESH_INTERVAL, timeout=900)
def refresh_subscriptions(batch_size: int = REFRESH_BATCH) -> dict:
    """Read the least recently refreshed subscriptions from Partner Center (one list call per
    customer tenant), store what changed, and audit changes made outside the storefront.

    Throttled (429): stop, and skip runs until Retry-After has passed. Partner Center down:
    stop; the next run carries on. A tenant the partner can no longer see is skipped.
    """
    summary = {"refreshed": 0, "changed": 0, "tenants": 0, "stopped": None}
    wait = _paused()
    if wait:
        summary["stopped"] = f"throttled; paused for {wait:.0f}s"
        return summary
    db.session.expire_all()
    rows = db.session.scalars(
        db.select(Subscription).where(Subscription.status.notin_(("deleted", "expired")))
        .order_by(Subscription.refreshed_at.is_not(None), Subscription.refreshed_at, Subscription.id)
        .limit(batch_size)).all()
    key = lambda s: (s.partner_center_instance or "default", s.tenant_id)  # noqa: E731
    for (instance, tenant_id), group in groupby(sorted(rows, key=key), key=key):
        group = list(group)
        try:
            remote = {s.id: s for s in get_client(instance).list_subscriptions(tenant_id)}
        except Throttled as error:
            seconds = error.retry_after or 60
            get_redis().set(PAUSE_KEY, str(time.time() + seconds), ex=int(seconds) + 1)
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
        now = svc.pc_now()
        summary["tenants"] += 1
        for row in group:
            found = remote.get(row.ms_subscription_id)
            if found is None:
                row.refreshed_at = utcnow()
                continue
            if svc.apply_remote(row, found, now, audit_outside=True):
                summary["changed"] += 1
            summary["refreshed"] += 1
        db.session.commit()
    if summary["changed"]:
        log.info("subscription refresh: %s", summary)
    return summary


@periodic("renewal-notices", interval_seconds=3600, timeout=600)
def renewal_notices() -> list[str]:
    db.session.expire_all()
    return svc.send_renewal_notices()
