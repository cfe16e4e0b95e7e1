"""Renewal notices: every user of the owning account is told 14 and 7 days before a subscription
renews (or ends, with auto-renewal off), in-app and by email (app/mail: queued with the notice,
delivered after the job commits, retried while the mail server is down).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.accounts.models import Account, User
from app.accounts.notifications import link_to, notify
from app.audit import services as audit
from app.audit.services import SYSTEM
from app.extensions import db
from app.mail import absolute_url, queue_mail
from app.subscriptions.models import Subscription, SubscriptionStatus

RENEWAL_NOTICE_DAYS = (14, 7)  # notifications before the renewal date


def subscription_url(sub: Subscription) -> str:
    return link_to("subscriptions.detail", f"/subscriptions/{sub.id}", sub_id=sub.id)


def renewal_notice_text(sub: Subscription, days_left: int) -> tuple[str, str]:
    renewal = sub.commitment_end_date.strftime("%Y-%m-%d")
    if sub.auto_renew:
        title = f"{sub.name} renews on {renewal}"
        body = (f"{sub.name} ({sub.quantity} seats, {sub.customer_name}) renews automatically on {renewal}, in "
                f"{days_left} day{'s' if days_left != 1 else ''}. To change its seats for the next term, schedule "
                "the change before then; to let it end, turn auto-renewal off.")
    else:
        title = f"{sub.name} ends on {renewal}"
        body = (f"Auto-renewal of {sub.name} ({sub.quantity} seats, {sub.customer_name}) is off: it ends on "
                f"{renewal}, in {days_left} day{'s' if days_left != 1 else ''}, and its licences stop working. "
                "Turn auto-renewal on to keep it.")
    return title, body


def due_for_notice(now: datetime) -> list[int]:
    """The active subscriptions renewing within the longest notice period (ids, oldest first)."""
    horizon = now + timedelta(days=max(RENEWAL_NOTICE_DAYS))
    return db.session.scalars(db.select(Subscription.id).where(
        Subscription.status == SubscriptionStatus.ACTIVE, Subscription.commitment_end_date > now,
        Subscription.commitment_end_date <= horizon).order_by(Subscription.id)).all()


def send_notice(sub: Subscription, now: datetime) -> str | None:
    """Notify every user of the owning account of the notice now due for this subscription (in-app
    and by email), once per renewal date and notice; returns what was sent ("<subscription>:<days>")
    or None. Each email is its own message: a refused address fails alone, in the mail log. Flushes;
    the job commits each notice on its own, and the mail goes out after that commit.
    """
    left = sub.commitment_end_date - now
    done = set(sub.renewal_notices or [])
    due = [d for d in RENEWAL_NOTICE_DAYS if left <= timedelta(days=d)
           and f"{sub.commitment_end_date.date().isoformat()}:{d}" not in done]
    if not due:
        return None
    days_left = max(0, math.ceil(left.total_seconds() / 86400))
    title, body = renewal_notice_text(sub, days_left)
    users = db.session.scalars(db.select(User).where(User.account_id == sub.account_id).order_by(User.id)).all()
    for user in users:
        notify(user.id, title, body, subscription_url(sub))
    mailed = []
    for user in users:
        if user.email:
            queue_mail(to=user.email, subject=title, template="renewal_notice", category="subscriptions",
                       context={"body": body, "link": absolute_url(subscription_url(sub))},
                       account_id=sub.account_id, user_id=user.id)
            mailed.append(user.email)
    # Every notice up to this one is done (a late first look sends only the nearest).
    marks = {f"{sub.commitment_end_date.date().isoformat()}:{d}" for d in due}
    sub.renewal_notices = sorted(done | marks)
    audit.record("renewal_notice_sent", account=db.session.get(Account, sub.account_id),
                 subject=sub.ms_subscription_id, origin=SYSTEM,
                 details={"days": min(due), "renewal": sub.commitment_end_date.date().isoformat(),
                          "auto_renew": sub.auto_renew, "mailed": mailed})
    db.session.flush()
    return f"{sub.ms_subscription_id}:{min(due)}"

