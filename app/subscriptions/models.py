"""Subscriptions and the agreements that hold them.

A subscription is Partner Center's; the row is the storefront's copy of it, as last read (the
refresh job and every change keep it in step, so pages never call Microsoft). Its status is
Partner Center's word for it; `SubscriptionStatus` names the words the storefront acts on.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, Licensee
from app.enums import LabelledEnum, label_of
from app.extensions import PkModel
from app.orders.models import Order
from app.time import utcnow


class SubscriptionStatus(LabelledEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted", "Cancelled"
    EXPIRED = "expired"
    PENDING = "pending"
    DISABLED = "disabled"


# Only an active subscription takes changes; cancelled and expired ones are no longer read.
CHANGEABLE_STATUSES = (SubscriptionStatus.ACTIVE,)
ENDED_STATUSES = (SubscriptionStatus.DELETED, SubscriptionStatus.EXPIRED)


def status_label(status: str | None) -> str:
    return label_of(SubscriptionStatus, status)


class Agreement(PkModel):
    """The commercial container of one licensee (or direct customer) + tenant + product line."""

    __tablename__ = "agreements"

    number: Mapped[str] = mapped_column(String(20), unique=True)  # AGR-XXXX-XXXX
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"), index=True)
    tenant_domain: Mapped[str] = mapped_column(String(253), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    family: Mapped[str] = mapped_column(String(64))
    # The order that created it (a plain number: orders point at agreements, not the other way).
    order_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
    licensee: Mapped[Licensee | None] = relationship()
    subscriptions: Mapped[list["Subscription"]] = relationship(back_populates="agreement",
                                                               order_by="Subscription.id")

    @property
    def customer_name(self) -> str:
        return self.licensee.company_name if self.licensee else self.account.name


class Subscription(PkModel):
    """A Partner Center subscription the storefront created, with its state as last read from
    Partner Center (the refresh job and every change keep it in step; pages never call Microsoft).

    Times that come from Partner Center (renewal date, the 7-day windows, `pc_refreshed_at`) are
    Partner Center's clock, naive UTC; in sandbox mode that is the sandbox's clock, which tests move.
    """

    __tablename__ = "subscriptions"

    ms_subscription_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    ms_order_id: Mapped[str | None] = mapped_column(String(64))
    offer_id: Mapped[str] = mapped_column(String(100))
    product_title: Mapped[str] = mapped_column(String(300))
    sku_title: Mapped[str] = mapped_column(String(300))
    friendly_name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    term_duration: Mapped[str | None] = mapped_column(String(8))
    billing_plan: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.ACTIVE)
    auto_renew: Mapped[bool] = mapped_column(default=True)
    # The renewal date: Partner Center's commitmentEndDate.
    commitment_end_date: Mapped[datetime | None] = mapped_column(index=True)
    cancellation_allowed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Who and what, copied when recorded, so the grid sorts and filters without joins.
    customer_name: Mapped[str | None] = mapped_column(String(200), index=True)
    tenant_domain: Mapped[str | None] = mapped_column(String(253))
    partner_center_instance: Mapped[str] = mapped_column(String(64), default="default")
    # Seat limits of the SKU, and the price per seat the purchase was made at (refund estimates).
    min_quantity: Mapped[int] = mapped_column(default=1)
    max_quantity: Mapped[int] = mapped_column(default=10000)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    # Partner Center's state beyond the basics.
    effective_start_date: Mapped[datetime | None]
    # Seats still inside their own 7-day window: [{"quantity": 2, "allowedUntil": "2025-03-08T10:00:00"}].
    refundable_batches: Mapped[list | None] = mapped_column(JSON)
    refundable_quantity: Mapped[int] = mapped_column(default=0)
    scheduled_quantity: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(String(64))
    # When the storefront last read it (storefront clock) and Partner Center's time then.
    refreshed_at: Mapped[datetime | None] = mapped_column(index=True)
    pc_refreshed_at: Mapped[datetime | None]
    # Notices already sent: renewals ("<renewal date>:30", "<renewal date>:7") and closing 7-day windows
    # ("window:<deadline>").
    renewal_notices: Mapped[list | None] = mapped_column(JSON)

    agreement: Mapped[Agreement | None] = relationship(back_populates="subscriptions")
    order: Mapped[Order | None] = relationship()
    account: Mapped[Account] = relationship()

    @property
    def name(self) -> str:
        return self.friendly_name or self.sku_title

    def bought_by(self, line) -> bool:
        """Was this subscription bought by this line of its purchase? (Its SKU, term and billing plan.)"""
        return buys(line, self.offer_id, self.term_duration, self.billing_plan)


def same_sku(line, offer_id: str | None) -> bool:
    """An order line of the SKU a Microsoft offer id ('product:sku:availability') names."""
    return f"{line.product_id}:{line.sku_id}".lower() == ":".join((offer_id or "").lower().split(":")[:2])


def buys(line, offer_id: str | None, term_duration: str | None, billing_plan: str | None) -> bool:
    """An order line buys the subscription of this offer on this term and billing plan: one order may buy a
    SKU twice (billed monthly and annually, say), each line with its own seats and price."""
    return same_sku(line, offer_id) and ((line.term_duration or "").upper(), (line.billing_plan or "").lower()) == (
        (term_duration or "").upper(), (billing_plan or "").lower())


def line_bought(lines, offer_id: str | None, term_duration: str | None, billing_plan: str | None):
    """The line of a purchase (of `lines`) that bought the subscription of this offer on this term and billing
    plan; else, as before the lines told them apart, the last line of its SKU; None when no line has its SKU."""
    for line in lines:
        if buys(line, offer_id, term_duration, billing_plan):
            return line
    same = [line for line in lines if same_sku(line, offer_id)]
    return same[-1] if same else None
