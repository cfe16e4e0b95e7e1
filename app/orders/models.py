"""Orders and their provisioning steps.

An order is a database row before anything else happens: the provisioning job reads everything it
needs from here (never from the checkout draft), so a crash, a retry or a worker on another host
resumes from the same facts. Each Partner Center call is an OrderStep whose MS-RequestId is stored
before the call and reused until the step has a definite answer.

Statuses and types are named once, here (str enums: the columns hold their values, and a value
read back compares equal to its member).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, CustomerContact, Licensee, User
from app.catalog.models import ProductLine
from app.catalog.terms import seats
from app.enums import LabelledEnum, labelled
from app.extensions import PkModel
from app.time import utcnow, waited


class OrderStatus(LabelledEnum):
    """draft -> processing -> completed; processing <-> querying (waiting for a person); failed."""

    DRAFT = "draft"
    PROCESSING = "processing"
    QUERYING = "querying"
    COMPLETED = "completed"
    FAILED = "failed"


TERMINAL_STATUSES = (OrderStatus.COMPLETED, OrderStatus.FAILED)
# Still on its way: it holds its tenant, and a subscription takes one change at a time.
OPEN_STATUSES = (OrderStatus.PROCESSING, OrderStatus.QUERYING)


class OrderType(LabelledEnum):
    PURCHASE = "purchase"
    CHANGE = "change"                # seats, now or at the renewal
    TERMINATION = "termination"      # cancelling subscriptions
    CONFIGURATION = "configuration"  # auto-renewal, name


class StepStatus(LabelledEnum):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "In progress"
    DONE = "done"
    SKIPPED = "skipped", "Not needed"
    BLOCKED = "blocked", "Needs action"  # the order is querying
    FAILED = "failed"


# A step with nothing left to do.
FINISHED_STEPS = (StepStatus.DONE, StepStatus.SKIPPED)

# A purchase's provisioning steps, in order, with the words the progress list shows. Each is also
# the step's kind: the runner registered under that name runs it (app/orders/engine.py).
PURCHASE_STEPS = ("create_customer", "attest_mca", "create_cart", "checkout", "wait_fulfillment",
                  "record_subscriptions")
STEP_LABELS = {
    "create_customer": "Create the customer tenant",
    "attest_mca": "Record the Microsoft Customer Agreement",
    "create_cart": "Create the cart",
    "checkout": "Place the order at Microsoft",
    "wait_fulfillment": "Wait for Microsoft to fulfil the order",
    "record_subscriptions": "Record the subscriptions",
}


class ChangeAction(StrEnum):
    """What an order line on an existing subscription does to it (OrderLine.change["action"])."""

    QUANTITY = "quantity"      # seats now
    SCHEDULE = "schedule"      # seats from the renewal
    AUTO_RENEW = "auto_renew"
    RENAME = "rename"
    CANCEL = "cancel"


class Order(CustomerContact, PkModel):
    __tablename__ = "orders"

    # ORD-XXXX-XXXX-XXXX: what people read out on the phone.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(16), default=OrderType.PURCHASE)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PROCESSING, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # One order per checkout: a double click or a resubmitted form finds the first order here.
    draft_id: Mapped[int | None] = mapped_column(unique=True)
    # Orders on existing subscriptions (change, configuration, termination): the key the form
    # carried, so a double click or a resubmitted form finds the first order instead of a second.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"), index=True)

    # The customer (ordering parameters): its company and contact are CustomerContact's columns.
    tenant_mode: Mapped[str] = mapped_column(String(16))  # new, existing
    domain: Mapped[str] = mapped_column(String(253), index=True)  # xxx.onmicrosoft.com
    default_domain: Mapped[str | None] = mapped_column(String(253))
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    registration_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[dict | None] = mapped_column(JSON)
    mca: Mapped[dict | None] = mapped_column(JSON)

    # Fulfillment parameters (resellers).
    partner_id: Mapped[str | None] = mapped_column(String(20))
    reseller_tenant_id: Mapped[str | None] = mapped_column(String(64))
    add_to_agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    # The reseller's CSP Partner Program certificate the order was placed with (app/programs).
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    # The buyer moved this order to another existing tenant: Process first asks Partner Center
    # whether that tenant accepted this buyer (app.orders.querying.authorize_tenant).
    needs_authorization: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    authorization_link: Mapped[str | None] = mapped_column(Text)
    partner_center_instance: Mapped[str] = mapped_column(String(64), default="default")

    currency: Mapped[str] = mapped_column(String(3), default="USD")
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))

    # Why the order waits for a person (querying) or failed, in plain words, and what to do.
    reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    steps_to_take: Mapped[list | None] = mapped_column(JSON)
    # Which ordering parameter a person must change, if any ("domain", "registration_id", ...).
    blocked_field: Mapped[str | None] = mapped_column(String(40))

    # Partner Center's identifiers as they become known.
    ms_cart_id: Mapped[str | None] = mapped_column(String(64))
    ms_order_ids: Mapped[list | None] = mapped_column(JSON)
    # The new tenant's first administrator: user name, and the password (encrypted; Microsoft
    # returns it once).
    admin_user_name: Mapped[str | None] = mapped_column(String(254))
    admin_password_encrypted: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    # When the order last became `processing` (placed, Process, Retry): the order deadline of
    # app/orders/deadlines.py counts from here, so time spent querying (waiting for a person) is not held
    # against provisioning. Kept by the listener below, whoever changes the status.
    processing_since: Mapped[datetime | None] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
    user: Mapped[User] = relationship()
    licensee: Mapped[Licensee | None] = relationship()
    certificate: Mapped["Certificate | None"] = relationship("Certificate")
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.position",
                                                    cascade="all, delete-orphan")
    steps: Mapped[list["OrderStep"]] = relationship(back_populates="order", order_by="OrderStep.position",
                                                    cascade="all, delete-orphan")

    status_label = labelled("status", OrderStatus)
    type_label = labelled("type", OrderType)

    # Not a column: True on the instance that submit() (app/orders/placing.py) has just placed in this request.
    # An order placed meanwhile by another request for the same checkout or form (a double click) is returned
    # to the second request without it, so that one leaves finishing the checkout to the first.
    placed_by_this_request = False

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def customer_name(self) -> str:
        return self.company_name

    @property
    def is_reseller_order(self) -> bool:
        return bool(self.partner_id)

    def step(self, name: str) -> "OrderStep | None":
        return next((s for s in self.steps if s.name == name), None)

    @property
    def waiting_for_worker(self) -> str | None:
        """How long ("3 minutes") a processing order has waited for the storefront's worker to begin its first step,
        once that is longer than WORKER_PICKS_UP_WITHIN (a running worker takes an order up within seconds); else
        None. Its page says so, rather than showing every step "Waiting" for as long as the worker is stopped."""
        if self.status != OrderStatus.PROCESSING or not self.processing_since or any(s.attempts for s in self.steps):
            return None
        so_far = utcnow() - self.processing_since
        return waited(so_far) if so_far >= WORKER_PICKS_UP_WITHIN else None

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


WORKER_PICKS_UP_WITHIN = timedelta(minutes=2)


@event.listens_for(Order.status, "set", active_history=True)
def _processing_again(order: Order, value, oldvalue, initiator) -> None:
    if value == OrderStatus.PROCESSING and oldvalue != OrderStatus.PROCESSING:
        order.processing_since = utcnow()


class OrderLine(ProductLine, PkModel):
    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # What is ordered: ProductLine's columns, and these.
    catalog_item_id: Mapped[str] = mapped_column(String(100))
    family: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    # Orders on an existing subscription (app/subscriptions): which one, and what to do to it
    # ({"action": a ChangeAction, "from": ..., "to": ..., "delta": seats added (negative: refunded),
    #   "etag": the subscription's etag when the person saw it}).
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    change: Mapped[dict | None] = mapped_column(JSON)
    # Purchases of Dynamics 365 with the option "Create a new Dynamics subscription for every order":
    # the instance (environment) the buyer named; the new subscription's friendly name at Microsoft.
    instance_name: Mapped[str | None] = mapped_column(String(128))

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        if self.change is not None:
            return (self.unit_price or Decimal("0")) * int(self.change.get("delta") or 0)
        return (self.unit_price or Decimal("0")) * self.quantity

    @property
    def change_label(self) -> str:
        """What the line does to its subscription, in words."""
        change = self.change or {}
        action = change.get("action")
        if action == ChangeAction.QUANTITY:
            before, after = change.get("from"), change.get("to")
            verb = "Add" if after > before else "Reduce"
            text = f"{verb} seats from {before} to {after}"
            if after < before:
                text += f" · refund of {before - after} seat{'s' if before - after != 1 else ''} pro rata"
            return text
        if action == ChangeAction.SCHEDULE:
            return f"At renewal, change seats from {change.get('from')} to {change.get('to')}"
        if action == ChangeAction.AUTO_RENEW:
            return "Turn auto-renewal on" if change.get("to") else "Turn auto-renewal off"
        if action == ChangeAction.RENAME:
            return f"Rename from “{change.get('from')}” to “{change.get('to')}”"
        if action == ChangeAction.CANCEL:
            return f"Cancel the subscription ({seats(change.get('from'))}, refunded pro rata)"
        return ""


class OrderStep(PkModel):
    """One provisioning step of an order and its outcome."""

    __tablename__ = "order_steps"
    __table_args__ = (UniqueConstraint("order_id", "name", name="uq_order_steps_order_name"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(32))
    # Which registered runner runs it (app/orders/engine.py): a purchase step's own name, or the kind
    # an area registered for its steps (e.g. subscriptions' "change_subscription").
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.PENDING)
    # The MS-RequestId of the call in flight: stored before the call, kept until a definite answer.
    ms_request_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Steps of orders on existing subscriptions say what they do ("Reduce seats of ... to 8").
    title: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="steps")

    @property
    def label(self) -> str:
        return self.title or STEP_LABELS.get(self.name, self.name)

    status_label = labelled("status", StepStatus)

