"""What the subscription pages read: the grid (sort, filter, search, pages, state in the URL), one
subscription for whoever may see it, the orders that touched it, and the renewals coming up.
Reads only; never Partner Center (the stored state is kept in step by app/subscriptions/sync.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.accounts.models import User
from app.connections.services import partner_center_now
from app.extensions import db
from app.orders.models import OPEN_STATUSES, Order, OrderLine
from app.orders.queries import can_view
from app.subscriptions.models import ENDED_STATUSES, Subscription, SubscriptionStatus
from app.time import on_days
from app.web.query import ListPage, SearchState, page_of

RENEWALS_AHEAD_DAYS = 30       # the home page's "Renewals in the next 30 days"
PER_PAGE = 25


# ----------------------------------------------------------------------------------- who sees what

def visible_query(user: User):
    query = db.select(Subscription)
    if user.account.kind != "operator":
        query = query.where(Subscription.account_id == user.account_id)
    return query


def find_visible(user: User, sub_id: int) -> Subscription | None:
    sub = db.session.get(Subscription, sub_id)
    return sub if sub is not None and can_view(user, sub) else None


def orders_of(sub: Subscription) -> list[Order]:
    """The orders that touched the subscription: its purchase, and every change since."""
    touched = db.select(OrderLine.order_id).where(OrderLine.subscription_id == sub.id)
    query = db.select(Order).where(db.or_(Order.id.in_(touched), Order.id == sub.order_id))
    return db.session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc())).all()


def open_order(sub: Subscription) -> Order | None:
    """An order on this subscription still on its way (only one change at a time)."""
    query = (db.select(Order).join(OrderLine, OrderLine.order_id == Order.id)
             .where(OrderLine.subscription_id == sub.id, Order.status.in_(OPEN_STATUSES))
             .order_by(Order.id.desc()))
    return db.session.scalars(query).first()


# ----------------------------------------------------------------------------------- the grid

SORTS = {
    "name": Subscription.friendly_name, "product": Subscription.product_title,
    "customer": Subscription.customer_name, "tenant": Subscription.tenant_domain,
    "seats": Subscription.quantity, "term": Subscription.term_duration, "billing": Subscription.billing_plan,
    "status": Subscription.status, "auto_renew": Subscription.auto_renew, "renewal": Subscription.commitment_end_date,
}
DEFAULT_SORT = "renewal"


@dataclass
class GridFilters(SearchState):
    account: int | None = None  # the operator's choice of one account
    status: str = ""
    customer: str = ""
    product: str = ""
    renewal_from: date | None = None
    renewal_to: date | None = None
    sort: str = DEFAULT_SORT
    direction: str = "asc"

    def sort_args(self, column: str) -> dict:
        """Clicking a column header: sort by it, or flip the direction when it is the current one."""
        direction = "desc" if column == self.sort and self.direction == "asc" else "asc"
        return self.args(sort=column, direction=direction, page=1)


def search(user: User, filters: GridFilters, per_page: int = PER_PAGE) -> ListPage[Subscription]:
    query = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        query = query.where(db.or_(*(db.func.lower(column).like(like) for column in (
            Subscription.friendly_name, Subscription.product_title, Subscription.sku_title,
            Subscription.customer_name, Subscription.tenant_domain, Subscription.ms_subscription_id))))
    if filters.account:
        query = query.where(Subscription.account_id == filters.account)
    if filters.status:
        query = query.where(Subscription.status == filters.status)
    if filters.customer:
        query = query.where(Subscription.customer_name == filters.customer)
    if filters.product:
        query = query.where(Subscription.product_title == filters.product)
    if filters.renewal_from or filters.renewal_to:
        # A cancelled or expired subscription keeps its term's end date but renews no more (its row says
        # None), so "Renewals in the next 30 days" and the renewal date filters leave it out.
        query = query.where(Subscription.status.notin_(ENDED_STATUSES),
                            *on_days(Subscription.commitment_end_date, filters.renewal_from, filters.renewal_to))
    column = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    ordered = column.desc() if filters.direction == "desc" else column.asc()
    # Missing renewal dates last either way; the id keeps pages stable.
    return page_of(query.order_by(column.is_(None), ordered, Subscription.id), filters.page, per_page)


def filter_choices(user: User, account: int | None = None) -> dict[str, list[str]]:
    """The grid's Customer and Product choices: those of every visible subscription, or of `account`'s only when
    the operator has chosen one (another account's would select nothing)."""
    base = visible_query(user).subquery()
    of_account = [base.c.account_id == account] if account else []

    def choices(column) -> list[str]:
        return [v for v in db.session.scalars(db.select(column).where(*of_account).distinct().order_by(column)) if v]

    return {"customers": choices(base.c.customer_name), "products": choices(base.c.product_title)}


def renewals_soon(user: User, days: int = RENEWALS_AHEAD_DAYS, limit: int = 20) -> list[Subscription]:
    """Active subscriptions whose renewal date falls in the next `days` days (Partner Center's clock)."""
    now = partner_center_now()
    query = visible_query(user).where(Subscription.status == SubscriptionStatus.ACTIVE,
                                      Subscription.commitment_end_date >= now,
                                      Subscription.commitment_end_date <= now + timedelta(days=days))
    return db.session.scalars(query.order_by(Subscription.commitment_end_date, Subscription.id).limit(limit)).all()


def renewals_range(days: int = RENEWALS_AHEAD_DAYS) -> tuple[date, date]:
    today = partner_center_now().date()
    return today, today + timedelta(days=days)
