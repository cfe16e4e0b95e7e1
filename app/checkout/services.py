"""The checkout rules. No request, no templates: callers pass what the user gave and show results.

Partner Center calls here are the short, interactive checks the wizard needs at once (domain
availability, partner ID, verifying an authorization on request). Waiting for an authorization
is the worker's job (app/checkout/jobs.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account, Licensee, Tenant, User, utcnow
from app.accounts.services import operator_account
from app.audit import services as audit
from app.audit.services import Origin
from app.checkout.models import STEP_KEYS, AuthorizationWatch, CheckoutDraft, DomainReservation
from app.connections.services import get_client
from app.extensions import db
from app.partner_center import (NotFound, PartnerAgreementNotSigned, PartnerCenterAuthError, PartnerCenterError,
                                PartnerCenterUnavailable, PartnerIdUnknown, Throttled)

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

PC_DOWN = ("Partner Center is not answering right now, so this could not be checked. Nothing you entered is "
           "lost: try again in a moment.")
PC_THROTTLED = ("Partner Center asked us to slow down, so this could not be checked. Nothing you entered is "
                "lost: try again in {seconds} seconds.")

EXISTING_BOX = {
    "reseller": "My customer is already using Office 365 service and he/she owns this domain",
    "customer": "I am already using Office 365 service and I own this domain",
}

# Authorization polling: fast at first (a person is probably accepting right now), then backing
# off to a few minutes; stopped after 7 days.
FAST_INTERVAL = 2.0
FAST_PHASE = timedelta(minutes=2)
MAX_INTERVAL = 180.0
WATCH_LIFETIME = timedelta(days=7)


def partner_center_problem(error: PartnerCenterError) -> str:
    if isinstance(error, Throttled):
        return PC_THROTTLED.format(seconds=int(error.retry_after or 30))
    if isinstance(error, (PartnerCenterUnavailable, PartnerCenterAuthError)) or (error.status or 500) >= 500:
        return PC_DOWN
    return f"Partner Center refused this request: {error.description} Nothing you entered is lost."


# ----------------------------------------------------------------------------------------- drafts

def open_draft(user: User) -> CheckoutDraft:
    """The user's open checkout, created on first use. One per user, as the cart is."""
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == user.id,
                                                             CheckoutDraft.status == "open")
                              .order_by(CheckoutDraft.id.desc()).limit(1))
    if draft is None:
        account = user.account
        draft = CheckoutDraft(user_id=user.id, account_id=account.id, completed_steps=[])
        if account.kind == "reseller":
            draft.partner_id = account.partner_id
            draft.reseller_tenant_id = account.partner_tenant_id
        db.session.add(draft)
        db.session.commit()
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


def abandon(draft: CheckoutDraft, *, origin: Origin) -> None:
    draft.status = "abandoned"
    release_reservation(draft)
    audit.record("checkout_abandoned", actor=draft.user, subject=f"checkout {draft.id}", origin=origin)
    db.session.commit()


# --------------------------------------------------------------------------------------- customer

@dataclass
class NewLicensee:
    company_name: str
    country: str
    contact_first_name: str
    contact_last_name: str
    email: str
    phone: str | None


def choose_licensee(draft: CheckoutDraft, licensee_id: int) -> Licensee | None:
    """Only the reseller's own licensees can be chosen."""
    licensee = db.session.get(Licensee, licensee_id)
    if licensee is None or licensee.reseller_id != draft.account_id:
        return None
    if draft.licensee_id != licensee.id:
        draft.licensee_id = licensee.id
        draft.unmark_from("service")
    draft.mark_done("customer")
    return licensee


def add_licensee(draft: CheckoutDraft, data: NewLicensee, *, origin: Origin) -> Licensee | str:
    """Add a licensee for the reseller and choose it; a duplicate company name is refused."""
    exists = db.session.scalar(db.select(Licensee).where(Licensee.reseller_id == draft.account_id,
                                                         db.func.lower(Licensee.company_name) == data.company_name.strip().lower()))
    if exists is not None:
        return f"You already have a customer named {exists.company_name}: choose it from the list."
    licensee = Licensee(reseller_id=draft.account_id, company_name=data.company_name.strip(), country=data.country,
                        contact_first_name=data.contact_first_name.strip(),
                        contact_last_name=data.contact_last_name.strip(), email=data.email.strip().lower(),
                        phone=(data.phone or "").strip() or None)
    db.session.add(licensee)
    db.session.flush()
    audit.record("licensee_added", actor=draft.user, subject=licensee.company_name, origin=origin)
    choose_licensee(draft, licensee.id)
    return licensee


def confirm_direct_customer(draft: CheckoutDraft) -> None:
    draft.mark_done("customer")


# ----------------------------------------------------------------------------------------- domain

@dataclass
class DomainCheck:
    status: str   # invalid, in_use, taken, available, exists, not_found, unavailable
    message: str
    domain: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("available", "exists")


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


def check_domain(draft: CheckoutDraft, text: str | None) -> DomainCheck:
    """The live check as the user types: format, this storefront's own use, then Partner Center."""
    prefix = normalize_prefix(text)
    if not prefix:
        return DomainCheck("invalid", "Enter a domain prefix.")
    if not PREFIX_RE.match(prefix):
        return DomainCheck("invalid", PREFIX_RULE)
    domain = f"{prefix}.onmicrosoft.com"
    reason = _in_use_reason(draft, domain)
    if reason:
        return DomainCheck("in_use", reason, domain)
    try:
        available = get_client().is_domain_available(domain)
    except PartnerCenterError as error:
        return DomainCheck("unavailable", partner_center_problem(error), domain)
    if draft.tenant_mode == "existing":
        if available:
            return DomainCheck("not_found", f"No Microsoft tenant uses {domain}. Check the spelling, or untick "
                                            f"the box to create a new tenant with this domain.", domain)
        return DomainCheck("exists", f"{domain} is registered with Microsoft. Its global administrator must "
                                     f"accept the partner relationship (see below).", domain)
    if not available:
        box = EXISTING_BOX[draft.account.kind]
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
            db.session.add(DomainReservation(domain=domain, draft_id=draft.id))
            db.session.flush()
    except IntegrityError:
        return f"{IN_USE}: another checkout in this storefront has reserved {domain}."
    return None


def release_reservation(draft: CheckoutDraft) -> None:
    db.session.execute(db.delete(DomainReservation).where(DomainReservation.draft_id == draft.id))


def set_tenant_mode(draft: CheckoutDraft, mode: str) -> None:
    if mode == draft.tenant_mode:
        return
    draft.tenant_mode = mode
    draft.unmark_from("service")
    draft.authorization_status = "not_started"
    draft.tenant_id = None
    draft.default_domain = None
    draft.domain_message = None
    if mode == "existing":
        release_reservation(draft)


# ------------------------------------------------------------------------------------- partner ID

@dataclass
class PartnerCheck:
    ready: bool
    warning: str | None = None      # the yellow pop-up text
    problem: str | None = None      # Partner Center unreachable and such
    missing_tenant: bool = False


def operator_name() -> str:
    operator = operator_account()
    return operator.name if operator else "your distributor"


def verify_partner(draft: CheckoutDraft, partner_id: str, reseller_tenant_id: str | None = None) -> PartnerCheck:
    """The partner ID must exist, be in the operator's indirect reseller network, and have the
    Microsoft Partner Agreement signed; the reseller's tenant id must be that network entry's."""
    draft.partner_id = partner_id
    if reseller_tenant_id is not None:
        draft.reseller_tenant_id = reseller_tenant_id.strip().lower() or None
    draft.unmark_from("service")
    client = get_client()
    warning = MPN_WARNING.format(operator=operator_name())
    try:
        client.get_mpn_profile(partner_id)
        client.get_agreement_status(partner_id)
        network = {r.mpn_id: r for r in client.list_indirect_resellers()}
    except (PartnerIdUnknown, PartnerAgreementNotSigned, NotFound):
        draft.partner_id_status = "invalid"
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, warning=warning)
    except PartnerCenterError as error:
        return PartnerCheck(False, problem=partner_center_problem(error))
    entry = network.get(partner_id)
    if entry is None:
        draft.partner_id_status = "invalid"
        return PartnerCheck(False, warning=warning)
    draft.partner_id_status = "verified"
    if not draft.reseller_tenant_id:
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, missing_tenant=True)
    if draft.reseller_tenant_id != entry.id.lower():
        draft.reseller_tenant_status = "invalid"
        return PartnerCheck(False, missing_tenant=True)
    draft.reseller_tenant_status = "verified"
    return PartnerCheck(True)


# --------------------------------------------------------------------------------- authorization

def relationship_link(draft: CheckoutDraft) -> str:
    """Generated through Partner Center at this moment: the indirect-reseller link carrying the
    reseller's tenant (and its partner ID) for resellers; the operator's own link for direct customers."""
    client = get_client()
    if draft.is_reseller:
        return client.get_relationship_request(indirect_reseller_id=draft.reseller_tenant_id).url
    return client.get_relationship_request().url


def start_waiting(draft: CheckoutDraft, domain_prefix: str) -> None:
    """The draft now waits for the authorization of an existing tenant; the worker watches it."""
    if draft.domain_prefix != domain_prefix or draft.authorization_status != "verified":
        draft.domain_prefix = domain_prefix
        draft.authorization_status = "waiting"
        draft.tenant_id = draft.default_domain = None
    watch = db.session.scalar(db.select(AuthorizationWatch).where(AuthorizationWatch.domain == draft.domain))
    now = utcnow()
    if watch is None:
        try:
            with db.session.begin_nested():
                db.session.add(AuthorizationWatch(domain=draft.domain, started_at=now, next_check_at=now,
                                                  interval_seconds=FAST_INTERVAL))
                db.session.flush()
        except IntegrityError:
            pass  # another draft started watching this tenant at the same moment: share it
    elif watch.status != "waiting":
        # Watch again, fast: someone is looking at this tenant now.
        watch.status, watch.started_at, watch.next_check_at = "waiting", now, now
        watch.interval_seconds, watch.last_error = FAST_INTERVAL, None


def next_interval(watch: AuthorizationWatch, now: datetime) -> float:
    if now - watch.started_at < FAST_PHASE:
        return FAST_INTERVAL
    return min(max(watch.interval_seconds, FAST_INTERVAL) * 2, MAX_INTERVAL)


def mark_authorized(draft: CheckoutDraft, tenant_id: str, default_domain: str | None, *, actor=None,
                    origin: Origin | None = None) -> None:
    draft.authorization_status = "verified"
    draft.tenant_id = tenant_id
    draft.default_domain = default_domain or draft.domain
    draft.authorized_at = utcnow()
    audit.record("tenant_authorization_verified", actor=actor, account=draft.account, subject=draft.domain,
                 details={"tenant_id": tenant_id, "default_domain": draft.default_domain, "checkout": draft.id},
                 **({"origin": origin} if origin else {}))


@dataclass
class VerifyResult:
    verified: bool
    message: str


def verify_now(draft: CheckoutDraft, default_domain: str, *, actor: User, origin: Origin) -> VerifyResult:
    """'Verify Authorization': look the customer up by the domain it gave, at once."""
    domain = (default_domain or "").strip().lower()
    if not domain or "." not in domain:
        return VerifyResult(False, "Enter the customer's default domain, for example contoso.com or "
                                   "contoso.onmicrosoft.com.")
    try:
        # The search matches any domain of a tenant (its custom default domain too) by prefix;
        # keep the tenant this checkout is about, or one whose initial domain is exactly what was typed.
        found = get_client().search_customers("Domain", domain).items
    except PartnerCenterError as error:
        return VerifyResult(False, partner_center_problem(error))
    customer = next((c for c in found if (c.domain or "").lower() == draft.domain), None)
    if customer is None:
        other = next((c for c in found if (c.domain or "").lower() == domain), None)
        if other is not None and draft.domain:
            return VerifyResult(False, f"{domain} belongs to the tenant {other.domain}, not to {draft.domain}. "
                                       "Enter a default domain of the tenant you are buying for.")
        who = "your customer's" if draft.is_reseller else "your"
        return VerifyResult(False, f"The authorization has not been completed yet for {domain}. Ask {who} global "
                                   "administrator to open the authorization link, sign in to the Microsoft 365 "
                                   "admin center and accept the relationship; then verify again.")
    mark_authorized(draft, customer.id, domain, actor=actor, origin=origin)
    db.session.commit()
    return VerifyResult(True, f"Authorization verified for {domain}.")


def complete_service_step(draft: CheckoutDraft) -> None:
    draft.mark_done("service")
