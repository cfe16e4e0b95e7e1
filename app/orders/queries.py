"""What the order pages read: the history with its filters, one order for whoever may see it, and
the facts a page shows beside it. Reads only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy import inspect
from sqlalchemy.orm import attributes, joinedload

from app.accounts.models import Account, User
from app.enums import labelled
from app.extensions import db
from app.orders.gdap import GdapRequest
from app.orders.models import Order, OrderLine, OrderStatus, OrderStep, OrderType
from app.orders.placing import DomainInUse, domain_in_use
from app.web.query import ListPage, SearchState
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


ORDERS_PER_PAGE = 50


@dataclass
class OrderFilter(SearchState):
    """The history's search, filters and page, as the address keeps them (the pager's links read `args`).
    `account`: the operator's choice of one account (everyone else reads their own account's only)."""

    account: int | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One row of the order history: the columns its table shows, not the order whole (an Order, with its forty
    columns and JSON, cost more to load than the rest of the list). `account_name` only for the operator's list,
    which names each order's account."""

    number: str
    created_at: datetime
    type: str
    status: str
    company_name: str
    total: Decimal
    currency: str
    account_name: str | None = None

    status_label = labelled("status", OrderStatus)
    type_label = labelled("type", OrderType)


_HISTORY_COLUMNS = (Order.number, Order.created_at, Order.type, Order.status, Order.company_name, Order.total,
                    Order.currency)


@cache
def _visible_orders_statement(one_account: bool, status: bool, date_from: bool, date_to: bool, paged: bool = True,
                              search: bool = False, account_names: bool = False):
    """The order list's statement for one combination of conditions, built once: every order list runs one
    (building a statement and its cache key anew cost about as much as running it). Paged, each row carries
    the history's columns (HistoryRow's, with the account's name for `account_names`) and how many orders the
    conditions select in all (`matching`), so that a page and the count are one statement; not paged (the
    CSV), the orders."""
    if paged:
        names = (Account.name.label("account_name"),) if account_names else ()
        query = db.select(*_HISTORY_COLUMNS, *names, db.func.count().over().label("matching"))
        if account_names:
            query = query.join(Account, Account.id == Order.account_id)
    else:
        query = db.select(Order)
    if one_account:
        query = query.where(Order.account_id == bindparam("account_id"))
    if search:  # a part of the number, the customer's name or the domain, in any case
        query = query.where(db.or_(*(db.func.lower(column).like(bindparam("q"))
                                     for column in (Order.number, Order.company_name, Order.domain))))
    if status:
        query = query.where(Order.status == bindparam("status"))
    if date_from:
        query = query.where(Order.created_at >= bindparam("created_from"))
    if date_to:
        query = query.where(Order.created_at < bindparam("created_before"))
    query = query.order_by(Order.created_at.desc(), Order.id.desc())
    return query.offset(bindparam("offset")).limit(bindparam("limit")) if paged else query


def _selected(user: User, filters: OrderFilter, paged: bool = True):
    """The statement of the orders the user may read that the filters select, and its parameters."""
    own = user.account.kind != "operator"
    params = {}
    if own or filters.account:
        params["account_id"] = user.account_id if own else filters.account
    search = filters.q.strip().lower()
    if search:
        params["q"] = f"%{search}%"
    if filters.status:
        params["status"] = filters.status
    if filters.date_from:
        params["created_from"] = datetime.combine(filters.date_from, datetime.min.time())
    if filters.date_to:
        params["created_before"] = datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time())
    return _visible_orders_statement("account_id" in params, bool(filters.status), bool(filters.date_from), bool(filters.date_to),
                                     paged, bool(search), paged and not own), params


def visible_orders(user: User, filters: OrderFilter | None = None, per_page: int = ORDERS_PER_PAGE) -> ListPage[HistoryRow]:
    """The page `filters.page` of the orders the user may read that the filters select, newest first, and
    how many they are in all (an address may name a page past the last: the last is shown)."""
    filters = filters or OrderFilter()
    statement, params = _selected(user, filters)

    def page_rows(page: int):
        # Columns only: run on the session's connection, without the ORM's handling of a statement (nothing
        # of it applies to columns, and it cost more than running the statement).
        return db.session.connection().execute(statement, params | {"offset": (page - 1) * per_page,
                                                                    "limit": per_page}).all()

    page = max(1, filters.page)
    rows = page_rows(page)
    if not rows and page > 1:  # past the last page: counted on the first page, then the last one read
        first = page_rows(1)
        page = max(1, -(-(first[0].matching if first else 0) // per_page))
        rows = page_rows(page) if page > 1 else first
    total = rows[0].matching if rows else 0
    return ListPage([HistoryRow(*row[:-1]) for row in rows], total, page, max(1, -(-total // per_page)), per_page)


CSV_HEADER = ["Order number", "Date (UTC)", "Type", "Customer", "Tenant", "Status", "Total", "Currency"]


def csv_header(user: User) -> list[str]:
    """The history's CSV columns: the operator's name each order's account too, as its page does."""
    return CSV_HEADER[:3] + ["Account"] + CSV_HEADER[3:] if user.account.kind == "operator" else CSV_HEADER


def csv_rows(user: User, filters: OrderFilter):
    """Every order the filters select (not one page), newest first, as the history's CSV rows; read in
    batches, so that a long history is streamed rather than held."""
    statement, params = _selected(user, filters, paged=False)
    operator = user.account.kind == "operator"
    for order in db.session.scalars(statement.execution_options(yield_per=500), params):
        yield [order.number, order.created_at.strftime("%Y-%m-%d %H:%M"), order.type_label,
               *([order.account.name] if operator else []), order.company_name, order.domain or order.tenant_id or "",
               order.status_label, f"{order.total:.2f}", order.currency]


@cache
def _order_by_number():
    # Built once: every order page asks it. With the user who placed it, whom the order's page names.
    return db.select(Order).options(joinedload(Order.user)).where(Order.number == bindparam("number"))


def find_visible(user: User, number: str) -> Order | None:
    order = db.session.scalar(_order_by_number(), {"number": (number or "").upper()})
    if order is None or not can_view(user, order):
        return None
    return order


@cache
def _order_page_by_number():
    """The order (as `_order_by_number`) and what `gdap.request_for` answers for it, the latest GDAP request of its
    account for its tenant, in one statement (built once): the order's page shows both, and a statement of its own
    cost that page a thirtieth."""
    latest = (db.select(db.func.max(GdapRequest.id))
              .where(GdapRequest.account_id == Order.account_id, GdapRequest.domain == db.func.lower(Order.domain))
              .correlate(Order).scalar_subquery())
    return (_order_by_number().add_columns(GdapRequest)
            .outerjoin(GdapRequest, db.and_(GdapRequest.id == latest, Order.domain != "")))


def find_visible_with_gdap(user: User, number: str) -> tuple[Order, GdapRequest | None] | None:
    """`find_visible`'s order, and its latest GDAP request (`gdap.request_for`'s), or None."""
    row = db.session.execute(_order_page_by_number(), {"number": (number or "").upper()}).first()
    if row is None or not can_view(user, row[0]):
        return None
    return row[0], row[1]


@cache
def _children_of(model):
    """An order's steps or lines, in their order: the statement its relationship lazy-loads, built once (a lazy
    load builds its statement's cache key anew each time, which cost more than running it)."""
    return db.select(model).where(model.order_id == bindparam("order_id")).order_by(model.position)


def load_steps_and_lines(order: Order) -> None:
    """Read the order's steps and lines, which its page always shows, unless they are already: what touching
    `order.steps` and `order.lines` would read, with two statements built once."""
    unloaded = inspect(order).unloaded
    for name, model in (("steps", OrderStep), ("lines", OrderLine)):
        if name in unloaded:
            attributes.set_committed_value(order, name, db.session.scalars(_children_of(model),
                                                                           {"order_id": order.id}).all())


def domain_problem(order: Order) -> str | None:
    """The domain-in-use message for a querying order (shown on both tabs), or None.

    Only a querying order waits on a person who can act on it (change the domain, press Process, which
    checks again: app/orders/querying.py). A processing order is in the worker's hands: its tenant is being
    created or already is (a taken domain then fails that step, which sends the order to querying), so the
    message would say nothing anyone could act on, and its four statements were a third of the order page
    under load (bench/concurrent_pages.py)."""
    if order.status != OrderStatus.QUERYING:
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


# The subscription each line of a purchase created: subscriptions records them and registers its reader here
# (`line_subscriptions_reader`), so this module reads nothing of theirs. A reader answers {line id: subscription
# id} for the subscriptions `user` may open.
LineSubscriptions = Callable[[User, Order], dict[int, int]]
_LINE_SUBSCRIPTIONS: list[LineSubscriptions] = []


def line_subscriptions_reader(reader: LineSubscriptions) -> LineSubscriptions:
    """Register a reader (a decorator, used at import by the area that records subscriptions)."""
    _LINE_SUBSCRIPTIONS.append(reader)
    return reader


def line_subscriptions(user: User, order: Order) -> dict[int, int]:
    """The subscription each line of a completed purchase created, by line id, where `user` may open it.
    Nothing before the purchase completes (its subscriptions are recorded by its last step) nor for a change,
    whose lines name their subscription themselves."""
    if order.type != OrderType.PURCHASE or order.status != OrderStatus.COMPLETED:
        return {}
    found: dict[int, int] = {}
    for reader in _LINE_SUBSCRIPTIONS:
        found.update(reader(user, order))
    return found
