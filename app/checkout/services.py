"""The checkout rules. No request, no templates: callers pass what the user gave and show results.

Partner Center calls here are the short, interactive checks the wizard needs at once (domain
availability, partner ID, verifying an authorization on request). Waiting for an authorization
is the worker's job (app/checkout/jobs.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts.models import Licensee, Tenant, User
from app.accounts.services import operator_account, partner_id_holder
from app.audit import services as audit
from app.audit.services import Origin
from app.catalog.cart import cart_for, empty_cart
from app.catalog.models import CartPurpose
from app.checkout.models import STEP_KEYS, CheckoutDraft, DomainReservation
from app.connections.person import TooFast, partner_center_problem, person_client
from app.extensions import db
from app.orders import tenancy
from app.partner_center import PartnerCenterError
from app.partners import network
from app.settings import licensees
from app.settings.licensees import LicenseeDetails
from app.web.layout import full_stop

# Microsoft's rule for the initial domain prefix: letters and digits only, at most 27 characters.
PREFIX_RE = re.compile(r"^[a-z0-9]{1,27}$")
PREFIX_RULE = "Use only letters (a–z) and digits (0–9), no spaces or hyphens, at most 27 characters."
IN_USE = "This domain is already in use"

MPN_WARNING = (
    "There seems to be a problem with the Microsoft Partner Network ID (MPNID) you have provided. Please make "
    "sure that you have typed it correctly. If the problem insists, you have to authorize {operator} as your "
    "Microsoft Cloud Solution Provider (CSP) by accepting the Microsoft Partner Agreement on the Microsoft "
    "Partner Center."
)

EXISTING_BOX = {
    "reseller": "My customer is already using Office 365 service and he/she owns this domain",
    "customer": "I am already using Office 365 service and I own this domain",
}

# ----------------------------------------------------------------------------------------- drafts

# With its licensee: every step from the service details on names the customer being bought for. Built once
# (on first use: a relationship in a statement configures every mapper, which cannot happen while the models
# are still being imported): every step of the wizard runs it.
@cache
def _saved_draft_statement():
    return (db.select(CheckoutDraft)
            .where(CheckoutDraft.user_id == bindparam("user_id"), CheckoutDraft.status == "open")
            .order_by(CheckoutDraft.id.desc()).limit(1).options(joinedload(CheckoutDraft.licensee)))


def _saved_draft(user: User) -> CheckoutDraft | None:
    return db.session.scalar(_saved_draft_statement(), {"user_id": user.id})


def _new_draft(user: User) -> CheckoutDraft:
    account = user.account
    draft = CheckoutDraft(user_id=user.id, account_id=account.id, completed_steps=[], tenant_mode="new",
                          authorization_status="not_started", partner_id_status="unchecked",
                          reseller_tenant_status="unchecked")
    draft.user, draft.account = user, account  # readable before it is saved
    if account.kind == "reseller":
        draft.partner_id = account.partner_id
        draft.reseller_tenant_id = account.partner_tenant_id
    return draft


def current_draft(user: User) -> CheckoutDraft:
    """The user's open checkout for reading: the saved one, or an unsaved one (never added to the
    session) that shows what a new checkout starts with. GET requests use this: they never write."""
    return _saved_draft(user) or _new_draft(user)


def placed_just_before(draft: CheckoutDraft) -> str | None:
    """The order number of the checkout the user finished last, when it was placed and nothing was started
    since (``draft`` is the unsaved one a GET reads): what the back button returns to after Buy."""
    if draft.id is not None:
        return None
    last = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == draft.user_id)
                             .order_by(CheckoutDraft.id.desc()).limit(1))
    return last.order_number if last is not None and last.status == "placed" else None


def open_draft(user: User) -> CheckoutDraft:
    """The user's open checkout, created on first use. One per user, as the cart is."""
    draft = _saved_draft(user)
    if draft is None:
        draft = _new_draft(user)
        db.session.add(draft)
        db.session.flush()  # the view commits with what the step changed
    return draft


def prerequisites_met(draft: CheckoutDraft, step: str) -> bool:
    """A step can be entered when every earlier step is complete."""
    done = set(draft.completed_steps or [])
    return all(earlier in done for earlier in STEP_KEYS[:STEP_KEYS.index(step)])


def current_step(draft: CheckoutDraft) -> str:
    for step in STEP_KEYS:
        if step not in (draft.completed_steps or []):
            return step
    return STEP_KEYS[-1]


def buying(user: User) -> str:
    """What the checkout buys: the product of a Buy now while one is held, else the cart."""
    held = cart_for(user, purpose=CartPurpose.BUY_NOW)
    return CartPurpose.BUY_NOW if held is not None and held.lines else CartPurpose.CART


def buy_the_cart(user: User) -> None:
    """The cart's Next: the checkout buys the cart again (a held Buy now is dropped)."""
    empty_cart(user, CartPurpose.BUY_NOW)


def finish_placed(draft: CheckoutDraft, order) -> None:
    """The checkout became an order: the draft is done, what it bought (the cart, or the Buy now)
    is emptied, its domain released."""
    draft.status = "placed"
    draft.order_number = order.number
    draft.mark_done("review")
    if draft.mca_acceptance is not None:
        draft.mca_acceptance.order_number = order.number
    empty_cart(draft.user, buying(draft.user))
    release_reservation(draft)
    db.session.flush()


def abandon(draft: CheckoutDraft, *, origin: Origin) -> None:
    draft.status = "abandoned"
    empty_cart(draft.user, CartPurpose.BUY_NOW)  # a Buy now ends with its checkout; the cart is kept
    release_reservation(draft)
    audit.record("checkout_abandoned", actor=draft.user, subject=f"checkout {draft.id}", origin=origin)
    db.session.flush()


# --------------------------------------------------------------------------------------- customer

def choose_licensee(draft: CheckoutDraft, licensee_id: int) -> Licensee | None:
    """Only the reseller's own licensees that are not archived can be chosen."""
    licensee = db.session.get(Licensee, licensee_id)
    if licensee is None or licensee.reseller_id != draft.account_id or licensee.archived_at is not None:
        return None
    if draft.licensee_id != licensee.id:
        draft.licensee_id = licensee.id
        # Another customer: the previous one's tenant, domain and authorization go with it.
        drop_tenant(draft)
        draft.domain_prefix = None
        draft.tenant_mode = "new"
        release_reservation(draft)
        # ... and so do its company details: the company step offers the new customer's own (its
        # licensee's), never the previous customer's registration ID, phone and address.
        draft.registration_id = draft.company_phone = draft.address_status = None
        for name in licensees.ADDRESS_FIELDS:
            setattr(draft, name, None)
    draft.mark_done("customer")
    return licensee


def add_licensee(draft: CheckoutDraft, details: LicenseeDetails, *, origin: Origin) -> Licensee | str:
    """Add a licensee for the reseller, as the Licensees page does, and choose it; the message why
    not (a customer of the same name exists) otherwise. Only the contact is asked here: the company
    step asks for the rest."""
    result = licensees.add_licensee(draft.account, details, actor=draft.user, origin=origin, company=False)
    if isinstance(result, Licensee):
        choose_licensee(draft, result.id)
    return result


def confirm_direct_customer(draft: CheckoutDraft) -> None:
    draft.mark_done("customer")


# ----------------------------------------------------------------------------------------- domain

@dataclass
class DomainCheck:
    status: str   # invalid, in_use, taken, available, exists, refused, not_found, unavailable
    message: str
    domain: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("available", "exists")


def remember_domain_check(draft: CheckoutDraft, check: DomainCheck | None) -> None:
    """Keep what the check found wrong with the prefix the draft holds, for the step shown again (a reload, or
    without JavaScript the page after "Update tenant choice"), which never asks Microsoft: "No Microsoft
    tenant uses ..." must stay beside the field, not give way to a Checkout waiting for nothing."""
    kept = (check is not None and not check.ok and check.status != "unavailable" and check.domain is not None
            and check.domain == draft.domain)
    draft.domain_message = check.message if kept else None


def remembered_domain_check(draft: CheckoutDraft) -> DomainCheck | None:
    """The problem the last check found with the draft's prefix (remember_domain_check), as the page shows it."""
    if draft.domain_message and draft.domain_prefix:
        return DomainCheck("remembered", draft.domain_message, draft.domain)
    return None


def normalize_prefix(text: str | None) -> str:
    prefix = (text or "").strip().lower()
    if prefix.endswith(".onmicrosoft.com"):
        prefix = prefix[: -len(".onmicrosoft.com")]
    return prefix


def _in_use_reason(draft: CheckoutDraft, domain: str) -> str | None:
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == domain))
    if tenant is not None and tenant.account_id not in (None, draft.account_id):
        return f"{IN_USE}: {domain} belongs to another customer of this storefront."
    held = db.session.scalar(db.select(DomainReservation).where(DomainReservation.domain == domain))
    if held is not None and held.draft_id != draft.id:
        return f"{IN_USE}: another checkout in this storefront has reserved {domain}."
    return None


def _own_tenant(draft: CheckoutDraft, domain: str) -> bool:
    """`domain` is the tenant of the customer being bought for (the direct customer's, or the reseller's customer's)."""
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == domain))
    return (tenant is not None and tenant.account_id == draft.account_id
            and (not draft.is_reseller or (draft.licensee_id is not None and tenant.licensee_id == draft.licensee_id)))


def check_domain(draft: CheckoutDraft, text: str | None) -> DomainCheck:
    """The live check as the user types: format, this storefront's own use, then Partner Center."""
    prefix = normalize_prefix(text)
    if not prefix:
        return DomainCheck("invalid", "Enter a domain prefix.")
    if not PREFIX_RE.match(prefix):
        return DomainCheck("invalid", PREFIX_RULE)
    domain = f"{prefix}.onmicrosoft.com"
    if draft.tenant_mode == "existing":
        # An existing tenant someone else in this storefront uses is refused at once (the gate
        # records it on the draft); nothing to ask Microsoft.
        claim = tenancy.claim_on(draft.account_id, draft.licensee_id, domain, None, exclude_draft_id=draft.id)
        if claim is not None:
            return DomainCheck("refused", tenancy.refusal(claim), domain)
    reason = _in_use_reason(draft, domain)
    if reason:
        return DomainCheck("in_use", reason, domain)
    try:
        available = person_client(draft.user_id).is_domain_available(domain)
    except (PartnerCenterError, TooFast) as error:
        return DomainCheck("unavailable", partner_center_problem(error), domain)
    if draft.tenant_mode == "existing":
        if available:
            return DomainCheck("not_found", f"No Microsoft tenant uses {domain}. Check the spelling, or untick "
                                            f"the box to create a new tenant with this domain.", domain)
        return DomainCheck("exists", f"{domain} is registered with Microsoft. Its global administrator must "
                                     f"accept the partner relationship (see below).", domain)
    if not available:
        box = EXISTING_BOX[draft.account.kind]
        if _own_tenant(draft, domain):
            whose = "your customer's" if draft.is_reseller else "your"
            return DomainCheck("taken", f"{domain} is already {whose} tenant. To buy for it, tick “{box}”; otherwise "
                                        f"choose another domain prefix and retry.", domain)
        owner = "your customer owns" if draft.is_reseller else "you own"
        return DomainCheck("taken", f"{domain} is already registered with Microsoft by another tenant. If {owner} "
                                    f"it, tick “{box}” and follow the authorization process; otherwise choose "
                                    f"another domain prefix and retry.", domain)
    return DomainCheck("available", f"{domain} is available.", domain)


def reserve_domain(draft: CheckoutDraft, domain: str) -> str | None:
    """Hold `domain` for this draft; return a reason when another checkout holds it already."""
    mine = db.session.scalar(db.select(DomainReservation).where(DomainReservation.draft_id == draft.id))
    if mine is not None and mine.domain == domain:
        return None
    try:
        with db.session.begin_nested():
            if mine is not None:
                db.session.delete(mine)
                db.session.flush()
            db.session.add(DomainReservation(domain=domain, draft_id=draft.id, account_id=draft.account_id))
            db.session.flush()
    except IntegrityError:
        return f"{IN_USE}: another checkout in this storefront has reserved {domain}."
    return None


def release_reservation(draft: CheckoutDraft) -> None:
    db.session.execute(db.delete(DomainReservation).where(DomainReservation.draft_id == draft.id))


def drop_tenant(draft: CheckoutDraft) -> None:
    """Forget the tenant chosen so far and its authorization. A watch with no draft waiting on it
    stops at its next check. Called when the customer (licensee) changes or the existing-tenant box
    is ticked or unticked: the service step must never show one customer's tenant to another."""
    draft.authorization_status = "not_started"
    draft.authorization_problem = None
    draft.tenant_id = None
    draft.default_domain = None
    draft.authorized_at = None
    draft.domain_message = None
    draft.unmark_from("service")


# Built once, a reseller's licensee's and a direct customer's own: the service step reads it on every visit.
_KNOWN_TENANT = {
    of_licensee: db.select(Tenant.domain).where(
        Tenant.account_id == bindparam("account_id"),
        Tenant.licensee_id == bindparam("licensee_id") if of_licensee else Tenant.licensee_id.is_(None))
    .order_by(Tenant.id.desc()).limit(1)
    for of_licensee in (True, False)}


def known_tenant_domain(draft: CheckoutDraft) -> str | None:
    """The domain of the tenant this customer already has with this account (the latest), to fill in. Read on
    the session's connection (its transaction) without the ORM's handling of a statement, which cost more than
    the statement itself (issue 14); the session is not flushed first."""
    if draft.id is None and draft.licensee_id is None and draft.is_reseller:
        return None
    if draft.is_reseller:
        params = {"account_id": draft.account_id, "licensee_id": draft.licensee_id}
    else:
        params = {"account_id": draft.account_id}
    return db.session.connection().scalar(_KNOWN_TENANT[draft.is_reseller], params)


def customer_agreements(draft: CheckoutDraft) -> list:
    """This customer's agreements with this account, each with its products: the service step asks
    whether to add to one of them (its tenant) or to create a new agreement (another tenant)."""
    from app.subscriptions.agreements import agreements_of_customer

    if draft.is_reseller and draft.licensee_id is None:
        return []
    return agreements_of_customer(draft.account_id, draft.licensee_id if draft.is_reseller else None)


def set_tenant_mode(draft: CheckoutDraft, mode: str) -> None:
    if mode == draft.tenant_mode:
        return
    draft.tenant_mode = mode
    drop_tenant(draft)
    if mode == "existing":
        release_reservation(draft)


# ------------------------------------------------------------------------------------- partner ID

@dataclass
class PartnerCheck:
    ready: bool
    warning: str | None = None      # the yellow pop-up text
    problem: str | None = None      # Partner Center unreachable and such
    missing_tenant: bool = False
    not_yours: str | None = None    # another reseller's partner ID


def operator_name() -> str:
    operator = operator_account()
    return operator.name if operator else "your distributor"


def not_yours(draft: CheckoutDraft, partner_id: str) -> str | None:
    """A reseller's orders carry only its own partner ID: the one on its account, and never one that
    another account of this storefront holds."""
    own = draft.account.partner_id
    if own and partner_id != own:
        return (f"{partner_id} is not the partner ID of {draft.account.name}{full_stop(draft.account.name)} Orders of "
                f"{draft.account.name} carry "
                f"its own partner ID, {own}.")
    if partner_id_holder(partner_id, but_not=draft.account_id) is not None:
        return (f"Partner ID {partner_id} belongs to another reseller of this storefront. Enter your own "
                "partner ID (MPN ID).")
    return None


def verify_partner(draft: CheckoutDraft, partner_id: str, reseller_tenant_id: str | None = None) -> PartnerCheck:
    """The partner ID must be this reseller's own and pass the operator's reseller network rules
    (app.partners.network); the reseller's tenant id must be that network entry's."""
    draft.partner_id = partner_id
    if reseller_tenant_id is not None:
        draft.reseller_tenant_id = reseller_tenant_id.strip().lower() or None
    draft.unmark_from("service")
    foreign = not_yours(draft, partner_id)
    if foreign:
        draft.partner_id_status = "invalid"
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, not_yours=foreign)
    if draft.account.partner_tenant_id:
        draft.reseller_tenant_id = draft.account.partner_tenant_id.lower()  # the account's own: nothing to ask
    try:
        check = network.check_partner_id(person_client(draft.user_id), partner_id, draft.reseller_tenant_id)
    except (PartnerCenterError, TooFast) as error:
        return PartnerCheck(False, problem=partner_center_problem(error))
    if not check.partner_ok:
        draft.partner_id_status = "invalid"
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, warning=MPN_WARNING.format(operator=operator_name()))
    draft.partner_id_status = "verified"
    if not check.ready:
        draft.reseller_tenant_status = "invalid" if check.verdict == network.TENANT_MISMATCH else "unchecked"
        return PartnerCheck(False, missing_tenant=True)
    draft.reseller_tenant_status = "verified"
    # The first partner ID a reseller proves becomes its account's: later orders must carry it.
    if not draft.account.partner_id:
        draft.account.partner_id = partner_id
    if not draft.account.partner_tenant_id:
        draft.account.partner_tenant_id = check.network_tenant_id
    return PartnerCheck(True)


def complete_service_step(draft: CheckoutDraft) -> None:
    draft.mark_done("service")
