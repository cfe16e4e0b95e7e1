"""Notifications: sending them (orders, renewals, deadlines, the catalog: any area) and reading them.

Every notification has a category (notification_settings.CATEGORIES). `send` tells an account:
if the account has the category enabled, each of its recipients for that category gets it in-app,
and by email (app.mail.queue_mail) unless they opted out of that category's email; the account's
extra addresses for the category get the email too, except the address of one of its users who opted
out (their "no" stands). A disabled category sends nothing to the account. The operator's alerts
(`notify_operator_admins`: work stopped at a deadline) always reach every operator admin in-app; their
email follows the same settings and opt-outs.

They belong to users, so they live with the users: every area above accounts may send one without
knowing about the others. Writes flush; the caller (a view or a job) commits, and the mail leaves
after that commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from app.accounts.models import Account, Notification, User
from app.accounts.notification_settings import (CATEGORIES, CONCERNED, EVERYONE, Choice, choice_of,
                                                opted_out_users)
from app.extensions import db
from app.mail import absolute_url, queue_mail
from app.time import utcnow

MAIL_TEMPLATE = "notification"


def link_to(endpoint: str, fallback: str, **values) -> str:
    """The link a notification carries: built from the endpoint when a request allows it, else the
    path as the worker knows it (a job has no request to build a URL from)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return fallback


@dataclass
class Sent:
    """Who was told: users in-app, addresses by email."""

    in_app: list[int] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)


def notify(user_id: int, title: str, body: str, link: str | None, *, category: str) -> Notification:
    """One in-app notification, nothing else (`send` decides who gets what)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown notification category {category!r}")
    notification = Notification(user_id=user_id, category=category, title=title[:200], body=body, link=link)
    db.session.add(notification)
    return notification


def recipients(account: Account, who: str, concerning: User | None = None) -> list[User]:
    """The active users of `account` that `who` (CONCERNED, ADMINS, EVERYONE) names, with the person
    concerned among them when there is one."""
    users = db.session.scalars(db.select(User).where(User.account_id == account.id, User.is_active_user.is_(True))
                               .order_by(User.id)).all()
    concerned = [u for u in users if concerning is not None and u.id == concerning.id]
    if who == EVERYONE:
        return users
    if who == CONCERNED and concerned:
        return concerned
    return [u for u in users if u.is_account_admin or u in concerned]


def send(category: str, *, account: Account, title: str, body: str, link: str | None = None,
         concerning: User | None = None, steps: list[str] | None = None) -> Sent:
    """Tell `account` about something of `category` (see the module's docstring). `concerning`: the
    person it is about (who placed the order); `steps`: what to do, listed in the email."""
    choice = choice_of(account.id, category)
    if not choice.enabled:
        return Sent()
    users = recipients(account, choice.recipients, concerning)
    for user in users:
        notify(user.id, title, body, link, category=category)
    sent = Sent(in_app=[u.id for u in users])
    sent.emailed = _mail(choice, account, users, title, body, link, steps)
    return sent


def notify_operator_admins(title: str, body: str, link: str | None = None, *, category: str) -> int:
    """Tell every active admin of the operator's account(s) in-app, and by email per the operator's
    settings and their opt-outs; returns how many admins."""
    admins = db.session.scalars(db.select(User).join(Account, User.account_id == Account.id).where(
        Account.kind == "operator", User.role == "admin", User.is_active_user.is_(True)).order_by(User.id)).all()
    for admin in admins:
        notify(admin.id, title, body, link, category=category)
    for account_id in dict.fromkeys(a.account_id for a in admins):
        choice = choice_of(account_id, category)
        if choice.enabled:
            _mail(choice, db.session.get(Account, account_id), [a for a in admins if a.account_id == account_id],
                  title, body, link, None)
    return len(admins)


def _mail(choice: Choice, account: Account, users: list[User], title: str, body: str, link: str | None,
          steps: list[str] | None) -> list[str]:
    category = choice.category.key
    quiet = opted_out_users([u.id for u in users], category)
    context = {"title": title, "body": body, "steps": steps or [], "link": absolute_url(link) if link else None,
               "account_name": account.name, "category_label": choice.category.label,
               "preferences_url": absolute_url("/profile/notifications")}
    emailed: list[str] = []
    for user in users:
        if user.id not in quiet and user.email and user.email not in emailed:
            queue_mail(to=user.email, subject=title, template=MAIL_TEMPLATE, context={**context, "to_user": True},
                       category=category, account_id=account.id, user_id=user.id)
            emailed.append(user.email)
    # An extra address that is a user's own (of this account) follows that user's opt-out: the account
    # listing it does not overrule their "no".
    declined = _declined_addresses(account, category, set(choice.extra_emails) - set(emailed))
    for address in choice.extra_emails:
        if address not in emailed and address not in declined:
            queue_mail(to=address, subject=title, template=MAIL_TEMPLATE, context={**context, "to_user": False},
                       category=category, account_id=account.id)
            emailed.append(address)
    return emailed


def _declined_addresses(account: Account, category: str, addresses: set[str]) -> set[str]:
    """Those of `addresses` that belong to a user of `account` who opted out of `category`'s email."""
    if not addresses:
        return set()
    owners = dict(db.session.execute(db.select(User.id, User.email).where(
        User.account_id == account.id, db.func.lower(User.email).in_(addresses))).all())
    return {owners[user_id].lower() for user_id in opted_out_users(list(owners), category)}


def unread_count_expression(user_id):
    """The number of unread notifications of the user `user_id` (a value or a bind parameter), as a
    scalar SQL expression."""
    return db.select(db.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery()



def notifications_of(user: User, limit: int = 100) -> list[Notification]:
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()))
    return result.rowcount or 0
