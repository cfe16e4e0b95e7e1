"""The rules of orders: placing one (idempotently), the domain and agreement rules, status changes
with their audit events, notifications and pushes, "Process", and editing ordering parameters.

No request, no templates here. The provisioning job lives in app/orders/jobs.py.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account, Tenant, User, utcnow
from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.orders import tenancy
from app.accounts.notifications import link_to, notify
from app.orders.models import STEP_NAMES, Agreement, Order, OrderLine, OrderStep, Subscription
from app.partner_center import new_request_id

log = logging.getLogger(__name__)

# Letters and digits that cannot be mistaken for one another when read out (no 0/O, 1/I/L).
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DOMAIN_SUFFIX = ".onmicrosoft.com"


# ----------------------------------------------------------------------------------- interface

@dataclass
class RequestLine:
    product_id: str
    sku_id: str
    catalog_item_id: str
    product_title: str
    sku_title: str
    family: str            # product line, e.g. "Microsoft 365" (catalog Product.family)
    term_duration: str     # P1M / P1Y / P3Y
    billing_plan: str      # monthly / annual / triennial
    quantity: int
    unit_price: Decimal
    currency: str


@dataclass
class OrderRequest:
    account_id: int
    user_id: int
    draft_id: int | None
    licensee_id: int | None          # resellers: the end customer; None for direct customers
    company_name: str
    country: str                     # ISO-2
    contact_first_name: str
    contact_last_name: str
    email: str
    phone: str | None
    tenant_mode: str                 # "new" or "existing"
    domain: str                      # xxx.onmicrosoft.com (new: to create; existing: the authorized tenant's)
    default_domain: str | None
    tenant_id: str | None            # existing tenants: known after authorization
    registration_id: str | None
    address: dict | None             # {"addressLine1","addressLine2","city","state","postalCode","country"}
    partner_id: str | None           # resellers only
    reseller_tenant_id: str | None   # resellers only
    mca: dict | None                 # {"firstName","lastName","email","phoneNumber","templateId","dateAgreed"} or None
    lines: list[RequestLine] = field(default_factory=list)
    add_to_agreement_id: int | None = None   # the buyer accepted "add to the existing agreement"
    # Asked under the tenant's lock, right before the order is recorded: None when the buyer's
    # authorization of an existing tenant still holds, else why not (the checkout's gate).
    recheck: Callable[[], str | None] | None = None


class DomainInUse(Exception):
    """The tenant or domain already belongs to another account's agreement (or order)."""

    def __init__(self, reason: str):
        self.reason = reason
        self.message = f"This domain is already in use: {reason}"
        super().__init__(self.message)


class NotAuthorized(Exception):
    """The tenant's authorization no longer holds for this buyer, or the partner ID is not theirs."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class AgreementExists(Exception):
    """An agreement for this tenant, product line and licensee exists: offer to add to it instead."""

    def __init__(self, agreement: Agreement):
        self.agreement = agreement
        self.message = (f"{agreement.customer_name} already has an agreement for {agreement.family} on "
                        f"{agreement.tenant_domain} ({agreement.number}). Add the subscriptions to that "
                        "agreement instead of creating a second one.")
        super().__init__(self.message)


# ----------------------------------------------------------------------------------- numbers

def new_order_number() -> str:
    groups = ["".join(secrets.choice(NUMBER_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "ORD-" + "-".join(groups)


def new_agreement_number() -> str:
    return "AGR-" + "-".join("".join(secrets.choice(NUMBER_ALPHABET) for _ in range(4)) for _ in range(2))


def normalize_domain(domain: str | None) -> str:
    domain = (domain or "").strip().lower()
    if domain and "." not in domain:
        domain += DOMAIN_SUFFIX
    return domain


# ----------------------------------------------------------------------------------- rules

def _domain_reason_for(account_id: int, licensee_id: int | None, domain: str, tenant_id: str | None,
                       *, exclude_order_id: int | None = None, exclude_draft_id: int | None = None) -> str | None:
    """Why this tenant cannot be used by this account (and licensee), or None."""
    claim = tenancy.claim_on(account_id, licensee_id, domain, tenant_id, exclude_order_id=exclude_order_id,
                             exclude_draft_id=exclude_draft_id)
    return claim.reason if claim else None


def existing_agreement(account_id: int, licensee_id: int | None, domain: str, tenant_id: str | None,
                       family: str) -> Agreement | None:
    conditions = [Agreement.tenant_domain == domain]
    if tenant_id:
        conditions.append(Agreement.tenant_id == tenant_id.lower())
    query = db.select(Agreement).where(db.or_(*conditions), Agreement.account_id == account_id,
                                       Agreement.family == family)
    query = query.where(Agreement.licensee_id.is_(None) if licensee_id is None
                        else Agreement.licensee_id == licensee_id)
    return db.session.scalars(query.order_by(Agreement.id)).first()


def own_agreement(request: OrderRequest) -> Agreement | None:
    """The agreement the buyer chose to add to, only if it is theirs: this account, this licensee,
    this tenant. Any other id (another account's, a made-up one) counts as no choice."""
    if request.add_to_agreement_id is None:
        return None
    agreement = db.session.get(Agreement, request.add_to_agreement_id)
    if agreement is None or agreement.account_id != request.account_id or agreement.licensee_id != request.licensee_id:
        return None
    if agreement.tenant_domain != normalize_domain(request.domain):
        return None
    return agreement


def partner_id_problem(request: OrderRequest) -> str | None:
    """A reseller's order carries only its own partner ID (and its own Partner Center tenant)."""
    account = db.session.get(Account, request.account_id)
    if account is None or account.kind != "reseller":
        return None if not request.partner_id else "Only a reseller's order carries a partner ID."
    if not request.partner_id:
        return "A reseller's order needs the reseller's partner ID (MPN ID)."
    if account.partner_id and request.partner_id != account.partner_id:
        return (f"{request.partner_id} is not the partner ID of {account.name}. Orders of {account.name} carry its "
                f"own partner ID, {account.partner_id}.")
    holder = db.session.scalar(db.select(Account.id).where(Account.partner_id == request.partner_id,
                                                           Account.id != account.id))
    if holder is not None:
        return f"Partner ID {request.partner_id} belongs to another reseller of this storefront."
    if account.partner_tenant_id and (request.reseller_tenant_id or "").lower() != account.partner_tenant_id.lower():
        return f"The Partner Center tenant ID on this order is not the one of {account.name}."
    return None


def check_order_rules(request: OrderRequest) -> None:
    """Raise DomainInUse, NotAuthorized or AgreementExists when the order may not be placed as it is."""
    domain = normalize_domain(request.domain)
    reason = _domain_reason_for(request.account_id, request.licensee_id, domain, request.tenant_id,
                                exclude_draft_id=request.draft_id)
    if reason:
        raise DomainInUse(reason)
    problem = partner_id_problem(request)
    if problem:
        raise NotAuthorized(problem)
    chosen = own_agreement(request)
    for family in dict.fromkeys(line.family for line in request.lines):
        agreement = existing_agreement(request.account_id, request.licensee_id, domain, request.tenant_id, family)
        if agreement is not None and (chosen is None or agreement.id != chosen.id):
            raise AgreementExists(agreement)


# ----------------------------------------------------------------------------------- placing

def order_for_draft(draft_id: int | None) -> Order | None:
    if draft_id is None:
        return None
    return db.session.scalar(db.select(Order).where(Order.draft_id == draft_id))


def place_order(request: OrderRequest, *, actor: User, origin: Origin) -> Order:
    """Idempotent per draft_id: a second call for the same draft returns the first order.

    Writes the order (status processing) and commits BEFORE enqueuing provisioning, so the order
    survives Redis or the worker being down (the sweep enqueues it later). Raises DomainInUse /
    AgreementExists (unless add_to_agreement_id names that agreement). The session is committed:
    call this after the caller's own changes are ready to be committed with it.
    """
    existing = order_for_draft(request.draft_id)
    if existing is not None:
        return existing
    if not request.lines:
        raise ValueError("An order needs at least one line.")
    # Under the tenant's lock the rules are read and the order is written in one transaction:
    # two accounts placing into one tenant at the same moment end with exactly one order.
    tenancy.lock_tenant(normalize_domain(request.domain), request.tenant_id)
    try:
        check_order_rules(request)
        problem = request.recheck() if request.recheck else None
        if problem:
            raise NotAuthorized(problem)
    except (DomainInUse, NotAuthorized, AgreementExists):
        db.session.rollback()  # release the lock at once
        raise
    order = _build_order(request)
    for attempt in range(5):
        order.number = new_order_number()
        db.session.add(order)
        audit.record("order_placed", actor=actor, account=db.session.get(Account, request.account_id),
                     subject=order.number, origin=origin,
                     details={"domain": order.domain, "tenant_mode": order.tenant_mode,
                              "lines": len(order.lines), "total": str(order.total), "currency": order.currency})
        try:
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
            first = order_for_draft(request.draft_id)
            if first is not None:  # a concurrent request for the same draft won
                return first
            order = _build_order(request)  # a number collision: draw another
    else:  # pragma: no cover - five collisions in a 31^12 space
        raise RuntimeError("Could not allocate an order number.")
    enqueue_provisioning(order)
    publish_progress(order)
    return order


def _serving_instance() -> str:
    """The Partner Center connection that serves a new order, recorded on it so that changing the
    default connection later never moves an order (or its tenant) to another instance."""
    from app.connections.services import UNCHOSEN, UnknownInstance, default_instance_name

    try:
        return default_instance_name()
    except UnknownInstance:
        return UNCHOSEN  # resolved when the job runs, which says in plain words what is missing


def _build_order(request: OrderRequest) -> Order:
    currency = request.lines[0].currency if request.lines else "USD"
    order = Order(
        partner_center_instance=_serving_instance(),
        type="purchase", status="processing", account_id=request.account_id, user_id=request.user_id,
        draft_id=request.draft_id, licensee_id=request.licensee_id,
        company_name=request.company_name.strip(), country=request.country.upper(),
        contact_first_name=request.contact_first_name.strip(), contact_last_name=request.contact_last_name.strip(),
        email=request.email.strip(), phone=(request.phone or "").strip() or None,
        tenant_mode=request.tenant_mode, domain=normalize_domain(request.domain),
        default_domain=(request.default_domain or "").strip().lower() or None,
        tenant_id=(request.tenant_id or "").strip().lower() or None,
        registration_id=(request.registration_id or "").strip() or None,
        address=dict(request.address) if request.address else None,
        mca=dict(request.mca) if request.mca else None,
        partner_id=(request.partner_id or "").strip() or None,
        reseller_tenant_id=(request.reseller_tenant_id or "").strip().lower() or None,
        add_to_agreement_id=own_agreement(request).id if own_agreement(request) else None, currency=currency,
        total=sum((Decimal(str(l.unit_price)) * l.quantity for l in request.lines), Decimal("0")),
    )
    for position, line in enumerate(request.lines):
        order.lines.append(OrderLine(
            position=position, product_id=line.product_id, sku_id=line.sku_id,
            catalog_item_id=line.catalog_item_id, product_title=line.product_title, sku_title=line.sku_title,
            family=line.family, term_duration=line.term_duration, billing_plan=line.billing_plan,
            quantity=line.quantity, unit_price=Decimal(str(line.unit_price)), currency=line.currency))
    for position, name in enumerate(STEP_NAMES):
        # The request id exists before any call, so every attempt of the step (in any process) sends it.
        order.steps.append(OrderStep(position=position, name=name, status="pending", ms_request_id=new_request_id()))
    if order.tenant_mode != "new":
        order.steps[0].status = "skipped"
    if not order.mca:
        order.steps[1].status = "skipped"
    return order


# ----------------------------------------------------------------------------------- orders on subscriptions

@dataclass
class ChangeLine:
    """One change to one existing subscription (see OrderLine.change)."""

    subscription: "Subscription"
    change: dict
    title: str  # the provisioning step's words: "Reduce seats of Contoso Basic from 10 to 8"


def order_for_key(request_key: str | None) -> Order | None:
    if not request_key:
        return None
    return db.session.scalar(db.select(Order).where(Order.request_key == request_key))


def place_subscription_order(order_type: str, lines: list[ChangeLine], *, actor: User, origin: Origin,
                             request_key: str | None) -> Order:
    """A change, configuration or termination order on existing subscriptions.

    Like place_order: idempotent (per request_key, the key the form carried), written and
    committed before its job is enqueued, provisioned by the same job (one step per line, each
    with its own stored MS-RequestId), tracked on the same pages. The customer facts are the
    purchase order's.
    """
    existing = order_for_key(request_key)
    if existing is not None:
        return existing
    if order_type not in ("change", "configuration", "termination") or not lines:
        raise ValueError("A subscription order needs a type and at least one line.")
    first = lines[0].subscription
    source = first.order
    account = db.session.get(Account, first.account_id)
    order = Order(
        type=order_type, status="processing", account_id=first.account_id, user_id=actor.id,
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
        partner_center_instance=first.partner_center_instance or _serving_instance(),
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
            quantity=int(change_line.change.get("to") if change_line.change.get("action") in ("quantity", "schedule")
                         else sub.quantity),
            unit_price=unit_price, currency=sub.currency or "USD", subscription_id=sub.id,
            change=dict(change_line.change))
        order.lines.append(line)
        total += line.amount
        order.steps.append(OrderStep(position=position, name=f"change_{position + 1}", status="pending",
                                     title=change_line.title[:300], ms_request_id=new_request_id()))
    order.total = total
    for attempt in range(5):
        order.number = new_order_number()
        db.session.add(order)
        audit.record("order_placed", actor=actor, account=account, subject=order.number, origin=origin,
                     details={"type": order_type,
                              "changes": [{"subscription": l.subscription.ms_subscription_id,
                                           **{k: v for k, v in l.change.items() if k != "etag"}} for l in lines]})
        try:
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
            first_order = order_for_key(request_key)
            if first_order is not None:
                return first_order
    else:  # pragma: no cover
        raise RuntimeError("Could not allocate an order number.")
    enqueue_provisioning(order)
    publish_progress(order)
    return order


# ----------------------------------------------------------------------------------- the job

def job_id_for(order_id: int) -> str:
    return f"provision-order-{order_id}"


PROVISION_TIMEOUT = 600


def enqueue_provisioning(order: Order):
    """Put the order's provisioning job on the queue; None (logged) when Redis is unreachable —
    the order stays `processing` and the periodic sweep enqueues it when Redis is back."""
    from rq import Retry

    from app.jobs import enqueue
    from app.orders.jobs import provision_order

    try:
        return enqueue(provision_order, order.id, job_id=job_id_for(order.id), timeout=PROVISION_TIMEOUT,
                       retry=Retry(max=3, interval=[5, 20, 60]), description=f"Provision order {order.number}")
    except Exception:  # Redis down, or anything else on the way to it: the sweep catches up
        log.exception("could not enqueue provisioning of order %s; the sweep will", order.number)
        return None


# ----------------------------------------------------------------------------------- statuses

def order_url(order: Order) -> str:
    return link_to("orders.detail", f"/orders/{order.number}", number=order.number)


def publish_progress(order: Order) -> None:
    from app import live

    try:
        live.publish("order", order.id, "progress")
    except Exception:  # pushes are a nicety; the page polls as well
        log.warning("could not publish progress of order %s", order.number, exc_info=True)


def set_querying(order: Order, *, code: str, reason: str, steps: list[str], blocked_field: str | None = None,
                 origin: Origin = SYSTEM) -> None:
    order.status = "querying"
    order.reason, order.reason_code, order.steps_to_take, order.blocked_field = reason, code, steps, blocked_field
    audit.record("order_querying", account=order.account, subject=order.number, origin=origin,
                 details={"code": code, "reason": reason})
    notify(order.user_id, f"Order {order.number} needs action", reason, order_url(order))


def set_failed(order: Order, reason: str, *, code: str | None = None, origin: Origin = SYSTEM) -> None:
    order.status = "failed"
    order.reason, order.reason_code, order.steps_to_take, order.blocked_field = reason, code, None, None
    audit.record("order_failed", account=order.account, subject=order.number, origin=origin,
                 details={"code": code, "reason": reason})
    notify(order.user_id, f"Order {order.number} failed", reason, order_url(order))


def set_completed(order: Order, subscriptions: int, origin: Origin = SYSTEM, *, summary: str | None = None) -> None:
    """`summary`: what an order on existing subscriptions did, in words (purchases say how many
    subscriptions they created)."""
    order.status = "completed"
    order.completed_at = utcnow()
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_completed", account=order.account, subject=order.number, origin=origin,
                 details={"subscriptions": subscriptions, "type": order.type})
    body = summary or (f"{subscriptions} subscription{'s' if subscriptions != 1 else ''} created for "
                       f"{order.company_name}.")
    notify(order.user_id, f"Order {order.number} completed", body, order_url(order))


# ----------------------------------------------------------------------------------- people acting

def can_view(user: User, order: Order) -> bool:
    return user.account.kind == "operator" or order.account_id == user.account_id


def can_act(user: User, order: Order) -> bool:
    """Process and edit: the account that placed the order, or an operator admin (operator members
    read, they change nothing)."""
    if user.account.kind == "operator":
        return user.is_account_admin
    return order.account_id == user.account_id


class NotAllowed(Exception):
    pass


def _buyer(order: Order) -> tenancy.Buyer:
    return tenancy.Buyer(account_id=order.account_id, licensee_id=order.licensee_id,
                         is_reseller=order.account.kind == "reseller", reseller_tenant_id=order.reseller_tenant_id)


def _relationship_link(order: Order) -> str | None:
    """The link the new tenant's global administrator must accept (None when Partner Center is
    not reachable now: the Process answer then says what to do)."""
    from app.connections.services import get_client
    from app.partner_center import PartnerCenterError

    buyer = _buyer(order)
    try:
        client = get_client().for_person()
        if buyer.is_reseller:
            return client.get_relationship_request(indirect_reseller_id=order.reseller_tenant_id).url
        return client.get_relationship_request().url
    except PartnerCenterError:
        log.warning("no relationship link for order %s", order.number, exc_info=True)
        return None


def authorize_tenant(order: Order) -> None:
    """Send an order whose tenant was changed back through the authorization gate, at once.

    Partner Center must show the relationship this buyer asked for (app.orders.tenancy.decide) on
    the tenant of the order's domain; the tenant id is then Partner Center's, not what was typed.
    Raises NotAuthorized with what to do, or a PartnerCenterError.
    """
    from app.accounts.services import operator_account
    from app.connections.services import get_client

    client = get_client().for_person()
    facts = tenancy.read_facts(client, order.domain)
    if facts.visible and order.tenant_id and order.tenant_id != facts.customer_id:
        raise NotAuthorized(f"Tenant ID {order.tenant_id} is not the tenant of {order.domain}. Correct it on the "
                            "Parameters tab (or leave it empty), then press Process.")
    operator = operator_account()
    decision = tenancy.decide(_buyer(order), order.domain, facts, exclude_order_id=order.id,
                              exclude_draft_id=order.draft_id,
                              operator_name=operator.name if operator else "your distributor")
    if decision.status == "refused":
        raise NotAuthorized(decision.reason)
    if decision.status == "waiting":
        who = f"{order.account.name} as its reseller" if _buyer(order).is_reseller else "the relationship"
        raise NotAuthorized(f"{order.domain} has not accepted {who} yet. Send the customer's global administrator "
                            "the authorization link shown on this order; once they accept, press Process again.")
    order.tenant_id = facts.customer_id
    order.needs_authorization = False


def process(order: Order, *, actor: User, origin: Origin) -> None:
    """'Process': a querying order goes back to processing and its job is enqueued again.

    An order whose tenant was changed by the buyer goes through the authorization gate first
    (raises NotAuthorized or a PartnerCenterError, and stays querying)."""
    if order.status != "querying":
        raise NotAllowed(f"Only an order that is querying can be processed; this one is {order.status_label.lower()}.")
    reason = _domain_reason_for(order.account_id, order.licensee_id, order.domain, order.tenant_id,
                                exclude_order_id=order.id, exclude_draft_id=order.draft_id)
    if reason:
        raise DomainInUse(reason)
    if order.needs_authorization:
        authorize_tenant(order)
    for step in order.steps:
        if step.status == "blocked":
            step.status = "pending"
            step.error = None
    previous = order.reason
    order.status = "processing"
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_processed", actor=actor, account=order.account, subject=order.number, origin=origin,
                 details={"was_blocked_by": previous})
    db.session.commit()
    enqueue_provisioning(order)
    publish_progress(order)


@dataclass
class ParameterChanges:
    domain: str | None
    tenant_id: str | None
    registration_id: str | None
    phone: str | None


def update_ordering_parameters(order: Order, changes: ParameterChanges, *, actor: User, origin: Origin) -> dict:
    """Save edited ordering parameters of a querying order; returns what changed.

    Raises NotAllowed when the order is not querying and DomainInUse when the new domain or
    tenant belongs to someone else (another account, another customer, another checkout). A
    changed domain or tenant resets the steps that used them; when the buyer moves an order to
    another existing tenant, that tenant must pass the authorization gate before Process goes on
    (the operator may correct parameters without it; every change is audited with who made it).
    """
    if order.status != "querying":
        raise NotAllowed("Ordering parameters can be changed only while the order is querying.")
    domain = normalize_domain(changes.domain) if changes.domain else order.domain
    tenant_id = (changes.tenant_id or "").strip().lower() or None
    reason = _domain_reason_for(order.account_id, order.licensee_id, domain, tenant_id, exclude_order_id=order.id,
                                exclude_draft_id=order.draft_id)
    if reason:
        raise DomainInUse(reason)
    new = {"domain": domain, "tenant_id": tenant_id,
           "registration_id": (changes.registration_id or "").strip() or None,
           "phone": (changes.phone or "").strip() or None}
    changed = {k: {"from": getattr(order, k), "to": v} for k, v in new.items() if getattr(order, k) != v}
    for key, value in new.items():
        setattr(order, key, value)
    by_operator = actor.account.kind == "operator"
    if changed:
        customer_step = order.step("create_customer")
        if customer_step is not None and customer_step.status != "done" and order.tenant_mode == "new":
            customer_step.status = "pending"
            customer_step.ms_request_id = new_request_id()  # different input: a new request
        if order.tenant_mode == "existing" and ("domain" in changed or "tenant_id" in changed) and not by_operator:
            order.needs_authorization = True
            order.authorization_link = _relationship_link(order)
        audit.record("order_parameters_changed", actor=actor, account=order.account, subject=order.number,
                     origin=origin, details={**changed, "by_operator": by_operator})
    db.session.commit()
    publish_progress(order)
    return changed


# ----------------------------------------------------------------------------------- queries

@dataclass
class OrderFilter:
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def visible_orders(user: User, filters: OrderFilter | None = None, limit: int = 500):
    query = db.select(Order)
    if user.account.kind != "operator":
        query = query.where(Order.account_id == user.account_id)
    filters = filters or OrderFilter()
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.date_from:
        query = query.where(Order.created_at >= datetime.combine(filters.date_from, datetime.min.time()))
    if filters.date_to:
        query = query.where(Order.created_at < datetime.combine(filters.date_to + timedelta(days=1),
                                                                datetime.min.time()))
    return db.session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def find_visible(user: User, number: str) -> Order | None:
    order = db.session.scalar(db.select(Order).where(Order.number == (number or "").upper()))
    if order is None or not can_view(user, order):
        return None
    return order


def domain_problem(order: Order) -> str | None:
    """The domain-in-use message for an order still on its way (shown on both tabs), or None."""
    if order.terminal:
        return None
    reason = _domain_reason_for(order.account_id, order.licensee_id, order.domain, order.tenant_id,
                                exclude_order_id=order.id, exclude_draft_id=order.draft_id)
    return DomainInUse(reason).message if reason else None


def admin_password(order: Order) -> str | None:
    """The new tenant's first administrator password, for the account that ordered it."""
    if not order.admin_password_encrypted:
        return None
    from app.web.secrets import decrypt

    try:
        return decrypt(order.admin_password_encrypted)
    except ValueError:
        return None


def licensee_name(order: Order) -> str:
    return order.licensee.company_name if order.licensee_id and order.licensee else order.company_name


__all__ = ["RequestLine", "OrderRequest", "DomainInUse", "AgreementExists", "place_order", "check_order_rules",
           "process", "update_ordering_parameters", "ParameterChanges", "NotAllowed", "OrderFilter",
           "visible_orders", "find_visible"]
