"""Who is told what: the notification categories, each account's settings per category (enabled,
recipients, extra addresses) and each user's email opt-outs.

A category no row mentions has its default (CATEGORIES), so a new account needs no set-up and a
category added later starts with its default everywhere. Writes flush; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import Account
from app.extensions import PkModel, db
from app.time import utcnow

ORDERS, SUBSCRIPTIONS, CATALOG, BILLING, PROGRAMS = "orders", "subscriptions", "catalog", "billing", "programs"

# Who of an account receives a category's notifications. The person concerned (who placed the order
# or asked for the change) is always among them when a notification has one.
CONCERNED, ADMINS, EVERYONE = "concerned", "admins", "everyone"
RECIPIENTS = {
    CONCERNED: "The person concerned (who placed the order or asked for the change); the account admins "
               "when no one person is concerned",
    ADMINS: "The person concerned and the account admins",
    EVERYONE: "Everyone in the account",
}


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    about: str
    enabled: bool  # the default
    recipients: str  # the default


CATEGORIES: dict[str, Category] = {c.key: c for c in (
    Category(ORDERS, "Orders", "An order was placed, completed, failed, or waits for someone to act.", True,
             CONCERNED),
    Category(SUBSCRIPTIONS, "Subscriptions and renewals",
             "A renewal is coming (30 and 7 days before), a change completed, a cancellation window closes "
             "in 48 hours.", True, EVERYONE),
    Category(CATALOG, "Catalog", "Products added or withdrawn, prices changing next month.", False, EVERYONE),
    Category(BILLING, "Billing", "Invoices and payments.", True, ADMINS),
    Category(PROGRAMS, "Programs", "Partner programs and certificates.", True, ADMINS),
)}


def categories_for(kind: str) -> dict[str, Category]:
    """The categories an account of `kind` is offered: partner programs and certificates concern resellers (and
    the operator, which approves them); a direct customer has none."""
    if kind == "customer":
        return {key: category for key, category in CATEGORIES.items() if key != PROGRAMS}
    return CATEGORIES


class NotificationSetting(PkModel):
    """One account's choice for one category; absent means the category's default."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("account_id", "category", name="uq_notification_settings_account_category"),
                      CheckConstraint("recipients IN ('concerned', 'admins', 'everyone')", name="recipients"))

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=True)
    recipients: Mapped[str] = mapped_column(String(16), default=CONCERNED)
    # Addresses outside the account's users that get the emails too (an accounts mailbox, say).
    extra_emails: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationOptOut(PkModel):
    """A user who wants no email of a category (in-app notifications still come)."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "category", name="uq_notification_opt_outs_user_category"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass
class Choice:
    """What an account chose for a category (or the category's default)."""

    category: Category
    enabled: bool
    recipients: str
    extra_emails: list[str] = field(default_factory=list)


def choices_of(account_id: int) -> dict[str, Choice]:
    rows = {row.category: row for row in db.session.scalars(
        db.select(NotificationSetting).where(NotificationSetting.account_id == account_id))}
    out = {}
    for key, category in CATEGORIES.items():
        row = rows.get(key)
        out[key] = (Choice(category, row.enabled, row.recipients, list(row.extra_emails or [])) if row is not None
                    else Choice(category, category.enabled, category.recipients))
    return out


def choice_of(account_id: int, category: str) -> Choice:
    return choices_of(account_id)[category]


def save_choice(account_id: int, category: str, *, enabled: bool, recipients: str,
                extra_emails: list[str]) -> bool:
    """Store an account's choice for a category; True when it changed anything."""
    if category not in CATEGORIES or recipients not in RECIPIENTS:
        raise ValueError(f"unknown category or recipients: {category!r}, {recipients!r}")
    row = db.session.scalar(db.select(NotificationSetting).where(NotificationSetting.account_id == account_id,
                                                                 NotificationSetting.category == category))
    before = choice_of(account_id, category)
    if (before.enabled, before.recipients, before.extra_emails) == (enabled, recipients, extra_emails):
        return False
    if row is None:
        row = NotificationSetting(account_id=account_id, category=category)
        db.session.add(row)
    row.enabled, row.recipients, row.extra_emails = enabled, recipients, list(extra_emails)
    db.session.flush()
    return True


def opted_out(user_id: int) -> set[str]:
    """The categories a user gets no email of."""
    return set(db.session.scalars(db.select(NotificationOptOut.category).where(NotificationOptOut.user_id == user_id)))


def opted_out_users(user_ids: list[int], category: str) -> set[int]:
    if not user_ids:
        return set()
    return set(db.session.scalars(db.select(NotificationOptOut.user_id).where(
        NotificationOptOut.user_id.in_(user_ids), NotificationOptOut.category == category)))


def set_opt_outs(user_id: int, categories: set[str]) -> tuple[set[str], set[str]]:
    """Make the user's opt-outs exactly `categories`; returns (added, removed)."""
    unknown = categories - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    current = opted_out(user_id)
    added, removed = categories - current, current - categories
    for category in added:
        db.session.add(NotificationOptOut(user_id=user_id, category=category))
    if removed:
        db.session.execute(db.delete(NotificationOptOut).where(NotificationOptOut.user_id == user_id,
                                                               NotificationOptOut.category.in_(removed)))
    db.session.flush()
    return added, removed


def accounts_following(category: str) -> list[int]:
    """The accounts that have `category` enabled (by their own choice or the category's default)."""
    rows = dict(db.session.execute(db.select(NotificationSetting.account_id, NotificationSetting.enabled)
                                   .where(NotificationSetting.category == category)).all())
    if not CATEGORIES[category].enabled:
        return sorted(account_id for account_id, enabled in rows.items() if enabled)
    every = db.session.scalars(db.select(Account.id).order_by(Account.id)).all()
    return [account_id for account_id in every if rows.get(account_id, True)]
