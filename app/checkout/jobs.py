"""Waiting for authorizations: one watch per tenant, on its own schedule; decisions per draft.

A watch costs one Partner Center call per check while the tenant is not visible to the operator,
and two once it is (the customer, then its partner relationships), however many drafts wait on
it. Each draft is then decided for its own account (app.orders.tenancy.decide): one reseller's
acceptance never verifies another account's checkout.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from app import live
from app.accounts.models import utcnow
from app.checkout.gate import WATCH_LIFETIME, apply, next_interval
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.connections import webhooks
from app.connections.services import UnknownInstance, get_client
from app.extensions import db
from app.jobs.periodic import periodic
from app.orders import tenancy
from app.partner_center import PartnerCenterError, Throttled, WebhookEvent
from app.partner_center.webhooks import INDIRECT_RELATIONSHIP_ACCEPTED, RELATIONSHIP_ACCEPTED

log = logging.getLogger(__name__)


def _waiting_drafts(domain: str) -> list[CheckoutDraft]:
    return list(db.session.scalars(db.select(CheckoutDraft).where(
        CheckoutDraft.status == "open", CheckoutDraft.tenant_mode == "existing",
        CheckoutDraft.authorization_status == "waiting",
        CheckoutDraft.domain_prefix == domain.removesuffix(".onmicrosoft.com"))))


# The worker's ticker asks once a second whether a check is due, and `now` is when the job started,
# a little after its tick: a check due exactly `interval` later would wait for the tick after, making
# a 2 s interval 3 s. Due this much early, the interval is the schedule's (never before a Retry-After).
TICK_SLACK = 0.5


def _later(watch: AuthorizationWatch, now, at_least: float = 0.0, *, pushed: bool = False) -> None:
    watch.interval_seconds = next_interval(watch, now, webhooks=pushed)
    watch.next_check_at = now + timedelta(seconds=max(at_least, watch.interval_seconds - TICK_SLACK))


def a_watch_is_due() -> bool:
    """Asked by the worker's ticker every second, in its own thread and without forking: is any
    watch's check due? The job below is enqueued only then, so an idle worker forks nothing.

    One indexed query on the rows themselves rather than a copy of the schedule in Redis: the rows
    are written in several places (gate.start_waiting, this job, in transactions that may roll
    back), and a Redis copy could drift from them or vanish with a FLUSHDB and silently stop the
    watch. The query reads at most one id and the ticker's app context ends right after the tick,
    which hands the connection back to the pool (one pooled connection per worker process)."""
    return db.session.scalar(db.select(AuthorizationWatch.id).where(
        AuthorizationWatch.status == "waiting", AuthorizationWatch.next_check_at <= utcnow()).limit(1)) is not None


@periodic("poll-authorizations", interval_seconds=1, timeout=120, due=a_watch_is_due)
def poll_authorizations(limit: int = 50) -> dict:
    """Check every watch that is due; publish to the open pages of the drafts whose state changed."""
    now = utcnow()
    due = db.session.scalars(db.select(AuthorizationWatch).where(
        AuthorizationWatch.status == "waiting", AuthorizationWatch.next_check_at <= now)
        .order_by(AuthorizationWatch.next_check_at).limit(limit)).all()
    if not due:
        return {"checked": 0, "verified": 0, "refused": 0, "stopped": 0}
    return check_watches(due, now)


def check_watches(watches: list[AuthorizationWatch], now) -> dict:
    """Check these watches now (the schedule's, or the ones an event named); commit; publish to the
    open pages of the drafts whose state changed."""
    summary = {"checked": 0, "verified": 0, "refused": 0, "stopped": 0}
    clients: dict = {}  # each watch is looked for in its own connection's Partner Center
    pushed = webhooks.arriving()
    changed: list[int] = []
    for watch in watches:
        drafts = _waiting_drafts(watch.domain)
        if not drafts or now - watch.started_at > WATCH_LIFETIME:
            watch.status = "stopped"  # nobody waits any more, or a week passed
            summary["stopped"] += 1
            continue
        watch.checks += 1
        watch.last_checked_at = now
        summary["checked"] += 1
        try:
            client = clients.get(watch.connection) or clients.setdefault(watch.connection, get_client(watch.connection))
            facts = tenancy.read_facts(client, watch.domain)
        except Throttled as error:
            _later(watch, now, error.retry_after or 0, pushed=pushed)
            watch.last_error = str(error)
            continue
        except (PartnerCenterError, UnknownInstance) as error:  # the latter: its connection was removed
            _later(watch, now, pushed=pushed)
            watch.last_error = str(error)
            continue
        watch.last_error = None
        if facts.visible:
            watch.tenant_id = facts.customer_id
        for draft in drafts:
            decision = apply(draft, facts)
            if decision.status != "waiting":
                summary[decision.status] += 1
                changed.append(draft.id)
        if all(draft.authorization_status != "waiting" for draft in drafts):
            watch.status = "done"
        else:
            # Someone still waits: the customer may accept this reseller's request later.
            _later(watch, now, pushed=pushed)
    db.session.commit()
    for draft_id in changed:
        live.publish("checkout", draft_id, "authorization")
    return summary


@webhooks.handles(RELATIONSHIP_ACCEPTED, INDIRECT_RELATIONSHIP_ACCEPTED)
def relationship_accepted(event: WebhookEvent, connection: str) -> dict:
    """Partner Center says a customer accepted a relationship: check the watches of that tenant now,
    through the same gate as polling (the event only says "look now"; the decision per draft is the
    gate's, from what Partner Center shows). Idempotent: a watch already done is not checked again."""
    customer_id = event.customer_id
    if not customer_id:
        return {"checked": 0}
    watches = list(db.session.scalars(db.select(AuthorizationWatch).where(
        AuthorizationWatch.status == "waiting", db.func.lower(AuthorizationWatch.tenant_id) == customer_id)))
    if not watches:
        # A watch learns its tenant id only once the tenant is visible; ask which domain this one is.
        try:
            customer = get_client(connection).get_customer(customer_id)
        except PartnerCenterError as error:
            log.info("webhook event for customer %s: not readable (%s); polling catches up", customer_id, error)
            return {"checked": 0}
        domain = (customer.domain or "").lower()
        watches = list(db.session.scalars(db.select(AuthorizationWatch).where(
            AuthorizationWatch.status == "waiting", AuthorizationWatch.domain == domain)))
    if not watches:
        return {"checked": 0}
    return check_watches(watches, utcnow())
