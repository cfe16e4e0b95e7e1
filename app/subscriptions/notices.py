"""Notices about subscriptions, sent through the account's notification settings (category
"subscriptions": in-app, and by email after the job commits):

- renewal coming: 30 and 7 days before a subscription renews (or ends, with auto-renewal off);
- cancellation window closing: 48 hours before the 7-day window of a subscription (or of seats
  added to it) closes, while it is still open.

Each is sent once: what was sent is kept on the subscription (`renewal_notices`).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.accounts.models import Account, User
from app.accounts.notification_settings import SUBSCRIPTIONS
from app.accounts.notifications import link_to, send
from app.audit import services as audit
from app.audit.services import SYSTEM
from app.catalog.terms import seats
from app.extensions import db
from app.subscriptions import window
from app.subscriptions.models import Subscription, SubscriptionStatus

RENEWAL_NOTICE_DAYS = (30, 7)  # notifications before the renewal date
WINDOW_NOTICE = timedelta(hours=48)  # before a cancellation window closes


def subscription_url(sub: Subscription) -> str:
    return link_to("subscriptions.detail", f"/subscriptions/{sub.id}", sub_id=sub.id)


def renewal_notice_text(sub: Subscription, days_left: int) -> tuple[str, str]:
    renewal = sub.commitment_end_date.strftime("%Y-%m-%d")
    if sub.auto_renew:
        title = f"{sub.name} renews on {renewal}"
        body = (f"{sub.name} ({seats(sub.quantity)}, {sub.customer_name}) renews automatically on {renewal}, in "
                f"{days_left} day{'s' if days_left != 1 else ''}. To change its seats for the next term, schedule "
                "the change before then; to let it end, turn auto-renewal off.")
    else:
        title = f"{sub.name} ends on {renewal}"
        body = (f"Auto-renewal of {sub.name} ({seats(sub.quantity)}, {sub.customer_name}) is off: it ends on "
                f"{renewal}, in {days_left} day{'s' if days_left != 1 else ''}, and its licences stop working. "
                "Turn auto-renewal on to keep it.")
    return title, body


def due_for_notice(now: datetime) -> list[int]:
    """The active subscriptions renewing within the longest notice period (ids, oldest first)."""
    horizon = now + timedelta(days=max(RENEWAL_NOTICE_DAYS))
    return db.session.scalars(db.select(Subscription.id).where(
        Subscription.status == SubscriptionStatus.ACTIVE, Subscription.commitment_end_date > now,
        Subscription.commitment_end_date <= horizon).order_by(Subscription.id)).all()


def _buyer(sub: Subscription) -> User | None:
    """Who bought the subscription, when the storefront knows (the person the notice concerns)."""
    return sub.order.user if sub.order is not None and sub.order.user_id else None


def send_notice(sub: Subscription, now: datetime) -> str | None:
    """Tell the owning account of the renewal notice now due for this subscription, once per renewal
    date and notice; returns what was sent ("<subscription>:<days>") or None. Flushes; the job
    commits each notice on its own, and the mail goes out after that commit.
    """
    left = sub.commitment_end_date - now
    done = set(sub.renewal_notices or [])
    due = [d for d in RENEWAL_NOTICE_DAYS if left <= timedelta(days=d)
           and f"{sub.commitment_end_date.date().isoformat()}:{d}" not in done]
    if not due:
        return None
    days_left = max(0, math.ceil(left.total_seconds() / 86400))
    title, body = renewal_notice_text(sub, days_left)
    account = db.session.get(Account, sub.account_id)
    sent = send(SUBSCRIPTIONS, account=account, title=title, body=body, link=subscription_url(sub),
                concerning=_buyer(sub))
    # Every notice up to this one is done (a late first look sends only the nearest).
    marks = {f"{sub.commitment_end_date.date().isoformat()}:{d}" for d in due}
    sub.renewal_notices = sorted(done | marks)
    audit.record("renewal_notice_sent", account=account, subject=sub.ms_subscription_id, origin=SYSTEM,
                 details={"days": min(due), "renewal": sub.commitment_end_date.date().isoformat(),
                          "auto_renew": sub.auto_renew, "told": sent.in_app, "mailed": sent.emailed})
    db.session.flush()
    return f"{sub.ms_subscription_id}:{min(due)}"


# ----------------------------------------------------------------------- cancellation windows

def due_for_window_notice() -> list[int]:
    """Active subscriptions with seats still inside a 7-day window (ids, oldest first): the batches,
    kept as JSON, say when each window closes (send_window_notice)."""
    return db.session.scalars(db.select(Subscription.id).where(
        Subscription.status == SubscriptionStatus.ACTIVE, Subscription.refundable_quantity > 0)
        .order_by(Subscription.id)).all()


def window_notice_text(sub: Subscription, until: datetime, now: datetime, *, cancellable: bool,
                       closing: int) -> tuple[str, str]:
    """`closing`: the seats whose window ends at `until`."""
    left = window.duration_words(until - now)
    if cancellable:
        return (f"Last 48 hours to cancel {sub.name}",
                f"{sub.name} ({seats(sub.quantity)}, {sub.customer_name}) can be cancelled with a refund until "
                f"{window.when(until)}, in {left}. After that it cannot be cancelled before its renewal date, and "
                "its seats can no longer be reduced; to end it then, turn auto-renewal off.")
    return (f"Last 48 hours to reduce seats of {sub.name}",
            f"{seats(closing)} added to {sub.name} ({sub.customer_name}) can be removed with "
            f"a refund until {window.when(until)}, in {left}. After that the subscription keeps them until its "
            "renewal date.")


def send_window_notice(sub: Subscription, now: datetime) -> str | None:
    """Tell the owning account that a 7-day window of this subscription closes within 48 hours, once
    per window; returns "<subscription>:window:<deadline>" or None."""
    done = set(sub.renewal_notices or [])
    closing = [b for b in window.open_batches(sub, now) if b.remaining <= WINDOW_NOTICE
               and f"window:{b.until.isoformat()}" not in done]
    if not closing:
        return None
    batch = closing[0]  # the soonest; a later one gets its own notice when its turn comes
    cancellable = window.can_cancel(sub, now) and sub.cancellation_allowed_until is not None \
        and abs(sub.cancellation_allowed_until - batch.until) < timedelta(minutes=1)
    title, body = window_notice_text(sub, batch.until, now, cancellable=cancellable,
                                     closing=sum(b.quantity for b in closing if b.until == batch.until))
    account = db.session.get(Account, sub.account_id)
    sent = send(SUBSCRIPTIONS, account=account, title=title, body=body, link=subscription_url(sub),
                concerning=_buyer(sub))
    mark = f"window:{batch.until.isoformat()}"
    sub.renewal_notices = sorted(done | {mark})
    audit.record("window_notice_sent", account=account, subject=sub.ms_subscription_id, origin=SYSTEM,
                 details={"closes": batch.until.isoformat(), "cancellable": cancellable, "told": sent.in_app,
                          "mailed": sent.emailed})
    db.session.flush()
    return f"{sub.ms_subscription_id}:{mark}"
