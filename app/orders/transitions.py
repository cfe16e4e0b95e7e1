"""An order's status changes, with what goes with each: the audit event, the account's notification
(about the buyer: app/accounts/notifications.py decides who else is told, and by email), and the push
to open order pages.

These change objects and leave the commit to the caller (the job or the view); `publish_progress`
goes after that commit, since the page it wakes reads the database.
"""
from __future__ import annotations

import logging

from app import live
from app.accounts.models import User
from app.accounts.notification_settings import ORDERS, SUBSCRIPTIONS
from app.accounts.notifications import link_to, send
from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.orders.models import Order, OrderStatus, OrderType
from app.time import utcnow
from app.web.layout import full_stop

log = logging.getLogger(__name__)


def order_url(order: Order) -> str:
    return link_to("orders.detail", f"/orders/{order.number}", number=order.number)


def notification_category(order: Order) -> str:
    """A purchase is news about orders; a change, termination or configuration about subscriptions."""
    return ORDERS if order.type == OrderType.PURCHASE else SUBSCRIPTIONS


def tell(order: Order, title: str, body: str, steps: list[str] | None = None) -> None:
    """Notify the order's account about it, the buyer concerned."""
    send(notification_category(order), account=order.account, title=title, body=body, link=order_url(order),
         concerning=db.session.get(User, order.user_id) if order.user_id else None, steps=steps)


def announce_placed(order: Order, account, buyer: User) -> None:
    """A purchase was placed (before its first commit, so the account is passed in)."""
    lines = len(order.lines)
    body = (f"{lines} product{'s' if lines != 1 else ''} for {order.company_name}{full_stop(order.company_name)} "
            "Provisioning has started; you will be told when the order completes or needs someone to act.")
    send(ORDERS, account=account, title=f"Order {order.number} placed", body=body, link=order_url(order),
         concerning=buyer)


def publish_progress(order: Order) -> None:
    try:
        live.publish("order", order.id, "progress")
    except Exception:  # pushes are a nicety; the page polls as well
        log.warning("could not publish progress of order %s", order.number, exc_info=True)


def set_querying(order: Order, *, code: str, reason: str, steps: list[str], blocked_field: str | None = None,
                 origin: Origin = SYSTEM) -> None:
    order.status = OrderStatus.QUERYING
    order.reason, order.reason_code, order.steps_to_take, order.blocked_field = reason, code, steps, blocked_field
    audit.record("order_querying", account=order.account, subject=order.number, origin=origin,
                 details={"code": code, "reason": reason})
    tell(order, f"Order {order.number} needs action", reason, steps)


def set_failed(order: Order, reason: str, *, code: str | None = None, origin: Origin = SYSTEM) -> None:
    order.status = OrderStatus.FAILED
    order.reason, order.reason_code, order.steps_to_take, order.blocked_field = reason, code, None, None
    audit.record("order_failed", account=order.account, subject=order.number, origin=origin,
                 details={"code": code, "reason": reason})
    tell(order, f"Order {order.number} failed", reason)


def set_completed(order: Order, subscriptions: int, origin: Origin = SYSTEM, *, summary: str | None = None) -> None:
    """`summary`: what an order on existing subscriptions did, in words (purchases say how many
    subscriptions they created)."""
    order.status = OrderStatus.COMPLETED
    order.completed_at = utcnow()
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_completed", account=order.account, subject=order.number, origin=origin,
                 details={"subscriptions": subscriptions, "type": order.type})
    body = summary or (f"{subscriptions} subscription{'s' if subscriptions != 1 else ''} created for "
                       f"{order.company_name}{full_stop(order.company_name)}")
    title = (f"Order {order.number} completed" if order.type == OrderType.PURCHASE
             else f"Cancellation completed: order {order.number}" if order.type == OrderType.TERMINATION
             else f"Change completed: order {order.number}")
    tell(order, title, body)


def complete(order: Order) -> None:
    """The last step is done: a purchase counts the subscriptions it recorded; an order on existing
    subscriptions says what its lines did."""
    if order.type == OrderType.PURCHASE:
        recorded = order.step("record_subscriptions")
        set_completed(order, len(((recorded.result if recorded else None) or {}).get("subscriptions", [])))
        return
    words = "; ".join(line.change_label for line in order.lines)
    names = ", ".join(dict.fromkeys(line.sku_title for line in order.lines))
    set_completed(order, 0, summary=f"{names}: {words}.")
