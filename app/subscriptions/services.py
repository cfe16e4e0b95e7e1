"""The rules of managing subscriptions after purchase: the grid, the new-commerce 7-day windows,
the changes people ask for (each one an order through app.orders), renewals, and keeping the
stored state in step with Partner Center.

No request, no templates. Pages read the stored state only; Partner Center is called by the
jobs (app/subscriptions/jobs.py): the periodic refresh, and the order job after each change.

Two clocks. The storefront's (utcnow) stamps orders and audit events. Partner Center's stamps
everything Partner Center decides: renewal dates and the 7-day windows of seat batches. In
sandbox mode the sandbox keeps its own clock, which demos and tests move forward
(`advance_clock`), so "is this window still open" must be asked against Partner Center's time:
`pc_now()`.
"""
from __future__ import annotations

import logging
import math
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage

from flask import current_app, url_for

from app.accounts.models import Account, User, utcnow
from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.orders import services as orders
from app.orders.models import Agreement, Order, OrderLine, Subscription

log = logging.getLogger(__name__)

COUNTDOWN_HOURS = 48           # under this, the page shows how long a window has left
RENEWAL_NOTICE_DAYS = (14, 7)  # notifications before the renewal date
RENEWALS_AHEAD_DAYS = 30       # the home page's "Renewals in the next 30 days"
PER_PAGE = 25
OPEN_ORDER_STATUSES = ("processing", "querying")
CHANGEABLE_STATUSES = ("active",)

STATUS_LABELS = {"active": "Active", "suspended": "Suspended", "deleted": "Cancelled", "expired": "Expired",
                 "pending": "Pending", "disabled": "Disabled"}


# ----------------------------------------------------------------------------------- Partner Center's clock

def naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def pc_now() -> datetime:
    """Partner Center's "now" (naive UTC), to compare with the windows and dates it gave us: the
    connections area knows where it comes from (app.connections.services.partner_center_now)."""
    from app.connections.services import partner_center_now

    return partner_center_now()


# ----------------------------------------------------------------------------------- stored state

TRACKED = ("status", "quantity", "auto_renew", "friendly_name", "commitment_end_date", "scheduled_quantity")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def apply_remote(row: Subscription, remote, pc_time: datetime, *, audit_outside: bool = True) -> dict:
    """Copy Partner Center's view of a subscription (a partner_center Subscription) onto the row.

    Returns the tracked fields that changed ({field: {"from", "to"}}). With `audit_outside`, a
    change is one the storefront did not make (the storefront refreshes the row after each of
    its own changes), so it is recorded in the audit log.
    """
    before = {name: getattr(row, name) for name in TRACKED}
    row.quantity = remote.quantity
    row.status = remote.status or row.status or "active"
    if remote.auto_renew_enabled is not None:
        row.auto_renew = bool(remote.auto_renew_enabled)
    if remote.friendly_name:
        row.friendly_name = remote.friendly_name
    if remote.term_duration:
        row.term_duration = remote.term_duration
    if remote.billing_cycle:
        row.billing_plan = remote.billing_cycle
    row.commitment_end_date = naive_utc(remote.commitment_end_date) or row.commitment_end_date
    row.cancellation_allowed_until = naive_utc(remote.cancellation_allowed_until_date)
    row.effective_start_date = naive_utc(remote.effective_start_date) or row.effective_start_date
    refundable = remote.refundable_quantity
    batches = []
    if refundable is not None:
        batches = [{"quantity": quantity, "allowedUntil": _iso(naive_utc(until))}
                   for quantity, until in refundable.details if quantity and until]
    row.refundable_batches = batches
    row.refundable_quantity = refundable.total_quantity if refundable is not None else 0
    scheduled = remote.scheduled_next_term_instructions
    row.scheduled_quantity = scheduled.quantity if scheduled is not None else None
    row.etag = remote.etag or row.etag
    row.refreshed_at = utcnow()
    row.pc_refreshed_at = pc_time
    changed = {name: {"from": _plain(before[name]), "to": _plain(getattr(row, name))}
               for name in TRACKED if before[name] != getattr(row, name)}
    if changed and audit_outside and row.id is not None:
        audit.record("subscription_changed_in_partner_center", account=row.account, subject=row.ms_subscription_id,
                     details={"subscription": row.name, **changed})
    return changed


def _plain(value):
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def seat_limits(product_id: str, sku_id: str) -> tuple[int, int]:
    """The SKU's minimum and maximum seats from the synchronised catalog (1..10000 unknown)."""
    from app.catalog.models import Product, Sku

    sku = db.session.scalar(db.select(Sku).join(Product, Sku.product_pk == Product.id)
                            .where(Product.product_id == product_id, Sku.sku_id == sku_id))
    if sku is None:
        return 1, 10000
    return sku.min_quantity or 1, sku.max_quantity or 10000


# ----------------------------------------------------------------------------------- the 7-day windows

@dataclass
class Batch:
    quantity: int
    until: datetime
    remaining: timedelta

    @property
    def open(self) -> bool:
        return self.remaining > timedelta(0)

    @property
    def countdown(self) -> str | None:
        """"1 day 3 hours" / "5 hours 12 minutes" when under 48 hours, else None."""
        if not self.open or self.remaining > timedelta(hours=COUNTDOWN_HOURS):
            return None
        return duration_words(self.remaining)


def duration_words(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def batches(sub: Subscription, now: datetime) -> list[Batch]:
    """The stored seat batches with their 7-day deadlines, soonest deadline first."""
    out = []
    for item in sub.refundable_batches or []:
        try:
            until = datetime.fromisoformat(item["allowedUntil"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(Batch(int(item.get("quantity") or 0), until, until - now))
    return sorted(out, key=lambda b: b.until)


def open_batches(sub: Subscription, now: datetime) -> list[Batch]:
    if sub.status not in CHANGEABLE_STATUSES:
        return []
    return [b for b in batches(sub, now) if b.open and b.quantity > 0]


def reducible(sub: Subscription, now: datetime) -> int:
    """Seats that can be reduced right now (still inside their own 7-day window)."""
    return sum(b.quantity for b in open_batches(sub, now))


def can_cancel(sub: Subscription, now: datetime) -> bool:
    """New commerce: cancel only while every seat is inside its window (and the subscription's
    cancellation date has not passed)."""
    if sub.status not in CHANGEABLE_STATUSES:
        return False
    if sub.cancellation_allowed_until is not None and sub.cancellation_allowed_until <= now:
        return False
    return reducible(sub, now) >= sub.quantity


def window_closed_at(sub: Subscription, now: datetime) -> datetime | None:
    """When the window of the seats that can no longer be reduced closed."""
    closed = [b.until for b in batches(sub, now) if not b.open]
    if sub.cancellation_allowed_until and sub.cancellation_allowed_until <= now:
        closed.append(sub.cancellation_allowed_until)
    return max(closed) if closed else None


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown date"


@dataclass
class Window:
    """What the details page says about the cancellation window."""

    now: datetime
    cancel_until: datetime | None
    cancel_countdown: str | None
    batches: list[Batch]
    reducible: int
    closed_at: datetime | None


def window(sub: Subscription, now: datetime | None = None) -> Window:
    now = now or pc_now()
    cancellable = can_cancel(sub, now)
    until = sub.cancellation_allowed_until if cancellable else None
    countdown = None
    if until is not None:
        countdown = Batch(0, until, until - now).countdown
    return Window(now=now, cancel_until=until, cancel_countdown=countdown, batches=open_batches(sub, now),
                  reducible=reducible(sub, now), closed_at=window_closed_at(sub, now))


# ----------------------------------------------------------------------------------- who sees what

def visible_query(user: User):
    query = db.select(Subscription)
    if user.account.kind != "operator":
        query = query.where(Subscription.account_id == user.account_id)
    return query


def find_visible(user: User, sub_id: int) -> Subscription | None:
    sub = db.session.get(Subscription, sub_id)
    if sub is None:
        return None
    if user.account.kind != "operator" and sub.account_id != user.account_id:
        return None
    return sub


def find_agreement(user: User, number: str) -> Agreement | None:
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == (number or "").upper()))
    if agreement is None:
        return None
    if user.account.kind != "operator" and agreement.account_id != user.account_id:
        return None
    return agreement


def orders_of(sub: Subscription) -> list[Order]:
    """The orders that touched the subscription: its purchase, and every change since."""
    touched = db.select(OrderLine.order_id).where(OrderLine.subscription_id == sub.id)
    query = db.select(Order).where(db.or_(Order.id.in_(touched), Order.id == sub.order_id))
    return db.session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc())).all()


def open_order(sub: Subscription) -> Order | None:
    """An order on this subscription still on its way (only one change at a time)."""
    query = (db.select(Order).join(OrderLine, OrderLine.order_id == Order.id)
             .where(OrderLine.subscription_id == sub.id, Order.status.in_(OPEN_ORDER_STATUSES))
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
class GridFilters:
    q: str = ""
    status: str = ""
    customer: str = ""
    product: str = ""
    renewal_from: date | None = None
    renewal_to: date | None = None
    sort: str = DEFAULT_SORT
    direction: str = "asc"
    page: int = 1

    def args(self, **overrides) -> dict:
        """The query string of this state: only what differs from the defaults, so URLs read well."""
        values = {"q": self.q, "status": self.status, "customer": self.customer, "product": self.product,
                  "renewal_from": self.renewal_from.isoformat() if self.renewal_from else "",
                  "renewal_to": self.renewal_to.isoformat() if self.renewal_to else "",
                  "sort": self.sort if self.sort != DEFAULT_SORT else "",
                  "direction": self.direction if self.direction != "asc" else "",
                  "page": self.page if self.page != 1 else ""}
        for key, value in overrides.items():
            if key == "sort":
                value = "" if value == DEFAULT_SORT else value
            elif key == "direction":
                value = "" if value == "asc" else value
            elif key == "page":
                value = "" if value == 1 else value
            values[key] = value
        return {k: v for k, v in values.items() if v not in ("", None)}

    def sort_args(self, column: str) -> dict:
        """Clicking a column header: sort by it, or flip the direction when it is the current one."""
        direction = "desc" if column == self.sort and self.direction == "asc" else "asc"
        return self.args(sort=column, direction=direction, page=1)


@dataclass
class GridResult:
    rows: list[Subscription]
    total: int
    page: int
    pages: int
    per_page: int = PER_PAGE


def search(user: User, filters: GridFilters, per_page: int = PER_PAGE) -> GridResult:
    query = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        query = query.where(db.or_(*(db.func.lower(column).like(like) for column in (
            Subscription.friendly_name, Subscription.product_title, Subscription.sku_title,
            Subscription.customer_name, Subscription.tenant_domain, Subscription.ms_subscription_id))))
    if filters.status:
        query = query.where(Subscription.status == filters.status)
    if filters.customer:
        query = query.where(Subscription.customer_name == filters.customer)
    if filters.product:
        query = query.where(Subscription.product_title == filters.product)
    if filters.renewal_from:
        query = query.where(Subscription.commitment_end_date >= datetime.combine(filters.renewal_from, datetime.min.time()))
    if filters.renewal_to:
        query = query.where(Subscription.commitment_end_date
                            < datetime.combine(filters.renewal_to + timedelta(days=1), datetime.min.time()))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    column = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    ordered = column.desc() if filters.direction == "desc" else column.asc()
    # Missing renewal dates last either way; the id keeps pages stable.
    query = query.order_by(column.is_(None), ordered, Subscription.id)
    rows = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return GridResult(rows=rows, total=total, page=page, pages=pages, per_page=per_page)


def filter_choices(user: User) -> dict[str, list[str]]:
    base = visible_query(user).subquery()
    customers = db.session.scalars(db.select(base.c.customer_name).distinct().order_by(base.c.customer_name)).all()
    products = db.session.scalars(db.select(base.c.product_title).distinct().order_by(base.c.product_title)).all()
    return {"customers": [c for c in customers if c], "products": [p for p in products if p]}


def renewals_soon(user: User, days: int = RENEWALS_AHEAD_DAYS, limit: int = 20) -> list[Subscription]:
    """Active subscriptions whose renewal date falls in the next `days` days (Partner Center's clock)."""
    now = pc_now()
    query = visible_query(user).where(Subscription.status == "active",
                                      Subscription.commitment_end_date >= now,
                                      Subscription.commitment_end_date <= now + timedelta(days=days))
    return db.session.scalars(query.order_by(Subscription.commitment_end_date, Subscription.id).limit(limit)).all()


def renewals_range(days: int = RENEWALS_AHEAD_DAYS) -> tuple[date, date]:
    today = pc_now().date()
    return today, today + timedelta(days=days)


# ----------------------------------------------------------------------------------- asking for changes

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


def _check_changeable(sub: Subscription, etag: str | None, field: str | None) -> None:
    if sub.status not in CHANGEABLE_STATUSES:
        raise Refused(f"This subscription is {STATUS_LABELS.get(sub.status, sub.status).lower()}: it cannot be "
                      "changed.", field)
    pending = open_order(sub)
    if pending is not None:
        raise Refused(f"A change to this subscription is already on its way (order {pending.number}). Wait for it "
                      "to complete, then try again.", field)
    if (etag or "") != (sub.etag or ""):
        raise Refused(STALE, field)


def parse_quantity(sub: Subscription, raw: str | None) -> int:
    text = (raw or "").strip()
    if not text:
        raise Refused("Enter the number of seats.", "quantity")
    try:
        quantity = int(text)
    except ValueError:
        raise Refused(f"Enter the number of seats as a whole number, like {sub.quantity}.", "quantity") from None
    if quantity < sub.min_quantity:
        raise Refused(f"{sub.sku_title} needs at least {sub.min_quantity} seat{'s' if sub.min_quantity != 1 else ''}.",
                      "quantity")
    if quantity > sub.max_quantity:
        raise Refused(f"{sub.sku_title} allows at most {sub.max_quantity} seats.", "quantity")
    return quantity


def _title(sub: Subscription, words: str) -> str:
    return f"{words} ({sub.name})"


def change_quantity(sub: Subscription, raw_quantity: str | None, *, etag: str | None, actor: User,
                    origin: Origin, request_key: str | None) -> Order:
    """A change order: add seats any time; reduce only by seats still inside their 7-day window."""
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    quantity = parse_quantity(sub, raw_quantity)
    _check_changeable(sub, etag, "quantity")
    if quantity == sub.quantity:
        raise Refused(f"The subscription already has {sub.quantity} seats. Enter another number.", "quantity")
    if quantity < sub.quantity:
        now = pc_now()
        allowed = reducible(sub, now)
        asked = sub.quantity - quantity
        if asked > allowed:
            closed = window_closed_at(sub, now)
            if allowed:
                open_until = ", ".join(f"{b.quantity} until {when(b.until)}" for b in open_batches(sub, now))
                message = (f"Only {allowed} seat{'s' if allowed != 1 else ''} can be reduced now ({open_until}): "
                           f"seats can be reduced only within 7 days of being added, and the window for the other "
                           f"seats closed on {when(closed)}.")
            else:
                message = (f"Seats can no longer be reduced: the 7-day window closed on {when(closed)}. "
                           "Schedule the reduction for the renewal instead.")
            raise Refused(message, "quantity", offer="schedule")
    delta = quantity - sub.quantity
    words = (f"Add {delta} seat{'s' if delta != 1 else ''}" if delta > 0
             else f"Reduce by {-delta} seat{'s' if delta != -1 else ''}") + f" to {quantity}"
    change = {"action": "quantity", "from": sub.quantity, "to": quantity, "delta": delta, "etag": sub.etag}
    return orders.place_subscription_order("change", [orders.ChangeLine(sub, change, _title(sub, words))],
                                           actor=actor, origin=origin, request_key=request_key)


def schedule_quantity(sub: Subscription, raw_quantity: str | None, *, etag: str | None, actor: User,
                      origin: Origin, request_key: str | None) -> Order:
    """A change order for the renewal: the next term starts with this many seats (needs auto-renew)."""
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    quantity = parse_quantity(sub, raw_quantity)
    _check_changeable(sub, etag, "quantity")
    if not sub.auto_renew:
        raise Refused("A change scheduled for the renewal needs auto-renewal on: turn auto-renewal on first.",
                      "quantity")
    if quantity == (sub.scheduled_quantity or sub.quantity):
        raise Refused(f"The next term already starts with {quantity} seats.", "quantity")
    change = {"action": "schedule", "from": sub.quantity, "to": quantity, "delta": 0, "etag": sub.etag}
    return orders.place_subscription_order(
        "change", [orders.ChangeLine(sub, change, _title(sub, f"Schedule {quantity} seats for the renewal"))],
        actor=actor, origin=origin, request_key=request_key)


def set_auto_renew(sub: Subscription, enabled: bool, *, etag: str | None, actor: User, origin: Origin,
                   request_key: str | None) -> Order:
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    _check_changeable(sub, etag, "auto_renew")
    if sub.auto_renew == enabled:
        raise Refused(f"Auto-renewal is already {'on' if enabled else 'off'}.", "auto_renew")
    change = {"action": "auto_renew", "from": sub.auto_renew, "to": enabled, "etag": sub.etag}
    words = "Turn auto-renewal on" if enabled else "Turn auto-renewal off"
    return orders.place_subscription_order("configuration", [orders.ChangeLine(sub, change, _title(sub, words))],
                                           actor=actor, origin=origin, request_key=request_key)


def rename(sub: Subscription, name: str | None, *, etag: str | None, actor: User, origin: Origin,
           request_key: str | None) -> Order:
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    name = " ".join((name or "").split())
    if not name:
        raise Refused("Enter a name for the subscription.", "friendly_name")
    if len(name) > 128:
        raise Refused("The name can be at most 128 characters long.", "friendly_name")
    _check_changeable(sub, etag, "friendly_name")
    if name == sub.friendly_name:
        raise Refused("That is already the subscription's name.", "friendly_name")
    change = {"action": "rename", "from": sub.friendly_name, "to": name, "etag": sub.etag}
    return orders.place_subscription_order(
        "configuration", [orders.ChangeLine(sub, change, f"Rename “{sub.friendly_name}” to “{name}”")],
        actor=actor, origin=origin, request_key=request_key)


def _cancel_refusal(sub: Subscription, now: datetime) -> str:
    return (f"{sub.name} can no longer be cancelled: a subscription can be cancelled only within 7 days of its "
            f"purchase or renewal, and that window closed on {when(window_closed_at(sub, now))}. It runs until its "
            f"renewal date, {when(sub.commitment_end_date)}; turn auto-renewal off so that it ends then.")


def cancel(sub: Subscription, *, etag: str | None, actor: User, origin: Origin, request_key: str | None) -> Order:
    """A termination order, inside the cancellation window only."""
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    _check_changeable(sub, etag, "cancel")
    now = pc_now()
    if not can_cancel(sub, now):
        raise Refused(_cancel_refusal(sub, now), "cancel", offer="auto_renew_off" if sub.auto_renew else None)
    change = {"action": "cancel", "from": sub.quantity, "to": 0, "delta": -sub.quantity, "etag": sub.etag}
    return orders.place_subscription_order(
        "termination", [orders.ChangeLine(sub, change, _title(sub, "Cancel the subscription"))],
        actor=actor, origin=origin, request_key=request_key)


def agreement_subscriptions(agreement: Agreement) -> list[Subscription]:
    """The subscriptions a termination of the agreement cancels: those still active, and only the
    agreement's own account's (a subscription of another account in it is never shown nor cancelled)."""
    return [s for s in agreement.subscriptions
            if s.status in CHANGEABLE_STATUSES and s.account_id == agreement.account_id]


def etags_token(subs: list[Subscription]) -> str:
    """What the confirmation page saw: "id:etag;id:etag", so a change meanwhile is noticed."""
    return ";".join(f"{s.id}:{s.etag or ''}" for s in subs)


def terminate_agreement(agreement: Agreement, *, seen: str | None, actor: User, origin: Origin,
                        request_key: str | None) -> Order:
    """One termination order cancelling every active subscription of the agreement."""
    existing = orders.order_for_key(request_key)
    if existing is not None:
        return existing
    subs = agreement_subscriptions(agreement)
    if not subs:
        raise Refused(f"Agreement {agreement.number} has no active subscriptions to cancel.", "confirm")
    if (seen or "") != etags_token(subs):
        raise Refused("The subscriptions of this agreement changed since this page was opened, so nothing was "
                      "changed. Check the list below and confirm again.", "confirm")
    now = pc_now()
    for sub in subs:
        pending = open_order(sub)
        if pending is not None:
            raise Refused(f"A change to {sub.name} is already on its way (order {pending.number}). Wait for it to "
                          "complete, then try again.", "confirm")
    late = [s for s in subs if not can_cancel(s, now)]
    if late:
        names = "; ".join(f"{s.name} (window closed on {when(window_closed_at(s, now))})" for s in late)
        raise Refused("The agreement cannot be terminated now: a subscription can be cancelled only within 7 days "
                      f"of its purchase or renewal, and these are past that: {names}. Turn their auto-renewal off "
                      "so that they end at their renewal dates.", "confirm")
    lines = [orders.ChangeLine(s, {"action": "cancel", "from": s.quantity, "to": 0, "delta": -s.quantity,
                                   "etag": s.etag}, _title(s, "Cancel the subscription")) for s in subs]
    return orders.place_subscription_order("termination", lines, actor=actor, origin=origin, request_key=request_key)


# ----------------------------------------------------------------------------------- renewal notices

def subscription_url(sub: Subscription) -> str:
    try:
        return url_for("subscriptions.detail", sub_id=sub.id)
    except RuntimeError:
        return f"/subscriptions/{sub.id}"


def mail_settings() -> dict | None:
    """SMTP settings when mail is configured (MAIL_SERVER, from the environment via app/config.py)."""
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        return None
    return {"server": server, "port": int(config.get("MAIL_PORT") or 25),
            "sender": config.get("MAIL_FROM") or "storefront@localhost"}


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message to one address; raises OSError or smtplib.SMTPException when it was not sent."""
    settings = mail_settings()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings["sender"], to, subject
    message.set_content(body)
    with smtplib.SMTP(settings["server"], settings["port"], timeout=10) as smtp:
        smtp.send_message(message)  # one recipient: a refusal raises SMTPRecipientsRefused


def renewal_notice_text(sub: Subscription, days_left: int) -> tuple[str, str]:
    renewal = sub.commitment_end_date.strftime("%Y-%m-%d")
    if sub.auto_renew:
        title = f"{sub.name} renews on {renewal}"
        body = (f"{sub.name} ({sub.quantity} seats, {sub.customer_name}) renews automatically on {renewal}, in "
                f"{days_left} day{'s' if days_left != 1 else ''}. To change its seats for the next term, schedule "
                "the change before then; to let it end, turn auto-renewal off.")
    else:
        title = f"{sub.name} ends on {renewal}"
        body = (f"Auto-renewal of {sub.name} ({sub.quantity} seats, {sub.customer_name}) is off: it ends on "
                f"{renewal}, in {days_left} day{'s' if days_left != 1 else ''}, and its licences stop working. "
                "Turn auto-renewal on to keep it.")
    return title, body


def send_renewal_notices(now: datetime | None = None) -> list[str]:
    """Notify every user of the owning account 14 and 7 days before a renewal date (in-app, and
    by email when mail is configured), once per renewal date and notice. Returns what was sent.

    Each subscription's notice is its own unit, committed on its own, and each email is its own
    message: one failure (a refused address, a mail server gone, a row that cannot be written) is
    logged and recorded, and loses none of the others.
    """
    now = now or pc_now()
    horizon = now + timedelta(days=max(RENEWAL_NOTICE_DAYS))
    sub_ids = db.session.scalars(db.select(Subscription.id).where(
        Subscription.status == "active", Subscription.commitment_end_date > now,
        Subscription.commitment_end_date <= horizon).order_by(Subscription.id)).all()
    sent = []
    for sub_id in sub_ids:
        try:
            notice = _send_renewal_notice(db.session.get(Subscription, sub_id), now)
        except Exception:
            db.session.rollback()
            log.exception("renewal notice for subscription %s not sent; the next run tries again", sub_id)
            continue
        if notice:
            sent.append(notice)
    return sent


def _send_renewal_notice(sub: Subscription, now: datetime) -> str | None:
    left = sub.commitment_end_date - now
    done = set(sub.renewal_notices or [])
    due = [d for d in RENEWAL_NOTICE_DAYS if left <= timedelta(days=d)
           and f"{sub.commitment_end_date.date().isoformat()}:{d}" not in done]
    if not due:
        return None
    days_left = max(0, math.ceil(left.total_seconds() / 86400))
    title, body = renewal_notice_text(sub, days_left)
    users = db.session.scalars(db.select(User).where(User.account_id == sub.account_id).order_by(User.id)).all()
    for user in users:
        orders.notify(user.id, title, body, subscription_url(sub))
    mailed, failed = [], []
    if mail_settings():
        text = body + "\n\n" + _absolute(subscription_url(sub))
        for address in [u.email for u in users if u.email]:
            try:
                send_mail(address, title, text)
                mailed.append(address)
            except (OSError, smtplib.SMTPException) as error:
                failed.append(address)
                log.warning("renewal notice for %s not mailed to %s: %s", sub.ms_subscription_id, address, error)
    # Every notice up to this one is done (a late first look sends only the nearest).
    marks = {f"{sub.commitment_end_date.date().isoformat()}:{d}" for d in due}
    sub.renewal_notices = sorted(done | marks)
    audit.record("renewal_notice_sent", account=db.session.get(Account, sub.account_id),
                 subject=sub.ms_subscription_id, origin=SYSTEM,
                 details={"days": min(due), "renewal": sub.commitment_end_date.date().isoformat(),
                          "auto_renew": sub.auto_renew, "mailed": mailed, "mail_failed": failed})
    db.session.commit()
    return f"{sub.ms_subscription_id}:{min(due)}"


def _absolute(path: str) -> str:
    return current_app.config.get("PUBLIC_URL", "").rstrip("/") + path


# ----------------------------------------------------------------------------------- words for pages

def refund_estimate(line: OrderLine) -> Decimal | None:
    change = line.change or {}
    seats = -int(change.get("delta") or 0)
    if seats <= 0 or not line.unit_price:
        return None
    return Decimal(str(line.unit_price)) * seats
