"""Agreements: one per licensee (or direct customer), tenant and product line, holding that line's
subscriptions.

Two rules orders must follow without importing this area (orders never imports subscriptions), so
they are registered with orders when this module is imported:
- placing: a second agreement for the same tenant, product line and customer is refused
  (AgreementExists) unless the buyer chose to add to the existing one (placement_rule);
- tenancy: a tenant held by another account's agreement, or another customer's, is not free
  (claim_source, asked before tenants, orders and checkouts).
"""
from __future__ import annotations

import secrets
from functools import cache
from typing import NamedTuple

from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.extensions import db
from app.orders import tenancy
from app.orders.models import Order, OrderLine
from app.orders.placing import NUMBER_ALPHABET, OrderRequest, PlacementRefused, normalize_domain, placement_rule
from app.orders.queries import can_view
from app.subscriptions.models import CHANGEABLE_STATUSES, Agreement, Subscription
from app.web.query import ListPage, page_of


class AgreementExists(PlacementRefused):
    """An agreement for this tenant, product line and licensee exists: offer to add to it instead."""

    def __init__(self, agreement: Agreement):
        self.agreement = agreement
        super().__init__(f"{agreement.customer_name} already has an agreement for {agreement.family} on "
                         f"{agreement.tenant_domain} ({agreement.number}). Add the subscriptions to that "
                         "agreement instead of creating a second one.")


def new_agreement_number() -> str:
    return "AGR-" + "-".join("".join(secrets.choice(NUMBER_ALPHABET) for _ in range(4)) for _ in range(2))


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


@placement_rule
def one_agreement_per_tenant_and_line(request: OrderRequest) -> dict:
    """Raise AgreementExists for a product line that already has an agreement on this tenant for
    this customer, unless it is the one the buyer chose to add to; the order records that choice."""
    domain = normalize_domain(request.domain)
    chosen = own_agreement(request)
    for family in dict.fromkeys(line.family for line in request.lines):
        agreement = existing_agreement(request.account_id, request.licensee_id, domain, request.tenant_id, family)
        if agreement is not None and (chosen is None or agreement.id != chosen.id):
            raise AgreementExists(agreement)
    return {"add_to_agreement_id": chosen.id if chosen else None}


@tenancy.claim_source(rank=10)
def agreements_on_the_tenant(wanted: tenancy.Wanted) -> tenancy.Claim | None:
    for agreement in wanted.rows(Agreement, "tenant_domain", "tenant_id"):
        if agreement.account_id != wanted.account_id:
            return tenancy.Claim(True, "it belongs to another organisation's agreement.")
        if agreement.licensee_id != wanted.licensee_id:
            return tenancy.Claim(False, tenancy.sentence(f"it belongs to your customer {agreement.customer_name}"))
    return None


def agreement_for(order: Order, family: str) -> Agreement:
    """The agreement a purchase's subscriptions of one product line go into: the one the buyer
    chose, the existing one, or a new one (flushed, so it has its id)."""
    if order.add_to_agreement_id:
        chosen = db.session.get(Agreement, order.add_to_agreement_id)
        if chosen is not None and chosen.family == family:
            return chosen
    agreement = existing_agreement(order.account_id, order.licensee_id, order.domain, order.tenant_id, family)
    if agreement is None:
        agreement = Agreement(number=new_agreement_number(), account_id=order.account_id,
                              licensee_id=order.licensee_id, tenant_domain=order.domain, tenant_id=order.tenant_id,
                              family=family, order_id=order.id)
        db.session.add(agreement)
        db.session.flush()
    elif not agreement.tenant_id:
        agreement.tenant_id = order.tenant_id
    return agreement


def find_agreement(user: User, number: str) -> Agreement | None:
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == (number or "").upper()))
    return agreement if agreement is not None and can_view(user, agreement) else None


def agreement_subscriptions(agreement: Agreement) -> list[Subscription]:
    """The subscriptions a termination of the agreement cancels: those still active, and only the
    agreement's own account's (a subscription of another account in it is never shown nor cancelled)."""
    return [s for s in agreement.subscriptions
            if s.status in CHANGEABLE_STATUSES and s.account_id == agreement.account_id]


def etags_token(subs: list[Subscription]) -> str:
    """What the confirmation page saw: "id:etag;id:etag", so a change meanwhile is noticed."""
    return ";".join(f"{s.id}:{s.etag or ''}" for s in subs)


# ----------------------------------------------------------------------------------- the pages' reads

AGREEMENTS_PER_PAGE = 25


def visible_agreements(user: User, page: int = 1, per_page: int = AGREEMENTS_PER_PAGE) -> ListPage[Agreement]:
    """The user's account's agreements (the operator: every account's), newest first."""
    query = db.select(Agreement)
    if user.account.kind != "operator":
        query = query.where(Agreement.account_id == user.account_id)
    return page_of(query.order_by(Agreement.created_at.desc(), Agreement.id.desc())
                   .options(selectinload(Agreement.subscriptions), selectinload(Agreement.licensee),
                            selectinload(Agreement.account)),  # the list shows each one's
                   page, per_page)


def agreement_orders(agreement: Agreement) -> list[Order]:
    """The orders of the agreement's own account that made or touched it: the purchase that created
    it, purchases added to it, and the changes and terminations of its subscriptions; newest first."""
    own_subs = [s.id for s in agreement.subscriptions if s.account_id == agreement.account_id]
    bought = {s.order_id for s in agreement.subscriptions if s.account_id == agreement.account_id and s.order_id}
    touched = db.select(OrderLine.order_id).where(OrderLine.subscription_id.in_(own_subs)) if own_subs else None
    conditions = [Order.add_to_agreement_id == agreement.id, Order.id.in_(bought | {agreement.order_id or 0})]
    if touched is not None:
        conditions.append(Order.id.in_(touched))
    return db.session.scalars(db.select(Order).where(Order.account_id == agreement.account_id,
                                                     db.or_(*conditions))
                              .order_by(Order.created_at.desc(), Order.id.desc())).all()


class AgreementOffer(NamedTuple):
    """What the checkout's service step shows of an agreement it offers to add to."""
    id: int
    number: str
    tenant_domain: str
    family: str


# Built once, a reseller's licensee's and a direct customer's own: the checkout's service step reads it on every
# visit. Each agreement with the products of the subscriptions agreement_subscriptions counts (active, the
# agreement's own account's), in the order of its subscriptions: one statement of a few columns, not every
# agreement and subscription loaded whole (a fifth of the service step under load, bench/concurrent_pages.py).
@cache
def _agreements_of_customer(of_licensee: bool):
    # The statuses one equality each, not `IN`: an IN of a list is expanded into the SQL text at every execution,
    # about a quarter of this statement's cost in Python (cProfile, issue 14).
    counted = db.and_(Subscription.agreement_id == Agreement.id,
                      Subscription.account_id == db.bindparam("account_id"),
                      db.or_(*(Subscription.status == status for status in CHANGEABLE_STATUSES)))
    return (db.select(Agreement.id, Agreement.number, Agreement.tenant_domain, Agreement.family,
                      Subscription.product_title)
            .select_from(Agreement).outerjoin(Subscription, counted)
            .where(Agreement.account_id == db.bindparam("account_id"),
                   Agreement.licensee_id == db.bindparam("licensee_id") if of_licensee
                   else Agreement.licensee_id.is_(None))
            .order_by(Agreement.created_at.desc(), Agreement.id.desc(), Subscription.id))


def agreements_of_customer(account_id: int, licensee_id: int | None) -> list[tuple[AgreementOffer, list[str]]]:
    """One customer's agreements with this account (a reseller's licensee, or a direct customer
    itself when `licensee_id` is None), newest first, each with the products of its active subscriptions
    (each named once): what the checkout offers to add to.

    Read on the session's connection (its transaction) without the ORM's handling of a statement, which cost
    more than the statement itself (issue 14); the session is not flushed first."""
    params = {"account_id": account_id} | ({"licensee_id": licensee_id} if licensee_id is not None else {})
    found: dict[AgreementOffer, dict[str, None]] = {}
    for *agreement, title in db.session.connection().execute(_agreements_of_customer(licensee_id is not None),
                                                              params):
        products = found.setdefault(AgreementOffer(*agreement), {})
        if title is not None:
            products[title] = None
    return [(agreement, list(products)) for agreement, products in found.items()]
