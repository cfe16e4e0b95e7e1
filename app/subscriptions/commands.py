"""The changes people ask for on their subscriptions, each one an order (app.orders) whose job
talks to Partner Center: seats now (more any time, fewer only by seats still inside their 7-day
window), seats at the renewal, auto-renewal, rename, cancellation, and terminating an agreement.

Every command is refused with a message for the field it concerns (Refused) when the rules or the
7-day windows do not allow it, or when the subscription changed since the page was shown (etag).
No request, no templates.
"""
from __future__ import annotations

import functools
from datetime import datetime
from dataclasses import dataclass
from decimal import Decimal

from app.accounts.models import Account, User
from app.audit.services import Origin
from app.catalog.terms import seats
from app.connections.services import partner_center_now
from app.extensions import db
from app.orders.models import ChangeAction, Order, OrderLine, OrderStatus, OrderStep, OrderType, StepStatus
from app.orders.placing import order_for_key, serving_instance, submit
from app.partner_center import new_request_id
from app.subscriptions.agreements import agreement_subscriptions, etags_token
from app.subscriptions.grid import open_order
from app.subscriptions.models import CHANGEABLE_STATUSES, Agreement, Subscription, status_label
from app.subscriptions.steps import CHANGE_STEP
from app.subscriptions.window import (cancel_closed_at, can_cancel, open_batches, reducible, termination_refusal, when,
                                      window_closed_at)

CHANGE_ORDER_TYPES = (OrderType.CHANGE, OrderType.CONFIGURATION, OrderType.TERMINATION)


# ----------------------------------------------------------------------------------- asking for changes

def once_per_form(command):
    """A command sent again with the same request key (a double click, a resubmitted form) returns the
    order the first one placed, before any rule is read again; also when the two were sent at once and the
    first placed its order while this one was checked (refused then as "already on its way" by that order)."""

    @functools.wraps(command)
    def run(*args, request_key: str | None, **kwargs) -> Order:
        placed = order_for_key(request_key)
        if placed is not None:
            return placed
        try:
            return command(*args, request_key=request_key, **kwargs)
        except Refused:
            placed = order_for_key(request_key)
            if placed is not None:
                return placed
            raise

    return run


class Refused(Exception):
    """A change the rules do not allow (or bad input): `message` goes next to `field`.

    `offer` names what the page offers instead: "schedule" (reduce at renewal) or "auto_renew_off".
    """

    def __init__(self, message: str, field: str | None = None, *, offer: str | None = None,
                 status: int = 422):
        super().__init__(message)
        self.message, self.field, self.offer, self.status = message, field, offer, status


STALE = ("This subscription changed since this page was opened (in Partner Center or by someone else), so nothing "
         "was changed. Check its current values below and try again.")


def check_changeable(sub: Subscription, etag: str | None, field: str | None) -> None:
    if sub.status not in CHANGEABLE_STATUSES:
        raise Refused(f"This subscription is {status_label(sub.status).lower()}: it cannot be "
                      "changed.", field)
    pending = open_order(sub)
    if pending is not None:
        raise Refused(f"A change to this subscription is already on its way (order {pending.number}). Wait for it "
                      "to complete, then try again.", field)
    if (etag or "") != (sub.etag or ""):
        raise Refused(STALE, field)


def _whole_number(raw: str | None, what: str, example: int, field: str) -> int:
    """What was typed as a whole number of `what` ("the number of seats"), or Refused at `field`."""
    text = (raw or "").strip()
    if not text:
        raise Refused(f"Enter {what}.", field)
    # int() alone takes "1_2" (a digit separator) as 12.
    if "_" in text:
        raise Refused(f"Enter {what} as a whole number, like {example}.", field)
    try:
        return int(text)
    except ValueError:
        raise Refused(f"Enter {what} as a whole number, like {example}.", field) from None


def parse_quantity(sub: Subscription, raw: str | None) -> int:
    quantity = _whole_number(raw, "the number of seats", sub.quantity, "quantity")
    if quantity < sub.min_quantity:
        raise Refused(f"{sub.sku_title} needs at least {sub.min_quantity} seat{'s' if sub.min_quantity != 1 else ''}.",
                      "quantity")
    if quantity > sub.max_quantity:
        raise Refused(f"{sub.sku_title} allows at most {sub.max_quantity} seats.", "quantity")
    return quantity


def _title(sub: Subscription, words: str) -> str:
    return f"{words} ({sub.name})"


def check_quantity(sub: Subscription, raw_quantity: str | None, etag: str | None) -> int:
    """The seats asked for, or Refused when they cannot be had now: what change_quantity checks before
    placing the order, also asked before the person is asked to confirm a reduction (so nobody confirms
    what will be refused)."""
    quantity = parse_quantity(sub, raw_quantity)
    check_changeable(sub, etag, "quantity")
    if quantity == sub.quantity:
        raise Refused(f"The subscription already has {seats(sub.quantity)}. Enter another number.", "quantity")
    if quantity < sub.quantity:
        now = partner_center_now()
        allowed = reducible(sub, now)
        asked = sub.quantity - quantity
        if asked > allowed:
            closed = window_closed_at(sub, now)
            if allowed:
                open_until = ", ".join(f"{b.quantity} until {when(b.until)}" for b in open_batches(sub, now))
                message = (f"Only {allowed} seat{'s' if allowed != 1 else ''} can be reduced now ({open_until}): "
                           f"seats can be reduced only within 7 days of being added, and the window for the other "
                           f"seats closed on {when(closed)}.")
            elif sub.auto_renew:
                message = (f"Seats can no longer be reduced: the 7-day window closed on {when(closed)}. "
                           "Schedule the reduction for the renewal instead.")
            else:  # no renewal to schedule it for
                message = (f"Seats can no longer be reduced: the 7-day window closed on {when(closed)}. Auto-renewal "
                           f"is off: the subscription ends on its renewal date, {when(sub.commitment_end_date)}.")
            raise Refused(message, "quantity", offer="schedule" if sub.auto_renew else None)
    return quantity


@once_per_form
def change_quantity(sub: Subscription, raw_quantity: str | None, *, etag: str | None, actor: User,
                    origin: Origin, request_key: str | None) -> Order:
    """A change order: add seats any time; reduce only by seats still inside their 7-day window."""
    quantity = check_quantity(sub, raw_quantity, etag)
    delta = quantity - sub.quantity
    words = (f"Add {delta} seat{'s' if delta != 1 else ''}" if delta > 0
             else f"Reduce by {-delta} seat{'s' if delta != -1 else ''}") + f" to {quantity}"
    change = {"action": ChangeAction.QUANTITY, "from": sub.quantity, "to": quantity, "delta": delta, "etag": sub.etag}
    return place_change_order(OrderType.CHANGE, [ChangeLine(sub, change, _title(sub, words))],
                                           actor=actor, origin=origin, request_key=request_key)


@once_per_form
def add_licences(sub: Subscription, raw_count: str | None, *, etag: str | None, actor: User, origin: Origin,
                 request_key: str | None) -> Order:
    """Licences added to a Dynamics 365 instance (app/subscriptions/instances.py): the same change
    order as adding seats (change_quantity), so its rules, audit and provisioning apply."""
    count = _whole_number(raw_count, "the number of licences to add", 5, "licences")
    if count < 1:
        raise Refused("Enter at least 1 licence to add.", "licences")
    room = sub.max_quantity - sub.quantity
    if count > room:
        raise Refused(f"{sub.sku_title} allows at most {sub.max_quantity} licences and this instance has "
                      f"{sub.quantity}: add at most {max(room, 0)}.", "licences")
    try:
        return change_quantity(sub, str(sub.quantity + count), etag=etag, actor=actor, origin=origin,
                               request_key=request_key)
    except Refused as refused:
        field = "licences" if refused.field == "quantity" else refused.field
        raise Refused(refused.message, field, status=refused.status) from None


@once_per_form
def schedule_quantity(sub: Subscription, raw_quantity: str | None, *, etag: str | None, actor: User,
                      origin: Origin, request_key: str | None) -> Order:
    """A change order for the renewal: the next term starts with this many seats (needs auto-renew)."""
    quantity = parse_quantity(sub, raw_quantity)
    check_changeable(sub, etag, "quantity")
    if not sub.auto_renew:
        raise Refused("A change scheduled for the renewal needs auto-renewal on: turn auto-renewal on first.",
                      "quantity")
    if quantity == (sub.scheduled_quantity or sub.quantity):
        raise Refused(f"The next term already starts with {seats(quantity)}.", "quantity")
    change = {"action": ChangeAction.SCHEDULE, "from": sub.quantity, "to": quantity, "delta": 0, "etag": sub.etag}
    return place_change_order(
        OrderType.CHANGE, [ChangeLine(sub, change, _title(sub, f"Schedule {seats(quantity)} for the renewal"))],
        actor=actor, origin=origin, request_key=request_key)


def dropped_schedule(sub: Subscription) -> str | None:
    """What an immediate change (seats now, auto-renewal off) drops, said before it is made: "The change to
    3 seats scheduled for the renewal on 2026-12-30 will be dropped." None without a scheduled change.
    (Partner Center wipes the scheduled next-term instructions on any immediate mid-term change.)"""
    if not sub.scheduled_quantity:
        return None
    on = f" on {sub.commitment_end_date.strftime('%Y-%m-%d')}" if sub.commitment_end_date else ""
    return f"The change to {seats(sub.scheduled_quantity)} scheduled for the renewal{on} will be dropped."


def check_auto_renew(sub: Subscription, enabled: bool, etag: str | None) -> None:
    """Refused when auto-renewal cannot be set so now: what set_auto_renew checks, also asked before the
    person is asked to confirm that turning it off drops a scheduled change."""
    check_changeable(sub, etag, "auto_renew")
    if sub.auto_renew == enabled:
        raise Refused(f"Auto-renewal is already {'on' if enabled else 'off'}.", "auto_renew")


@once_per_form
def set_auto_renew(sub: Subscription, enabled: bool, *, etag: str | None, actor: User, origin: Origin,
                   request_key: str | None) -> Order:
    check_auto_renew(sub, enabled, etag)
    change = {"action": ChangeAction.AUTO_RENEW, "from": sub.auto_renew, "to": enabled, "etag": sub.etag}
    words = "Turn auto-renewal on" if enabled else "Turn auto-renewal off"
    return place_change_order(OrderType.CONFIGURATION, [ChangeLine(sub, change, _title(sub, words))],
                                           actor=actor, origin=origin, request_key=request_key)


@once_per_form
def rename(sub: Subscription, name: str | None, *, etag: str | None, actor: User, origin: Origin,
           request_key: str | None) -> Order:
    name = " ".join((name or "").split())
    if not name:
        raise Refused("Enter a name for the subscription.", "friendly_name")
    if len(name) > 128:
        raise Refused("The name can be at most 128 characters long.", "friendly_name")
    check_changeable(sub, etag, "friendly_name")
    if name == sub.friendly_name:
        raise Refused("That is already the subscription's name.", "friendly_name")
    change = {"action": ChangeAction.RENAME, "from": sub.friendly_name, "to": name, "etag": sub.etag}
    return place_change_order(
        OrderType.CONFIGURATION, [ChangeLine(sub, change, f"Rename “{sub.friendly_name}” to “{name}”")],
        actor=actor, origin=origin, request_key=request_key)


def _cancel_refusal(sub: Subscription, now: datetime) -> str:
    return (f"{sub.name} can no longer be cancelled: a subscription can be cancelled only within 7 days of its "
            f"purchase or renewal, and that window closed on {when(cancel_closed_at(sub, now))}. "
            + (f"It runs until its renewal date, {when(sub.commitment_end_date)}; turn auto-renewal off so that it "
               "ends then." if sub.auto_renew else
               f"Auto-renewal is off: it ends on its renewal date, {when(sub.commitment_end_date)}."))


def check_cancel(sub: Subscription, etag: str | None) -> None:
    """Refused when the subscription cannot be cancelled now: what cancel() checks before placing the
    order, also asked before the person is asked to confirm (so nobody confirms what will be refused)."""
    check_changeable(sub, etag, "cancel")
    now = partner_center_now()
    if not can_cancel(sub, now):
        raise Refused(_cancel_refusal(sub, now), "cancel", offer="auto_renew_off" if sub.auto_renew else None)


@once_per_form
def cancel(sub: Subscription, *, etag: str | None, actor: User, origin: Origin, request_key: str | None) -> Order:
    """A termination order, inside the cancellation window only."""
    check_cancel(sub, etag)
    change = {"action": ChangeAction.CANCEL, "from": sub.quantity, "to": 0, "delta": -sub.quantity, "etag": sub.etag}
    return place_change_order(
        OrderType.TERMINATION, [ChangeLine(sub, change, _title(sub, "Cancel the subscription"))],
        actor=actor, origin=origin, request_key=request_key)


@once_per_form
def terminate_agreement(agreement: Agreement, *, seen: str | None, actor: User, origin: Origin,
                        request_key: str | None) -> Order:
    """One termination order cancelling every active subscription of the agreement."""
    subs = agreement_subscriptions(agreement)
    if not subs:
        raise Refused(f"Agreement {agreement.number} has no active subscriptions to cancel.", "confirm")
    if (seen or "") != etags_token(subs):
        raise Refused("The subscriptions of this agreement changed since this page was opened, so nothing was "
                      "changed. Check the list below and confirm again.", "confirm")
    now = partner_center_now()
    for sub in subs:
        pending = open_order(sub)
        if pending is not None:
            raise Refused(f"A change to {sub.name} is already on its way (order {pending.number}). Wait for it to "
                          "complete, then try again.", "confirm")
    refusal = termination_refusal(subs, now)
    if refusal:
        raise Refused(refusal, "confirm")
    lines = [ChangeLine(s, {"action": ChangeAction.CANCEL, "from": s.quantity, "to": 0, "delta": -s.quantity,
                                   "etag": s.etag}, _title(s, "Cancel the subscription")) for s in subs]
    return place_change_order(OrderType.TERMINATION, lines, actor=actor, origin=origin, request_key=request_key)


# ----------------------------------------------------------------------------------- the order

@dataclass
class ChangeLine:
    """One change to one existing subscription (see OrderLine.change)."""

    subscription: Subscription
    change: dict
    title: str  # the provisioning step's words: "Reduce seats of Contoso Basic from 10 to 8"


@once_per_form
def place_change_order(order_type: OrderType, lines: list[ChangeLine], *, actor: User, origin: Origin,
                       request_key: str | None) -> Order:
    """A change, configuration or termination order on existing subscriptions.

    Like app.orders.placing.place_order: idempotent (per request_key, the key the form carried),
    written and committed before its job is enqueued (the documented exception to "the caller
    commits": a job is never enqueued for an order the database does not hold), provisioned by the
    same engine (one CHANGE_STEP per line, each with its own stored MS-RequestId), tracked on the
    same pages. The customer facts are the purchase order's.
    """
    if order_type not in CHANGE_ORDER_TYPES or not lines:
        raise ValueError("A subscription order needs a type and at least one line.")
    first = lines[0].subscription
    source = first.order
    account = db.session.get(Account, first.account_id)
    order = Order(
        type=order_type, status=OrderStatus.PROCESSING, account_id=first.account_id, user_id=actor.id,
        request_key=request_key, licensee_id=source.licensee_id if source else None,
        company_name=first.customer_name or (source.company_name if source else account.name),
        country=source.country if source else (account.country or "US"),
        contact_first_name=source.contact_first_name if source else actor.name.split(" ")[0],
        contact_last_name=source.contact_last_name if source else " ".join(actor.name.split(" ")[1:]),
        email=source.email if source else (account.email or actor.email), phone=source.phone if source else None,
        tenant_mode="existing", domain=first.tenant_domain or (source.domain if source else ""),
        default_domain=source.default_domain if source else None, tenant_id=first.tenant_id,
        partner_id=source.partner_id if source else None,
        reseller_tenant_id=source.reseller_tenant_id if source else None,
        partner_center_instance=first.partner_center_instance or serving_instance(account),
        currency=first.currency or "USD",
    )
    family = first.agreement.family if first.agreement else "Other"
    total = Decimal("0")
    for position, change_line in enumerate(lines):
        sub = change_line.subscription
        product_id, _, rest = (sub.offer_id or "").partition(":")
        sku_id = rest.split(":")[0]
        unit_price = Decimal(str(sub.unit_price or 0))
        line = OrderLine(
            position=position, product_id=product_id[:32], sku_id=sku_id[:16], catalog_item_id=sub.offer_id,
            product_title=sub.product_title, sku_title=sub.name, family=family,
            term_duration=sub.term_duration or "", billing_plan=sub.billing_plan or "",
            quantity=int(change_line.change.get("to")
                         if change_line.change.get("action") in (ChangeAction.QUANTITY, ChangeAction.SCHEDULE)
                         else sub.quantity),
            unit_price=unit_price, currency=sub.currency or "USD", subscription_id=sub.id,
            change=dict(change_line.change))
        order.lines.append(line)
        total += line.amount
        order.steps.append(OrderStep(position=position, name=f"change_{position + 1}", kind=CHANGE_STEP,
                                     status=StepStatus.PENDING, title=change_line.title[:300],
                                     ms_request_id=new_request_id()))
    order.total = total
    details = {"type": order_type,
               "changes": [{"subscription": l.subscription.ms_subscription_id,
                            **{k: v for k, v in l.change.items() if k != "etag"}} for l in lines]}
    return submit(order, actor=actor, account=account, origin=origin, details=details,
                  placed_meanwhile=lambda: order_for_key(request_key))


def refund_estimate(line: OrderLine) -> Decimal | None:
    """The most a reduction or cancellation refunds (pro rata for the unused days makes it less)."""
    change = line.change or {}
    reduced = -int(change.get("delta") or 0)
    if reduced <= 0 or not line.unit_price:
        return None
    return Decimal(str(line.unit_price)) * reduced
