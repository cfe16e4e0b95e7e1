"""Waiting for authorizations: one Partner Center call per watched tenant, on its own schedule."""
from __future__ import annotations

import logging
from datetime import timedelta

from app import live
from app.accounts.models import utcnow
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.checkout.services import WATCH_LIFETIME, mark_authorized, next_interval
from app.connections.services import get_client
from app.extensions import db
from app.jobs.periodic import periodic
from app.partner_center import PartnerCenterError, Throttled

log = logging.getLogger(__name__)


def _waiting_drafts(domain: str) -> list[CheckoutDraft]:
    return list(db.session.scalars(db.select(CheckoutDraft).where(
        CheckoutDraft.status == "open", CheckoutDraft.tenant_mode == "existing",
        CheckoutDraft.authorization_status == "waiting",
        CheckoutDraft.domain_prefix == domain.removesuffix(".onmicrosoft.com"))))


@periodic("poll-authorizations", interval_seconds=1, timeout=120)
def poll_authorizations(limit: int = 50) -> dict:
    """Check every watch that is due; publish to the open pages of the drafts that became authorized."""
    now = utcnow()
    due = db.session.scalars(db.select(AuthorizationWatch).where(
        AuthorizationWatch.status == "waiting", AuthorizationWatch.next_check_at <= now)
        .order_by(AuthorizationWatch.next_check_at).limit(limit)).all()
    summary = {"checked": 0, "verified": 0, "stopped": 0}
    if not due:
        return summary
    client = get_client()
    for watch in due:
        drafts = _waiting_drafts(watch.domain)
        if not drafts or now - watch.started_at > WATCH_LIFETIME:
            watch.status = "stopped"  # nobody waits any more, or a week passed
            summary["stopped"] += 1
            continue
        watch.checks += 1
        watch.last_checked_at = now
        summary["checked"] += 1
        try:
            customer = client.find_customer_by_domain(watch.domain)
        except Throttled as error:
            watch.interval_seconds = next_interval(watch, now)
            watch.next_check_at = now + timedelta(seconds=max(error.retry_after or 0, watch.interval_seconds))
            watch.last_error = str(error)
            continue
        except PartnerCenterError as error:
            watch.interval_seconds = next_interval(watch, now)
            watch.next_check_at = now + timedelta(seconds=watch.interval_seconds)
            watch.last_error = str(error)
            continue
        if customer is None:
            watch.interval_seconds = next_interval(watch, now)
            watch.next_check_at = now + timedelta(seconds=watch.interval_seconds)
            continue
        watch.status = "verified"
        watch.tenant_id = customer.id
        for draft in drafts:
            mark_authorized(draft, customer.id, watch.domain)
        summary["verified"] += len(drafts)
        db.session.commit()
        for draft in drafts:
            live.publish("checkout", draft.id, "authorization")
    db.session.commit()
    return summary
