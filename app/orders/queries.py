"""What the order pages read: the history with its filters, one order for whoever may see it, and
the facts a page shows beside it. Reads only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import bindparam

from app.accounts.models import User
from app.extensions import db
from app.orders.models import Order
from app.orders.placing import DomainInUse, domain_in_use
from app.web.secrets import decrypt


def can_view(user: User, row) -> bool:
    """Whether ``user`` may read ``row`` (an order, a subscription, an agreement: anything of one
    account): the operator reads every account's, everyone else only their own."""
    return user.account.kind == "operator" or row.account_id == user.account_id


def can_act(user: User, order: Order) -> bool:
    """Process and edit: the account that placed the order, or an operator admin (operator members
    read, they change nothing)."""
    if user.account.kind == "operator":
        return user.is_account_admin
    return order.account_id == user.account_id


@dataclass
class OrderFilter:
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@cache
def _visible_orders_statement(own: bool, status: bool, date_from: bool, date_to: bool):
    """The order list's statement for one combination of conditions, built once: every order list runs one
    (building a statement and its cache key anew cost about as much as running it)."""
    query = db.select(Order)
    if own:
        query = query.where(Order.account_id == bindparam("account_id"))
    if status:
        query = query.where(Order.status == bindparam("status"))
    if date_from:
        query = query.where(Order.created_at >= bindparam("created_from"))
    if date_to:
        query = query.where(Order.created_at < bindparam("created_before"))
    return query.order_by(Order.created_at.desc(), Order.id.desc()).limit(bindparam("limit"))


def visible_orders(user: User, filters: OrderFilter | None = None, limit: int = 500):
    filters = filters or OrderFilter()
    own = user.account.kind != "operator"
    params = {"limit": limit}
    if own:
        params["account_id"] = user.account_id
    if filters.status:
        params["status"] = filters.status
    if filters.date_from:
        params["created_from"] = datetime.combine(filters.date_from, datetime.min.time())
    if filters.date_to:
        params["created_before"] = datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time())
    statement = _visible_orders_statement(own, bool(filters.status), bool(filters.date_from), bool(filters.date_to))
    return db.session.scalars(statement, params).all()


def find_visible(user: User, number: str) -> Order | None:
    order = db.session.scalar(db.select(Order).where(Order.number == (number or "").upper()))
    if order is None or not can_view(user, order):
        return None
    return order


def domain_problem(order: Order) -> str | None:
    """The domain-in-use message for an order still on its way (shown on both tabs), or None."""
    if order.terminal:
        return None
    reason = domain_in_use(order.account_id, order.licensee_id, order.domain, order.tenant_id,
                           exclude_order_id=order.id, exclude_draft_id=order.draft_id)
    return DomainInUse(reason).message if reason else None


def admin_password(order: Order) -> str | None:
    """The new tenant's first administrator password, for the account that ordered it."""
    if not order.admin_password_encrypted:
        return None
    try:
        return decrypt(order.admin_password_encrypted)
    except ValueError:
        return None


def licensee_name(order: Order) -> str:
    return order.licensee.company_name if order.licensee_id and order.licensee else order.company_name
