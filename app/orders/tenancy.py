"""Who may order into a tenant: its owner in this storefront, and the relationship Partner Center shows.

Two questions, asked by the checkout's authorization gate (its watch job and "Verify
Authorization"), by placing an order, and by an order whose tenant is changed on its Parameters tab:

1. Ownership in this storefront: a tenant used by another account (its agreement, its tenant row,
   its order in progress, or a checkout holding that domain) is refused at once; waiting would
   never make it right. Agreements are subscriptions' rows: that area registers its claim here.
2. The relationship that was asked for (../shared/partner-center.md, "Reseller relationship
   request link"): a reseller needs the customer to have accepted *that reseller* as its indirect
   reseller (GET /v1/customers/{id}/relationships lists it; the operator can read the list only as
   the indirect provider); a direct customer needs the operator as its direct partner, and must
   not be a customer the operator serves through an indirect reseller.

Placing serialises on a row per tenant key (`TenantLock`) so that the ownership check and the
insert of the order happen under one lock: two accounts can never both order into one tenant.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import DomainReservation, Tenant, TenantLock
from app.extensions import db
from app.orders.models import OPEN_STATUSES, Order

OTHER_PARTNER = "This tenant is already served through another partner in this storefront"
# Partner Center's words for a customer's indirect reseller ("is_indirect_reseller_of" is what
# older payloads carry); anything not Active does not count.
ACTIVE = "active"


@dataclass(frozen=True)
class Buyer:
    """The account that wants the tenant, as the gate needs to see it."""

    account_id: int
    licensee_id: int | None
    is_reseller: bool
    reseller_tenant_id: str | None  # resellers: their own Partner Center tenant id


@dataclass(frozen=True)
class Claim:
    """Someone else in this storefront uses the tenant. `other_account` tells whether it is another
    organisation (always refused) or another customer of the same reseller."""

    other_account: bool
    reason: str  # the order-side wording: "it belongs to another organisation's agreement."


@dataclass(frozen=True)
class Wanted:
    """The tenant someone wants, as the claim sources are asked about it."""

    account_id: int
    licensee_id: int | None
    domain: str | None      # lower-cased
    tenant_id: str | None   # lower-cased
    exclude_order_id: int | None = None
    exclude_draft_id: int | None = None

    def rows(self, model, domain_name: str, id_name: str, *, statement=None):
        """The rows of `model` naming this tenant by domain or tenant id (`domain_name`, `id_name`: its
        columns), or by `statement`, one of `matching`'s with more conditions; nothing when there is
        nothing to match."""
        if not (self.domain or self.tenant_id):
            return []
        return db.session.scalars(statement if statement is not None else matching(model, domain_name, id_name),
                                  {"domain": self.domain, "tenant_id": self.tenant_id,
                                   "exclude_order_id": self.exclude_order_id or 0})


@cache
def matching(model, domain_name: str, id_name: str):
    """Rows of `model` whose domain or tenant id is the one wanted, built once: every open order's page asks
    each claim source (building a statement cost more than running it). A bound None matches nothing
    (`column = NULL` is never true), so one statement serves a domain, a tenant id or both."""
    return db.select(model).where(db.or_(getattr(model, domain_name) == bindparam("domain"),
                                         getattr(model, id_name) == bindparam("tenant_id")))


# Who else in this storefront holds a tenant, asked in rank order; the first claim found is the
# answer. Areas above orders add theirs (subscriptions: agreements, rank 10) with `claim_source`,
# so this module reads nothing of theirs.
ClaimSource = Callable[[Wanted], "Claim | None"]
_SOURCES: list[tuple[int, ClaimSource]] = []


def claim_source(rank: int):
    """Register a claim source (a decorator); lower ranks are asked first."""

    def register(source: ClaimSource) -> ClaimSource:
        _SOURCES.append((rank, source))
        _SOURCES.sort(key=lambda item: item[0])
        return source

    return register


def claim_on(account_id: int, licensee_id: int | None, domain: str | None, tenant_id: str | None, *,
             exclude_order_id: int | None = None, exclude_draft_id: int | None = None) -> Claim | None:
    """Why this account (and licensee) may not use the tenant, or None."""
    wanted = Wanted(account_id, licensee_id, (domain or "").strip().lower() or None,
                    (tenant_id or "").strip().lower() or None, exclude_order_id, exclude_draft_id)
    for _rank, source in _SOURCES:
        claim = source(wanted)
        if claim is not None:
            return claim
    return None


@claim_source(rank=20)
def _tenant_rows(wanted: Wanted) -> Claim | None:
    for tenant in wanted.rows(Tenant, "domain", "tenant_id"):
        if tenant.account_id is not None and tenant.account_id != wanted.account_id:
            return Claim(True, "the tenant belongs to another organisation.")
        if tenant.account_id == wanted.account_id and tenant.licensee_id != wanted.licensee_id:
            return Claim(False, "the tenant belongs to another of your customers.")
    return None


@claim_source(rank=30)
def _orders_in_progress(wanted: Wanted) -> Claim | None:
    """Orders still on their way (an agreement appears only when they complete)."""
    for order in wanted.rows(Order, "domain", "tenant_id", statement=_open_orders_matching()):
        if order.account_id != wanted.account_id:
            return Claim(True, "another organisation has an order in progress for it.")
        if order.licensee_id != wanted.licensee_id:
            return Claim(False, "another of your customers has an order in progress for it.")
    return None


@cache
def _open_orders_matching():
    # Order ids start at 1: an exclude_order_id of 0 excludes nothing.
    return matching(Order, "domain", "tenant_id").where(Order.status.in_(OPEN_STATUSES),
                                                        Order.id != bindparam("exclude_order_id"))


@cache
def _reservation_of():
    return db.select(DomainReservation).where(DomainReservation.domain == bindparam("domain"))


@claim_source(rank=40)
def _checkouts_holding_the_domain(wanted: Wanted) -> Claim | None:
    if not wanted.domain:
        return None
    held = db.session.scalar(_reservation_of(), {"domain": wanted.domain})
    if held is not None and held.draft_id != wanted.exclude_draft_id:
        return Claim(held.account_id != wanted.account_id, "another checkout in this storefront holds it.")
    return None


@dataclass(frozen=True)
class TenantFacts:
    """What Partner Center shows the operator about a tenant: the customer, when a relationship
    with the operator exists, and the tenant ids of its active indirect resellers."""

    customer_id: str | None
    domain: str | None = None
    indirect_resellers: frozenset[str] = frozenset()

    @property
    def visible(self) -> bool:
        return self.customer_id is not None


class Verdict(StrEnum):
    """The gate's answer for one buyer and tenant (a checkout keeps it as its authorization status)."""

    VERIFIED = "verified"
    WAITING = "waiting"    # Partner Center does not show the relationship this buyer asked for yet
    REFUSED = "refused"    # waiting would never make it right


@dataclass(frozen=True)
class Decision:
    status: Verdict
    reason: str | None = None


def read_facts(client, domain: str) -> TenantFacts:
    """Two calls at most: find the customer by its initial domain, then its partner relationships."""
    customer = client.find_customer_by_domain(domain)
    if customer is None:
        return TenantFacts(None)
    return facts_of(client, customer.id, customer.domain)


def facts_of(client, customer_id: str, domain: str | None) -> TenantFacts:
    resellers = frozenset(
        r.id.lower() for r in client.list_customer_relationships(customer_id)
        if r.id and (r.state or "Active").lower() == ACTIVE)
    return TenantFacts(customer_id.lower(), (domain or "").lower() or None, resellers)


def decide(buyer: Buyer, domain: str, facts: TenantFacts, *, operator_name: str,
           exclude_order_id: int | None = None, exclude_draft_id: int | None = None) -> Decision:
    """The gate's rule for one buyer, given what Partner Center shows."""
    claim = claim_on(buyer.account_id, buyer.licensee_id, domain, facts.customer_id,
                     exclude_order_id=exclude_order_id, exclude_draft_id=exclude_draft_id)
    if claim is not None:
        return Decision(Verdict.REFUSED, refusal(claim))
    if not facts.visible:
        return Decision(Verdict.WAITING)
    if buyer.is_reseller:
        mine = (buyer.reseller_tenant_id or "").lower()
        if mine and mine in facts.indirect_resellers:
            return Decision(Verdict.VERIFIED)
        # The customer accepted someone else's request (the operator's own, another reseller's):
        # not the relationship this reseller asked for. Keep waiting for the right one.
        return Decision(Verdict.WAITING)
    if facts.indirect_resellers:
        return Decision(Verdict.REFUSED, f"This tenant buys from {operator_name} through an indirect reseller, so it "
                                   "cannot become a direct customer. Ask that reseller to place the order.")
    return Decision(Verdict.VERIFIED)


def sentence(text: str) -> str:
    """End with one full stop, even after a name that ends with one ("Fabrikam, Inc.")."""
    return text if text.endswith(".") else text + "."


def refusal(claim: Claim) -> str:
    if claim.other_account:
        return OTHER_PARTNER + "."
    return f"This tenant is already used for another of your customers: {claim.reason}"


def lock_tenant(domain: str | None, tenant_id: str | None) -> None:
    """Hold the tenant's lock rows until the transaction ends.

    The insert (which does nothing when the row exists) makes SQLite take its write lock, which
    serialises every placing; SELECT ... FOR UPDATE does the same per tenant on PostgreSQL.
    """
    keys = sorted({k for k in ((domain or "").lower(), (tenant_id or "").lower()) if k})
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in keys:
        db.session.execute(insert(TenantLock).values(key=key).on_conflict_do_nothing(index_elements=["key"]))
        db.session.execute(db.select(TenantLock.key).where(TenantLock.key == key).with_for_update())
