"""Company details: the registration ID and phone Microsoft requires in some countries, and the
billing address, checked with the country's rules from Partner Center (the rules the Licensees page
applies too: app/settings/licensees.py), and with its address validation when the operator requires
billing addresses."""
from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass

from app.accounts.countries import country_in_a_sentence
from app.accounts.country_rules import clean_registration_id
from app.checkout.models import CheckoutDraft
from app.connections.person import TooFast, partner_center_problem, person_client
from app.partner_center import PartnerCenterError
from app.settings.licensees import (ADDRESS_FIELDS, REGISTRATION_COUNTRIES, remember_rules, required_problems,
                                    rule_problems)


def registration_required(draft: CheckoutDraft) -> bool:
    """Required when a new tenant (a new cloud account) is created in a country that requires it."""
    return draft.tenant_mode == "new" and draft.customer_country in REGISTRATION_COUNTRIES


def registration_offered(draft: CheckoutDraft) -> bool:
    """A new tenant outside the countries that require a registration ID gets none: Microsoft refuses one
    (600002). For an existing tenant it is the licensee's record, optional."""
    return draft.tenant_mode != "new" or draft.customer_country in REGISTRATION_COUNTRIES


def address_required(draft: CheckoutDraft, billing_option: bool) -> bool:
    """Microsoft needs an address to create a customer; the operator may also require resellers'
    end customers' billing addresses for existing tenants."""
    return draft.tenant_mode == "new" or (draft.is_reseller and billing_option)


def address_validated(draft: CheckoutDraft, billing_option: bool) -> bool:
    return draft.is_reseller and billing_option


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
    country = draft.customer_country
    reg = (details.registration_id or "").strip()
    phone = (details.phone or "").strip()
    errors = required_problems(country, registration_id=reg, phone=phone,
                               registration_required=registration_required(draft))
    if reg and not registration_offered(draft):
        errors["registration_id"] = (f"Microsoft takes no company registration ID for new customers in "
                                     f"{country_in_a_sentence(country)}: leave it empty.")
    try:
        rules = person_client(draft.user_id).get_country_rules(country)
    except (PartnerCenterError, TooFast) as error:
        return CompanyProblems(errors, problem=partner_center_problem(error))
    remember_rules(country, rules)
    address = None
    if address_required(draft, billing_option):
        address = {k: (details.address or {}).get(k, "").strip() for k in ADDRESS_FIELDS}
    errors.update(rule_problems(country, rules, registration_id=reg, phone=phone, address=address))
    suggestion = None
    status = None
    if address is not None:
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
    if reg and "registration_id" not in errors:
        reg = clean_registration_id(country, rules, reg)  # as Microsoft takes it: no spaces, no country prefix
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
    # A direct customer buys for itself: its billing address is the one on its account (admin > Accounts).
    billing = source if source is not None else draft.account
    return {
        "registration_id": draft.registration_id or (source.registration_id if source else None),
        "phone": draft.company_phone or (source.phone if source else draft.account.phone),
        "address_line1": draft.address_line1 or billing.address_line1,
        "address_line2": draft.address_line2 or billing.address_line2,
        "city": draft.city or billing.city,
        "state": draft.state or billing.state,
        "postal_code": draft.postal_code or billing.postal_code,
    }
