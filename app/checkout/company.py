"""Company details: the registration ID and phone Microsoft requires in some countries, and the
billing address, checked with the country's rules from Partner Center (and its address validation
when the operator requires billing addresses)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, is_dataclass

from app.checkout.models import CheckoutDraft
from app.connections.person import TooFast, partner_center_problem, person_client
from app.partner_center import PartnerCenterError


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
