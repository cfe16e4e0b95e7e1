"""The provisioning steps that belong to subscriptions, registered with the orders' engine:

- "record_subscriptions", a purchase's last step: what Microsoft created, recorded as
  subscriptions in the agreement of their product line;
- CHANGE_STEP, one per line of a change, configuration or termination order: the change applied
  to the subscription at Partner Center (GET, modify, PATCH with the etag the person saw).

The engine stores each step's MS-RequestId before the call and resumes after a crash, a 5xx or a
throttle; a refusal is put in words here.
"""
from __future__ import annotations

from app.catalog.models import Product, Sku
from app.connections.services import partner_center_now
from app.extensions import db
from app.orders.engine import Fail, Wait, register_step_kind
from app.orders.models import ChangeAction, Order, OrderLine, OrderStep
from app.orders.purchase_steps import explain_refusal, record_tenant
from app.orders.queries import licensee_name
from app.partner_center import (EtagMismatch, PartnerCenterError, QuantityCannotBeDecreased, SubscriptionNotReady,
                                subscription_patch_body)
from app.subscriptions.agreements import agreement_for
from app.subscriptions.models import Agreement, Subscription, SubscriptionStatus, line_bought
from app.subscriptions.sync import apply_remote, refresh_one
from app.time import naive_utc

CHANGE_STEP = "change_subscription"


# ----------------------------------------------------------------------------------- recording a purchase

def record_subscriptions(order: Order, step: OrderStep, client) -> dict:
    """A purchase's last step: the subscriptions Microsoft created for its orders, each in the
    agreement of its product line, and the tenant as the buyer's."""
    recorded = []
    agreements: dict[str, Agreement] = {}
    for ms_order_id in order.ms_order_ids or []:
        for sub in client.list_subscriptions(order.tenant_id, order_id=ms_order_id):
            line = _line_bought(order, sub)
            family = line.family if line else "Other"
            agreement = agreements.get(family) or agreement_for(order, family)
            agreements[family] = agreement
            row = db.session.scalar(db.select(Subscription).where(Subscription.ms_subscription_id == sub.id))
            if row is None:
                row = Subscription(ms_subscription_id=sub.id, account_id=order.account_id)
                db.session.add(row)
            row.order_id, row.agreement, row.tenant_id, row.ms_order_id = order.id, agreement, order.tenant_id, ms_order_id
            row.offer_id = sub.offer_id or ""
            row.product_title = line.product_title if line else (sub.offer_name or "")
            row.sku_title = line.sku_title if line else (sub.offer_name or "")
            # A Dynamics 365 instance was created with its name (create_cart sends it as friendlyName).
            row.friendly_name = sub.friendly_name or (line.instance_name if line else None) or row.sku_title
            row.quantity = sub.quantity
            row.term_duration = sub.term_duration or (line.term_duration if line else None)
            row.billing_plan = sub.billing_cycle or (line.billing_plan if line else None)
            row.status = sub.status or SubscriptionStatus.ACTIVE
            row.auto_renew = bool(sub.auto_renew_enabled) if sub.auto_renew_enabled is not None else True
            row.commitment_end_date = naive_utc(sub.commitment_end_date)
            row.cancellation_allowed_until = naive_utc(sub.cancellation_allowed_until_date)
            _record_management_facts(row, order, line, sub)
            recorded.append(sub.id)
    record_tenant(order)
    return {"subscriptions": recorded, "agreements": sorted(a.number for a in agreements.values())}


def _line_bought(order: Order, sub) -> OrderLine | None:
    """The order line a subscription Microsoft created was bought by: its SKU on its term and billing plan
    (else, as before, the order's last line of its SKU)."""
    return line_bought(order.lines, sub.offer_id, sub.term_duration, sub.billing_cycle)


def _record_management_facts(row: Subscription, order: Order, line, sub) -> None:
    """What managing the subscription needs: customer, seat limits, price, and Partner Center's
    state (the 7-day batches, etag...), read as of Partner Center's clock."""
    row.customer_name = licensee_name(order)
    row.tenant_domain = order.domain
    row.partner_center_instance = order.partner_center_instance
    if line is not None:
        row.unit_price, row.currency = line.unit_price, line.currency
        row.min_quantity, row.max_quantity = seat_limits(line.product_id, line.sku_id)
    apply_remote(row, sub, partner_center_now(), audit_outside=False)


def seat_limits(product_id: str, sku_id: str) -> tuple[int, int]:
    """The SKU's minimum and maximum seats from the synchronised catalog (1..10000 unknown)."""
    sku = db.session.scalar(db.select(Sku).join(Product, Sku.product_pk == Product.id)
                            .where(Product.product_id == product_id, Sku.sku_id == sku_id))
    if sku is None:
        return 1, 10000
    return sku.min_quantity or 1, sku.max_quantity or 10000


# ----------------------------------------------------------------------------------- changes

def _line_of(order: Order, step: OrderStep) -> tuple[OrderLine, Subscription]:
    """The order line a change step applies (the step's position is its line's), and its subscription."""
    line = next(line for line in order.lines if line.position == step.position)
    return line, db.session.get(Subscription, line.subscription_id)


def _already_done(action: str, change: dict, remote) -> bool:
    """Does Partner Center already show the change? (A retry after a PATCH whose answer was lost.)"""
    if action == ChangeAction.QUANTITY:
        return remote.quantity == change["to"]
    if action == ChangeAction.SCHEDULE:
        scheduled = remote.scheduled_next_term_instructions
        return scheduled is not None and scheduled.quantity == change["to"]
    if action == ChangeAction.AUTO_RENEW:
        return bool(remote.auto_renew_enabled) == bool(change["to"])
    if action == ChangeAction.RENAME:
        return (remote.friendly_name or "") == change["to"]
    if action == ChangeAction.CANCEL:
        return remote.status == SubscriptionStatus.DELETED
    raise ValueError(f"unknown change {action!r}")


def _body(action: str, change: dict, remote) -> dict:
    """The whole resource as Partner Center gave it, with the change applied (GET, modify, PATCH);
    the client builds it, so what Partner Center holds for the next term is kept."""
    if action == ChangeAction.SCHEDULE:
        return subscription_patch_body(remote, next_term_quantity=change["to"])
    if action == ChangeAction.AUTO_RENEW:
        return subscription_patch_body(remote, auto_renew=bool(change["to"]))
    if action == ChangeAction.RENAME:
        return subscription_patch_body(remote, friendly_name=change["to"])
    if action == ChangeAction.CANCEL:
        return subscription_patch_body(remote, status=SubscriptionStatus.DELETED.value)
    return subscription_patch_body(remote, quantity=change["to"])


def apply_change(order: Order, step: OrderStep, client) -> dict:
    """GET the subscription, apply the line's change, PATCH it with If-Match: the etag the person
    saw (a change made meanwhile answers 400 2055 and nothing is changed), then store the answer."""
    line, sub = _line_of(order, step)
    change = line.change or {}
    action = change.get("action")
    remote = client.get_subscription(sub.tenant_id, sub.ms_subscription_id)
    if _already_done(action, change, remote):
        apply_remote(sub, remote, partner_center_now(), audit_outside=False)
        return {"action": action, "alreadyApplied": True, "quantity": remote.quantity}
    try:
        updated = client.patch_subscription(sub.tenant_id, _body(action, change, remote), etag=change.get("etag"),
                                            request_id=step.ms_request_id)
    except SubscriptionNotReady:
        # An earlier update (answered 202) is still being applied: not a refusal, come back later.
        raise Wait(30, f"Microsoft is still applying an earlier change to {sub.name}; trying again shortly.")
    apply_remote(sub, updated, partner_center_now(), audit_outside=False)
    result = {"action": action, "quantity": updated.quantity, "status": updated.status,
              "autoRenew": updated.auto_renew_enabled}
    if action == ChangeAction.QUANTITY and change["to"] < change["from"]:
        result["refundedSeats"] = change["from"] - change["to"]
    if action == ChangeAction.CANCEL:
        result["refundedSeats"] = change["from"]
    return result


def explain_change_refusal(order: Order, step: OrderStep, error: PartnerCenterError) -> Fail:
    """A definite refusal of a change, in plain words. The subscription is read again, so its page
    shows Partner Center's current state next to the failed order."""
    line, sub = _line_of(order, step)
    change = line.change or {}
    refresh_one(sub)
    if isinstance(error, EtagMismatch):
        return Fail(f"{sub.name} was changed in Partner Center after the change was asked for, so Microsoft "
                     "changed nothing. Its page now shows the current values; ask for the change again if it is "
                     "still needed.", code="2055")
    if isinstance(error, QuantityCannotBeDecreased) or error.code == "800090":
        if change.get("action") == ChangeAction.CANCEL:
            return Fail(f"Microsoft refused to cancel {sub.name}: a subscription can be cancelled only within 7 "
                         "days of its purchase or renewal, and that window has closed. Turn auto-renewal off so "
                         "that it ends at its renewal date.", code="800090")
        return Fail(f"Microsoft refused to reduce the seats of {sub.name}: seats can be reduced only within 7 days "
                     "of being added, and that window has closed for these seats. Schedule the reduction for the "
                     "renewal instead.", code="800090")
    if error.code == "2002":
        return Fail(f"Microsoft refused the number of seats: {sub.sku_title} takes between {sub.min_quantity} and "
                     f"{sub.max_quantity} seats.", code="2002")
    if error.code == "800093":
        return Fail("Microsoft refused the change: a change scheduled for the renewal needs auto-renewal on.",
                     code="800093")
    if error.code == "800091":
        return Fail(f"Microsoft refused the change: {sub.name} is suspended.", code="800091")
    if error.code == "2011":
        return Fail(f"Microsoft refused the change: {sub.name} is cancelled or expired.", code="2011")
    return Fail(f"Microsoft refused the change: {error.description or error}",
                 code=str(error.code) if error.code else None)


register_step_kind("record_subscriptions", record_subscriptions, explain_refusal)
register_step_kind(CHANGE_STEP, apply_change, explain_change_refusal)
