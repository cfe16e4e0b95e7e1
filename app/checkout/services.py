"""The checkout rules. No request, no templates: callers pass what the user gave and show results.

Partner Center calls here are the short, interactive checks the wizard needs at once (domain
availability, partner ID, verifying an authorization on request). Waiting for an authorization
is the worker's job (app/checkout/jobs.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account, Licensee, Tenant, User, utcnow
from app.accounts.services import operator_account
from app.audit import services as audit
from app.audit.services import Origin
from app.checkout.models import STEP_KEYS, CheckoutDraft, DomainReservation
from app.connections.services import get_client
from app.extensions import db, get_redis
from app.orders import tenancy
from app.web.ratelimit import over_limit
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
PC_THROTTLED = "Microsoft is busy, try again in {seconds} seconds. Nothing you entered is lost."
TOO_FAST = ("You have made many checks in a short time. Wait {seconds} seconds, then try again; nothing you "
            "entered is lost.")

EXISTING_BOX = {
    "reseller": "My customer is already using Office 365 service and he/she owns this domain",
    "customer": "I am already using Office 365 service and I own this domain",
}

class TooFast(Exception):
    """One person asked Partner Center too often in a short time (PERSON_PC_CALLS_PER_MINUTE)."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.message = TOO_FAST.format(seconds=retry_after)
        super().__init__(self.message)


def person_client(user_id: int):
    """The Partner Center client for a call a person waits on: one attempt, a short timeout, no
    sleeping on Retry-After, and at most PERSON_PC_CALLS_PER_MINUTE checks (requests that call
    Partner Center) per user, so that one buyer cannot spend the operator's Partner Center quota.
    Raises TooFast beyond it."""
    # One check (one request) counts once, however many calls it makes.
    if has_request_context() and g.get("person_pc_counted") == user_id:
        wait = g.get("person_pc_wait")
    else:
        wait = over_limit(f"pc:person:{user_id}", current_app.config["PERSON_PC_CALLS_PER_MINUTE"], 60)
        if has_request_context():
            g.person_pc_counted, g.person_pc_wait = user_id, wait
    if wait is not None:
        raise TooFast(wait)
    return get_client().for_person(timeout=current_app.config["PERSON_PC_TIMEOUT_SECONDS"])


# The operator's reseller network changes rarely; a partner ID checked on every blur must not page
# through it each time.
NETWORK_CACHE_SECONDS = 300


def reseller_network(client) -> dict[str, str]:
    """MPN ID -> the reseller's Partner Center tenant id, cached briefly in Redis."""
    key = "pc:reseller-network"
    try:
        cached = get_redis().get(key)
    except Exception:
        cached = None
    if cached is not None:
        return json.loads(cached)
    network = {r.mpn_id: r.id.lower() for r in client.list_indirect_resellers() if r.mpn_id}
    try:
        get_redis().set(key, json.dumps(network), ex=NETWORK_CACHE_SECONDS)
    except Exception:
        pass  # without Redis every check reads the network again; still correct
    return network


def partner_center_problem(error: PartnerCenterError | TooFast) -> str:
    if isinstance(error, TooFast):
        return error.message
    if isinstance(error, Throttled):
        return PC_THROTTLED.format(seconds=int(error.retry_after or 30))
    if isinstance(error, (PartnerCenterUnavailable, PartnerCenterAuthError)) or (error.status or 500) >= 500:
        return PC_DOWN
    return f"Partner Center refused this request: {error.description} Nothing you entered is lost."


# ----------------------------------------------------------------------------------------- drafts

def _saved_draft(user: User) -> CheckoutDraft | None:
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == user.id,
                                                            CheckoutDraft.status == "open")
                             .order_by(CheckoutDraft.id.desc()).limit(1))


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


def open_draft(user: User) -> CheckoutDraft:
    """The user's open checkout, created on first use. One per user, as the cart is."""
    draft = _saved_draft(user)
    if draft is None:
        draft = _new_draft(user)
        db.session.add(draft)
        db.session.commit()
    return draft


# The Microsoft Customer Agreement template changes rarely; the agreement page shows the cached one.
TEMPLATE_CACHE_SECONDS = 12 * 3600


def agreement_template(user_id: int, *, fetch: bool):
    """(template, problem): the current MCA template from the cache, or, with `fetch`, from Partner
    Center (then cached). Without `fetch` a missing template is not an error: the form fetches it."""
    from app.partner_center.types import AgreementTemplate

    key = "pc:mca-template"
    try:
        cached = get_redis().get(key)
    except Exception:
        cached = None
    if cached is not None:
        data = json.loads(cached)
        return AgreementTemplate(template_id=data["templateId"], agreement_link=data.get("agreementLink")), None
    if not fetch:
        return None, None
    try:
        template = person_client(user_id).current_agreement_template()
    except (PartnerCenterError, TooFast) as error:
        return None, partner_center_problem(error)
    try:
        get_redis().set(key, json.dumps({"templateId": template.template_id,
                                         "agreementLink": template.agreement_link}), ex=TEMPLATE_CACHE_SECONDS)
    except Exception:
        pass  # without Redis the form fetches it each time; still correct
    return template, None


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
        # Another customer: the previous one's tenant, domain and authorization go with it.
        drop_tenant(draft)
        draft.domain_prefix = None
        draft.tenant_mode = "new"
        release_reservation(draft)
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
    status: str   # invalid, in_use, taken, available, exists, refused, not_found, unavailable
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
        return (f"{partner_id} is not the partner ID of {draft.account.name}. Orders of {draft.account.name} carry "
                f"its own partner ID, {own}.")
    holder = db.session.scalar(db.select(Account).where(Account.partner_id == partner_id,
                                                        Account.id != draft.account_id))
    if holder is not None:
        return (f"Partner ID {partner_id} belongs to another reseller of this storefront. Enter your own "
                "partner ID (MPN ID).")
    return None


def verify_partner(draft: CheckoutDraft, partner_id: str, reseller_tenant_id: str | None = None) -> PartnerCheck:
    """The partner ID must be this reseller's own, exist, be in the operator's indirect reseller
    network, and have the Microsoft Partner Agreement signed; the reseller's tenant id must be that
    network entry's."""
    draft.partner_id = partner_id
    if reseller_tenant_id is not None:
        draft.reseller_tenant_id = reseller_tenant_id.strip().lower() or None
    draft.unmark_from("service")
    foreign = not_yours(draft, partner_id)
    if foreign:
        draft.partner_id_status = "invalid"
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, not_yours=foreign)
    warning = MPN_WARNING.format(operator=operator_name())
    try:
        client = person_client(draft.user_id)
        client.get_mpn_profile(partner_id)
        client.get_agreement_status(partner_id)
        network = reseller_network(client)
    except (PartnerIdUnknown, PartnerAgreementNotSigned, NotFound):
        draft.partner_id_status = "invalid"
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, warning=warning)
    except (PartnerCenterError, TooFast) as error:
        return PartnerCheck(False, problem=partner_center_problem(error))
    entry_tenant = network.get(partner_id)
    if entry_tenant is None:
        draft.partner_id_status = "invalid"
        return PartnerCheck(False, warning=warning)
    draft.partner_id_status = "verified"
    if draft.account.partner_tenant_id:
        draft.reseller_tenant_id = draft.account.partner_tenant_id.lower()  # the account's own: nothing to ask
    if not draft.reseller_tenant_id:
        draft.reseller_tenant_status = "unchecked"
        return PartnerCheck(False, missing_tenant=True)
    if draft.reseller_tenant_id != entry_tenant:
        draft.reseller_tenant_status = "invalid"
        return PartnerCheck(False, missing_tenant=True)
    draft.reseller_tenant_status = "verified"
    # The first partner ID a reseller proves becomes its account's: later orders must carry it.
    if not draft.account.partner_id:
        draft.account.partner_id = partner_id
    if not draft.account.partner_tenant_id:
        draft.account.partner_tenant_id = entry_tenant
    return PartnerCheck(True)


def complete_service_step(draft: CheckoutDraft) -> None:
    draft.mark_done("service")


# -------------------------------------------------------------------------------- company details

# Countries where Microsoft requires a company registration ID (and a phone number) for a new customer.
REGISTRATION_COUNTRIES = {
    "AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA",
    "IN", "BR", "ZA", "PL", "AE", "SA", "TR", "TH", "VN", "MM", "IQ", "SS", "VE",
}
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")


def registration_required(draft: CheckoutDraft) -> bool:
    """Required when a new tenant (a new cloud account) is created in a country that requires it."""
    return draft.tenant_mode == "new" and draft.customer_country in REGISTRATION_COUNTRIES


def address_required(draft: CheckoutDraft, billing_option: bool) -> bool:
    """Microsoft needs an address to create a customer; the operator may also require resellers'
    end customers' billing addresses for existing tenants."""
    return draft.tenant_mode == "new" or (draft.is_reseller and billing_option)


def address_validated(draft: CheckoutDraft, billing_option: bool) -> bool:
    return draft.is_reseller and billing_option


def format_to_regex(tax_format: str | None, country: str) -> re.Pattern | None:
    """Partner Center's taxIdFormat ('PL9999999999': 9 a digit, A a letter) as a pattern; the country
    prefix may be left out."""
    if not tax_format:
        return None
    body = tax_format[2:] if tax_format[:2].upper() == country.upper() else tax_format
    pattern = "".join(r"\d" if ch == "9" else "[A-Za-z]" if ch == "A" else re.escape(ch) for ch in body)
    return re.compile(rf"^(?:{country})?{pattern}$", re.IGNORECASE)


@dataclass
class CompanyDetails:
    registration_id: str | None
    phone: str | None
    address: dict | None  # address_line1.. postal_code


@dataclass
class CompanyProblems:
    fields: dict      # field name -> message
    problem: str | None = None          # Partner Center unreachable and such
    suggestion: dict | None = None      # an address Partner Center suggests instead
    address_status: str | None = None


def check_company(draft: CheckoutDraft, details: CompanyDetails, *, billing_option: bool,
                  accept_suggestion: bool = False) -> CompanyProblems:
    """Validate the company details with the country's rules from Partner Center (and its address
    validation when the operator requires billing addresses). Saves what is valid on the draft."""
    errors: dict[str, str] = {}
    country = draft.customer_country
    required = registration_required(draft)
    reg = (details.registration_id or "").strip()
    phone = (details.phone or "").strip()
    if required and not reg:
        errors["registration_id"] = (f"Enter the company registration ID: Microsoft requires it for new customers in "
                                     f"{country}.")
    if required and not phone:
        errors["phone"] = f"Enter a phone number: Microsoft requires it for new customers in {country}."
    try:
        rules = person_client(draft.user_id).get_country_rules(country)
    except (PartnerCenterError, TooFast) as error:
        return CompanyProblems(errors, problem=partner_center_problem(error))
    if reg:
        pattern = format_to_regex(rules.tax_id_format, country)
        if pattern is not None and not pattern.match(reg.replace(" ", "")):
            sample = f" For example {rules.tax_id_sample}." if rules.tax_id_sample else ""
            errors["registration_id"] = f"This is not a valid registration ID for {country}.{sample}"
    # Compare without spacing: people group digits in many ways.
    if phone and rules.phone_number_regex and not re.match(rules.phone_number_regex, re.sub(r"[\s\-().]", "", phone)):
        errors["phone"] = f"Enter a phone number in the format used in {country}, for example +48 22 555 0134." \
            if country == "PL" else f"Enter a valid phone number for {country}."
    address = None
    suggestion = None
    status = None
    if address_required(draft, billing_option):
        address = {k: (details.address or {}).get(k, "").strip() for k in ADDRESS_FIELDS}
        if not address["address_line1"]:
            errors["address_line1"] = "Enter the street address."
        if rules.is_city_required and not address["city"]:
            errors["city"] = "Enter the city."
        if rules.is_state_required and not address["state"]:
            errors["state"] = "Enter the state or province."
        if rules.is_postal_code_required and not address["postal_code"]:
            errors["postal_code"] = "Enter the postal code."
        elif address["postal_code"] and rules.postal_code_regex and not re.match(rules.postal_code_regex,
                                                                               address["postal_code"]):
            errors["postal_code"] = f"This is not a valid postal code for {country}."
        if not errors and address_validated(draft, billing_option):
            try:
                result = person_client(draft.user_id).validate_address({
                    "addressLine1": address["address_line1"], "addressLine2": address["address_line2"] or None,
                    "city": address["city"], "state": address["state"] or None,
                    "postalCode": address["postal_code"], "country": country})
            except (PartnerCenterError, TooFast) as error:
                return CompanyProblems(errors, problem=partner_center_problem(error))
            status = result.status
            suggested = _address_from(result.suggestions[0]) if result.suggestions else None
            if suggested and accept_suggestion:
                address, status = suggested, "Verified"
            elif status in ("None", "NotValidated"):
                errors["address_line1"] = ("Partner Center could not validate this address"
                                           + (f": {result.message}" if result.message else ".")
                                           + " Check the street, city and postal code.")
            elif suggested and _differs(address, suggested) and status != "VerifiedShippable":
                suggestion = suggested
            elif status not in ("Verified", "VerifiedShippable") and not suggested:
                errors["address_line1"] = ("Partner Center could not confirm this address"
                                           + (f": {result.message}" if result.message else ".")
                                           + " Add the missing parts (street number, premises) and try again.")
    draft.registration_id = reg.replace(" ", "") or None
    draft.company_phone = phone or None
    if address is not None:
        for key, value in address.items():
            setattr(draft, key, value or None)
    draft.address_status = status
    if errors or suggestion:
        draft.unmark_from("company")
    return CompanyProblems(errors, suggestion=suggestion, address_status=status)


def _address_from(suggested) -> dict:
    from dataclasses import asdict, is_dataclass

    data = asdict(suggested) if is_dataclass(suggested) else dict(suggested)
    get = lambda *keys: next((str(data[k]) for k in keys if data.get(k)), "")  # noqa: E731
    return {"address_line1": get("addressLine1", "address_line1"), "address_line2": get("addressLine2", "address_line2"),
            "city": get("city"), "state": get("state"), "postal_code": get("postalCode", "postal_code")}


def _differs(a: dict, b: dict) -> bool:
    return any((a.get(k) or "").strip() != (b.get(k) or "").strip() for k in ADDRESS_FIELDS)


def complete_company_step(draft: CheckoutDraft) -> None:
    """Keep what was learnt on the licensee too, so the next order starts with it."""
    if draft.licensee is not None:
        lic = draft.licensee
        lic.registration_id = draft.registration_id or lic.registration_id
        lic.phone = draft.company_phone or lic.phone
        if draft.address_line1:
            lic.address_line1, lic.address_line2 = draft.address_line1, draft.address_line2
            lic.city, lic.state, lic.postal_code = draft.city, draft.state, draft.postal_code
    draft.mark_done("company")


def company_defaults(draft: CheckoutDraft) -> dict:
    source = draft.licensee
    return {
        "registration_id": draft.registration_id or (source.registration_id if source else None),
        "phone": draft.company_phone or (source.phone if source else draft.account.phone),
        "address_line1": draft.address_line1 or (source.address_line1 if source else None),
        "address_line2": draft.address_line2 or (source.address_line2 if source else None),
        "city": draft.city or (source.city if source else None),
        "state": draft.state or (source.state if source else None),
        "postal_code": draft.postal_code or (source.postal_code if source else None),
    }


# ------------------------------------------------------------------------------------- agreement

@dataclass
class Signatory:
    first_name: str
    last_name: str
    email: str
    phone: str | None


def record_mca(draft: CheckoutDraft, signatory: Signatory, *, template_id: str, agreement_link: str | None,
               actor: User, origin: Origin):
    """Store who accepted (direct customer) or confirmed (reseller) the MCA, and audit it."""
    from app.checkout.models import McaAcceptance

    acceptance = McaAcceptance(
        kind="confirmed" if draft.is_reseller else "accepted", draft_id=draft.id, account_id=draft.account_id,
        user_id=actor.id, licensee_id=draft.licensee_id, customer_name=draft.customer_name,
        tenant_domain=draft.domain, first_name=signatory.first_name.strip(), last_name=signatory.last_name.strip(),
        email=signatory.email.strip().lower(), phone=(signatory.phone or "").strip() or None,
        template_id=template_id, agreement_link=agreement_link, accepted_at=utcnow(),
        ip_address=origin.ip_address, user_agent=(origin.user_agent or "")[:1000] or None)
    db.session.add(acceptance)
    db.session.flush()
    audit.record("mca_" + acceptance.kind, actor=actor, account=draft.account, subject=draft.customer_name,
                 details={"tenant": draft.domain, "template_id": template_id, "signatory": acceptance.email,
                          "acceptance": acceptance.id}, origin=origin)
    draft.mark_done("agreement")
    return acceptance
