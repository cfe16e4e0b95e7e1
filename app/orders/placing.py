"""Placing an order: what the checkout hands over (OrderRequest), the rules an order must pass, and
writing it (idempotently) before its provisioning job is enqueued.

Rules that belong to other areas are registered here (`placement_rule`) instead of imported:
subscriptions adds "one agreement per tenant, product line and customer". They are read under the
tenant's lock with the rules of this module.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account, User
from app.accounts.services import suspension_notice
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db
from app.orders import tenancy
from app.orders.engine import enqueue_provisioning
from app.orders.models import PURCHASE_STEPS, Order, OrderLine, OrderStatus, OrderStep, OrderType, StepStatus
from app.orders.transitions import announce_placed, publish_progress
from app.partner_center import new_request_id
from app.web.layout import full_stop

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
    # A Dynamics 365 instance's name (the option "Create a new Dynamics subscription for every order"):
    # the new subscription is created with it as its friendly name.
    instance_name: str | None = None


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
    # Resellers: the CSP Partner Program certificate chosen at checkout (app/programs registers the
    # rule that it is the buyer's and active; None: the one the checkout preselects).
    certificate_id: int | None = None
    # Asked under the tenant's lock, right before the order is recorded: None when the buyer's
    # authorization of an existing tenant still holds, else why not (the checkout's gate).
    recheck: Callable[[], str | None] | None = None


class PlacementRefused(Exception):
    """The order may not be placed as it is; `message` says why, in words for the buyer."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class DomainInUse(PlacementRefused):
    """The tenant or domain already belongs to another account's agreement (or order)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"This domain is already in use: {reason}")


class NotAuthorized(PlacementRefused):
    """The tenant's authorization no longer holds for this buyer, or the partner ID is not theirs."""


class AccountSuspended(NotAuthorized):
    """The buyer's account is suspended (admin > Accounts): it cannot order until reactivated."""


# A rule of another area: raises a PlacementRefused (its own subclass, which its callers catch), or
# returns the Order fields it decided (subscriptions: which agreement the order adds to).
PlacementRule = Callable[[OrderRequest], Mapping[str, Any]]
PLACEMENT_RULES: list[PlacementRule] = []


def placement_rule(rule: PlacementRule) -> PlacementRule:
    """Register a rule every order must pass (a decorator, used at import by the area that owns it)."""
    PLACEMENT_RULES.append(rule)
    return rule


# ----------------------------------------------------------------------------------- numbers and words

def new_order_number() -> str:
    groups = ["".join(secrets.choice(NUMBER_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "ORD-" + "-".join(groups)


def normalize_domain(domain: str | None) -> str:
    domain = (domain or "").strip().lower()
    if domain and "." not in domain:
        domain += DOMAIN_SUFFIX
    return domain


# ----------------------------------------------------------------------------------- rules

def domain_in_use(account_id: int, licensee_id: int | None, domain: str, tenant_id: str | None, *,
                  exclude_order_id: int | None = None, exclude_draft_id: int | None = None) -> str | None:
    """Why this tenant cannot be used by this account (and licensee), or None."""
    claim = tenancy.claim_on(account_id, licensee_id, domain, tenant_id, exclude_order_id=exclude_order_id,
                             exclude_draft_id=exclude_draft_id)
    return claim.reason if claim else None


def partner_id_problem(request: OrderRequest) -> str | None:
    """A reseller's order carries only its own partner ID (and its own Partner Center tenant)."""
    account = db.session.get(Account, request.account_id)
    if account is None or account.kind != "reseller":
        return None if not request.partner_id else "Only a reseller's order carries a partner ID."
    if not request.partner_id:
        return "A reseller's order needs the reseller's partner ID (MPN ID)."
    if account.partner_id and request.partner_id != account.partner_id:
        return (f"{request.partner_id} is not the partner ID of {account.name}{full_stop(account.name)} Orders of "
                f"{account.name} carry its "
                f"own partner ID, {account.partner_id}.")
    holder = db.session.scalar(db.select(Account.id).where(Account.partner_id == request.partner_id,
                                                           Account.id != account.id))
    if holder is not None:
        return f"Partner ID {request.partner_id} belongs to another reseller of this storefront."
    if account.partner_tenant_id and (request.reseller_tenant_id or "").lower() != account.partner_tenant_id.lower():
        return f"The Partner Center tenant ID on this order is not the one of {account.name}{full_stop(account.name)}"
    return None


def check_order_rules(request: OrderRequest) -> dict[str, Any]:
    """Raise DomainInUse, NotAuthorized, or a registered rule's PlacementRefused (subscriptions'
    AgreementExists) when the order may not be placed as it is; else return what the registered
    rules decided about the order."""
    reason = domain_in_use(request.account_id, request.licensee_id, normalize_domain(request.domain),
                           request.tenant_id, exclude_draft_id=request.draft_id)
    if reason:
        raise DomainInUse(reason)
    # Read again: the account may have been suspended since this request loaded its user.
    account = db.session.get(Account, request.account_id, populate_existing=True)
    if account is not None and account.is_suspended:
        raise AccountSuspended(suspension_notice(account))
    problem = partner_id_problem(request)
    if problem:
        raise NotAuthorized(problem)
    decided: dict[str, Any] = {}
    for rule in PLACEMENT_RULES:
        decided.update(rule(request))
    return decided


# ----------------------------------------------------------------------------------- placing

def order_for_draft(draft_id: int | None) -> Order | None:
    if draft_id is None:
        return None
    return db.session.scalar(db.select(Order).where(Order.draft_id == draft_id))


def order_for_key(request_key: str | None) -> Order | None:
    """The order a form with this key already placed (orders on existing subscriptions)."""
    if not request_key:
        return None
    return db.session.scalar(db.select(Order).where(Order.request_key == request_key))


def place_order(request: OrderRequest, *, actor: User, origin: Origin) -> Order:
    """Idempotent per draft_id: a second call for the same draft returns the first order.

    Writes the order (status processing) and commits BEFORE enqueuing provisioning, so the order
    survives Redis or the worker being down (the sweep enqueues it later): the one kind of service
    that commits, since a job must never be enqueued for an order the database does not hold yet.
    Raises a PlacementRefused (DomainInUse, NotAuthorized, AgreementExists unless
    add_to_agreement_id names that agreement). Call it after the caller's own changes are ready to
    be committed with it.
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
        decided = check_order_rules(request)
        problem = request.recheck() if request.recheck else None
        if problem:
            raise NotAuthorized(problem)
    except PlacementRefused:
        db.session.rollback()  # release the lock at once
        raise
    order = _build_order(request, decided)
    return submit(order, actor=actor, account=db.session.get(Account, request.account_id), origin=origin,
                  details={"domain": order.domain, "tenant_mode": order.tenant_mode, "lines": len(order.lines),
                           "total": str(order.total), "currency": order.currency},
                  placed_meanwhile=lambda: order_for_draft(request.draft_id),
                  rebuild=lambda: _build_order(request, decided))


def submit(order: Order, *, actor: User, account: Account | None, origin: Origin, details: dict,
           placed_meanwhile: Callable[[], Order | None], rebuild: Callable[[], Order] | None = None) -> Order:
    """Number a new order, audit it, commit, then enqueue its provisioning and tell open pages.

    `placed_meanwhile` finds the order a concurrent request for the same draft or form placed
    (the unique draft_id / request_key): that one is returned instead of a second.
    """
    for _attempt in range(5):
        order.number = new_order_number()
        db.session.add(order)
        audit.record("order_placed", actor=actor, account=account, subject=order.number, origin=origin,
                     details=details)
        try:
            if order.type == OrderType.PURCHASE and account is not None:
                announce_placed(order, account, actor)  # flushes (its mail): a number collision shows here
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
            first = placed_meanwhile()
            if first is not None:  # a concurrent request for the same draft or form won
                return first
            if rebuild is not None:  # a number collision: draw another
                order = rebuild()
    else:  # pragma: no cover - five collisions in a 31^12 space
        raise RuntimeError("Could not allocate an order number.")
    order.placed_by_this_request = True
    enqueue_provisioning(order)
    publish_progress(order)
    return order


def serving_instance(account=None, *, tenant_id: str | None = None, domain: str | None = None) -> str:
    """The Partner Center connection that serves a new order, recorded on it so that changing the
    default connection or the market rule later never moves an order (or its tenant) to another
    instance: a tenant the storefront already knows stays with the connection that knows it; else
    the account's connection (its pin, else its market's, else the default one)."""
    from app.accounts.models import Tenant
    from app.connections.services import UNCHOSEN, UnknownInstance, connection_for

    known = None
    if tenant_id:
        known = db.session.scalar(db.select(Tenant.partner_center_instance).where(
            db.func.lower(Tenant.tenant_id) == tenant_id.lower()))
    if known is None and domain:
        known = db.session.scalar(db.select(Tenant.partner_center_instance).where(Tenant.domain == domain.lower()))
    if known:
        return known
    try:
        return connection_for(account)
    except UnknownInstance:
        return UNCHOSEN  # resolved when the job runs, which says in plain words what is missing


def _build_order(request: OrderRequest, decided: Mapping[str, Any]) -> Order:
    currency = request.lines[0].currency if request.lines else "USD"
    order = Order(
        partner_center_instance=serving_instance(db.session.get(Account, request.account_id),
                                                 tenant_id=request.tenant_id, domain=normalize_domain(request.domain)),
        type=OrderType.PURCHASE, status=OrderStatus.PROCESSING, account_id=request.account_id,
        user_id=request.user_id, draft_id=request.draft_id, licensee_id=request.licensee_id,
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
        currency=currency, total=sum((Decimal(str(l.unit_price)) * l.quantity for l in request.lines), Decimal("0")),
        **decided,
    )
    for position, line in enumerate(request.lines):
        order.lines.append(OrderLine(
            position=position, product_id=line.product_id, sku_id=line.sku_id,
            catalog_item_id=line.catalog_item_id, product_title=line.product_title, sku_title=line.sku_title,
            family=line.family, term_duration=line.term_duration, billing_plan=line.billing_plan,
            quantity=line.quantity, unit_price=Decimal(str(line.unit_price)), currency=line.currency,
            instance_name=(line.instance_name or "").strip() or None))
    for position, name in enumerate(PURCHASE_STEPS):
        # The request id exists before any call, so every attempt of the step (in any process) sends it.
        order.steps.append(OrderStep(position=position, name=name, kind=name, status=StepStatus.PENDING,
                                     ms_request_id=new_request_id()))
    if order.tenant_mode != "new":
        order.step("create_customer").status = StepStatus.SKIPPED
    if not order.mca:
        order.step("attest_mca").status = StepStatus.SKIPPED
    return order
