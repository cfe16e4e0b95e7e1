"""The authorization gate of an existing tenant: per checkout draft, for the account that waits.

A draft that buys into an existing tenant waits until Partner Center shows the relationship that
was asked for (app.orders.tenancy.decide): the customer accepted *this reseller* as its indirect
reseller, or, for a direct customer, the operator as its direct partner. A tenant that another
account of this storefront uses is refused at once, with the reason, and never watched.

The worker polls (app/checkout/jobs.py) one watch per tenant however many drafts wait on it, and
decides per draft; "Verify Authorization" asks the same question at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.audit import services as audit
from app.audit.services import Origin
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.checkout.services import operator_name, release_reservation
from app.connections.person import TooFast, partner_center_problem, person_client
from app.connections.services import connection_for
from app.extensions import db
from app.orders import tenancy
from app.partner_center import PartnerCenterError

# Polling: fast at first (a person is probably accepting right now), then backing off to a few
# minutes; stopped after 7 days. While Partner Center's webhook events arrive (an acceptance is then
# pushed, app/connections/webhooks.py), polling is only the safety net: a shorter fast phase and a
# longer ceiling.
FAST_INTERVAL = 2.0
FAST_PHASE = timedelta(minutes=2)
MAX_INTERVAL = 180.0
FAST_PHASE_WITH_WEBHOOKS = timedelta(seconds=30)
MAX_INTERVAL_WITH_WEBHOOKS = 900.0
WATCH_LIFETIME = timedelta(days=7)


def buyer_of(draft: CheckoutDraft) -> tenancy.Buyer:
    return tenancy.Buyer(account_id=draft.account_id, licensee_id=draft.licensee_id, is_reseller=draft.is_reseller,
                         reseller_tenant_id=draft.reseller_tenant_id)


def relationship_link(draft: CheckoutDraft) -> str:
    """Generated through Partner Center at this moment: the indirect-reseller link carrying the
    reseller's tenant (and its partner ID) for resellers; the operator's own link for direct customers."""
    client = person_client(draft.user_id)
    if draft.is_reseller:
        return client.get_relationship_request(indirect_reseller_id=draft.reseller_tenant_id).url
    return client.get_relationship_request().url


def ensure_link(draft: CheckoutDraft) -> str | None:
    """Make sure a waiting draft has its link (generated once, kept on the draft); the problem in
    words when Partner Center could not give one."""
    if draft.tenant_mode != "existing" or draft.authorization_status in ("verified", "refused"):
        return None
    if draft.authorization_link:
        return None
    try:
        draft.authorization_link = relationship_link(draft)
    except TooFast as too_fast:
        return too_fast.message
    except PartnerCenterError as error:
        return partner_center_problem(error)
    return None


def start_waiting(draft: CheckoutDraft, domain_prefix: str) -> None:
    """The draft now waits for the authorization of an existing tenant, unless this storefront
    already knows the tenant is someone else's: then it is refused at once and never watched."""
    if draft.domain_prefix != domain_prefix or draft.authorization_status not in ("verified", "refused"):
        draft.domain_prefix = domain_prefix
        draft.authorization_status = "waiting"
        draft.authorization_problem = None
        draft.tenant_id = draft.default_domain = None
    claim = tenancy.claim_on(draft.account_id, draft.licensee_id, draft.domain, None, exclude_draft_id=draft.id)
    if claim is not None:
        refuse(draft, tenancy.refusal(claim))
        return
    if draft.authorization_status != "waiting":
        return
    watch = db.session.scalar(db.select(AuthorizationWatch).where(AuthorizationWatch.domain == draft.domain))
    now = utcnow()
    if watch is None:
        try:
            with db.session.begin_nested():
                db.session.add(AuthorizationWatch(domain=draft.domain, started_at=now, next_check_at=now,
                                                  interval_seconds=FAST_INTERVAL,
                                                  connection=connection_for(draft.account)))
                db.session.flush()
        except IntegrityError:
            pass  # another draft started watching this tenant at the same moment: share it
    elif watch.status != "waiting":
        # Watch again, fast: someone is looking at this tenant now.
        watch.status, watch.started_at, watch.next_check_at = "waiting", now, now
        watch.interval_seconds, watch.last_error = FAST_INTERVAL, None


def next_interval(watch: AuthorizationWatch, now: datetime, *, webhooks: bool = False) -> float:
    """Seconds until the watch's next check; `webhooks`: Partner Center's events arrive lately."""
    if now - watch.started_at < (FAST_PHASE_WITH_WEBHOOKS if webhooks else FAST_PHASE):
        return FAST_INTERVAL
    ceiling = MAX_INTERVAL_WITH_WEBHOOKS if webhooks else MAX_INTERVAL
    return min(max(watch.interval_seconds, FAST_INTERVAL) * 2, ceiling)


def refuse(draft: CheckoutDraft, reason: str) -> None:
    draft.authorization_status = "refused"
    draft.authorization_problem = reason
    draft.tenant_id = None
    draft.unmark_from("service")
    release_reservation(draft)


def apply(draft: CheckoutDraft, facts: tenancy.TenantFacts, *, actor: User | None = None,
          origin: Origin | None = None) -> tenancy.Decision:
    """Decide for one draft and record the outcome on it; returns the decision."""
    decision = tenancy.decide(buyer_of(draft), draft.domain, facts, operator_name=operator_name(),
                              exclude_draft_id=draft.id)
    if decision.status == "refused":
        refuse(draft, decision.reason)
        audit.record("tenant_authorization_refused", actor=actor, account=draft.account, subject=draft.domain,
                     details={"reason": decision.reason, "checkout": draft.id}, **({"origin": origin} if origin else {}))
    elif decision.status == "verified":
        draft.authorization_status = "verified"
        draft.authorization_problem = None
        draft.tenant_id = facts.customer_id
        draft.default_domain = draft.default_domain or draft.domain
        draft.authorized_at = utcnow()
        audit.record("tenant_authorization_verified", actor=actor, account=draft.account, subject=draft.domain,
                     details={"tenant_id": facts.customer_id, "default_domain": draft.default_domain,
                              "checkout": draft.id}, **({"origin": origin} if origin else {}))
    return decision


def still_authorized(draft: CheckoutDraft) -> str | None:
    """Asked while an order is being placed, under the tenant's lock: None when the draft's
    authorization still holds in this storefront, else why not."""
    db.session.refresh(draft)  # what the watch may have decided meanwhile, under the lock
    if draft.tenant_mode != "existing":
        return None
    if draft.authorization_status != "verified" or not draft.tenant_id:
        return "The customer's authorization of this tenant is not verified. Go back to Service details."
    claim = tenancy.claim_on(draft.account_id, draft.licensee_id, draft.domain, draft.tenant_id,
                             exclude_draft_id=draft.id)
    if claim is not None:
        return tenancy.refusal(claim)
    return None


@dataclass
class VerifyResult:
    verified: bool
    message: str


def verify_now(draft: CheckoutDraft, default_domain: str, *, actor: User, origin: Origin) -> VerifyResult:
    """'Verify Authorization': look the customer up by the domain it gave, at once, with the rule
    the watch applies."""
    domain = (default_domain or "").strip().lower()
    if not domain or "." not in domain:
        return VerifyResult(False, "Enter the customer's default domain, for example contoso.com or "
                                   "contoso.onmicrosoft.com.")
    if draft.authorization_refused:
        return VerifyResult(False, draft.authorization_problem or tenancy.OTHER_PARTNER + ".")
    try:
        client = person_client(actor.id)
        # The search matches any domain of a tenant (its custom default domain too) by prefix;
        # keep the tenant this checkout is about, or one whose initial domain is exactly what was typed.
        found = client.search_customers("Domain", domain).items
        customer = next((c for c in found if (c.domain or "").lower() == draft.domain), None)
        facts = tenancy.facts_of(client, customer.id, customer.domain) if customer else tenancy.TenantFacts(None)
    except TooFast as too_fast:
        return VerifyResult(False, too_fast.message)
    except PartnerCenterError as error:
        return VerifyResult(False, partner_center_problem(error))
    if customer is None:
        other = next((c for c in found if (c.domain or "").lower() == domain), None)
        if other is not None and draft.domain:
            return VerifyResult(False, f"{domain} belongs to the tenant {other.domain}, not to {draft.domain}. "
                                       "Enter a default domain of the tenant you are buying for.")
    decision = apply(draft, facts, actor=actor, origin=origin)
    if decision.status == "verified":
        draft.default_domain = domain
        return VerifyResult(True, f"Authorization verified for {domain}.")
    if decision.status == "refused":
        return VerifyResult(False, decision.reason)
    if customer is not None and draft.is_reseller:
        return VerifyResult(False, f"{draft.domain} has not accepted {draft.account.name} as its reseller yet. Ask "
                                   "your customer's global administrator to open the authorization link you sent "
                                   "(this reseller's own link) and accept it; then verify again.")
    who = "your customer's" if draft.is_reseller else "your"
    return VerifyResult(False, f"The authorization has not been completed yet for {domain}. Ask {who} global "
                               "administrator to open the authorization link, sign in to the Microsoft 365 "
                               "admin center and accept the relationship; then verify again.")
