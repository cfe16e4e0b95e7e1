"""In-app notifications: sending them (orders, renewals, deadlines of any area) and reading them.

They belong to users, so they live with the users: every area above accounts may send one without
knowing about the others. Writes flush; the caller (a view or a job) commits.
"""
from __future__ import annotations

from flask import url_for

from app.accounts.models import Account, Notification, User
from app.extensions import db
from app.time import utcnow


def link_to(endpoint: str, fallback: str, **values) -> str:
    """The link a notification carries: built from the endpoint when a request allows it, else the
    path as the worker knows it (a job has no request to build a URL from)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return fallback


def notify(user_id: int, title: str, body: str, link: str | None) -> Notification:
    notification = Notification(user_id=user_id, title=title, body=body, link=link)
    db.session.add(notification)
    return notification


def notify_operator_admins(title: str, body: str, link: str | None = None) -> int:
    """An in-app notification to every active admin of the operator's account(s); returns how many."""
    admins = db.session.scalars(db.select(User).join(Account, User.account_id == Account.id).where(
        Account.kind == "operator", User.role == "admin", User.is_active_user.is_(True))).all()
    for admin in admins:
        notify(admin.id, title[:200], body, link)
    return len(admins)


def unread_count(user: User) -> int:
    return db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


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
