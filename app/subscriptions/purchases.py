"""The subscriptions a purchase created, line by line, for the order's page: registered with app.orders
(which reads nothing of this area), so each item links to its subscription."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam

from app.accounts.models import User
from app.extensions import db
from app.orders.models import Order
from app.orders.queries import can_view, line_subscriptions_reader
from app.subscriptions.models import Subscription, line_bought
from app.web.access import Permission, may


@cache
def _bought_by():
    """The columns the match needs of the subscriptions an order bought, not each subscription whole (its
    page asks on every view; built once)."""
    return (db.select(Subscription.id, Subscription.account_id, Subscription.offer_id, Subscription.term_duration,
                      Subscription.billing_plan)
            .where(Subscription.order_id == bindparam("order_id")).order_by(Subscription.id))


@line_subscriptions_reader
def subscriptions_of_lines(user: User, order: Order) -> dict[int, int]:
    """{line id: subscription id} of the subscriptions the purchase created that `user` may open (one now of
    another account, imported there say, is not the buyer's), each matched to its line as it was recorded."""
    if not may(user, Permission.SUBSCRIPTIONS_VIEW):
        return {}
    found: dict[int, int] = {}
    for sub in db.session.connection().execute(_bought_by(), {"order_id": order.id}):
        line = line_bought(order.lines, sub.offer_id, sub.term_duration, sub.billing_plan)
        if line is not None and line.id not in found and can_view(user, sub):
            found[line.id] = sub.id
    return found
