"""A reseller's licensees (resale customers): the rules a licensee's details must pass, and adding,
changing, archiving and deleting one.

The checkout uses the same rules (its inline "Add a new customer" and its company-details step), so a
licensee added on the Licensees page and one added while buying are checked alike: the contact
(company, country, names, email, phone), and the country's rules from Partner Center for the
registration ID, the phone and the address.

A licensee with orders is archived, never deleted: it leaves the checkout's list and keeps its
orders, agreements and subscriptions. Writes flush; the view commits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.accounts.countries import COUNTRY_NAMES, country_in_a_sentence
from app.accounts.country_rules import clean_registration_id, phone_problem, registration_id_rule
from app import cache
from app.accounts.models import Account, Licensee, User
from app.audit import services as audit
from app.audit.services import Origin
from app.connections.person import TooFast, partner_center_problem, person_client
from app.extensions import db
from app.partner_center import PartnerCenterError
from app.time import utcnow

# Countries where Microsoft requires a company registration ID (and a phone number) for a new customer.
REGISTRATION_COUNTRIES = {
    "AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA",
    "IN", "BR", "ZA", "PL", "AE", "SA", "TR", "TH", "VN", "MM", "IQ", "SS", "VE",
}
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")
CONTACT_REQUIRED = (
    ("company_name", "Enter the company name."),
    ("contact_first_name", "Enter the contact's first name."),
    ("contact_last_name", "Enter the contact's last name."),
    ("email", "Enter the contact's email address."),
    ("country", "Choose the customer's country."),
)
UNKNOWN_COUNTRY = "Choose a country from the list."


# ------------------------------------------------------------------------------------------ rules

def contact_problems(values: dict) -> dict[str, str]:
    """The contact fields every licensee needs, by field name (formats are the forms' validators)."""
    problems = {name: message for name, message in CONTACT_REQUIRED if not (values.get(name) or "").strip()}
    country = (values.get("country") or "").strip()
    if country and country not in COUNTRY_NAMES:
        problems["country"] = UNKNOWN_COUNTRY
    phone = phone_problem((values.get("phone") or "").strip())
    if phone and "phone" not in problems:
        problems["phone"] = phone
    return problems


def required_problems(country: str, *, registration_id: str, phone: str, registration_required: bool) -> dict:
    """What Microsoft requires before it creates a customer in `country` (nothing to ask Partner Center)."""
    problems = {}
    if registration_required and not registration_id:
        problems["registration_id"] = (f"Enter the company registration ID: Microsoft requires it for new customers "
                                       f"in {country_in_a_sentence(country)}.")
    if registration_required and not phone:
        problems["phone"] = (f"Enter a phone number: Microsoft requires it for new customers in "
                             f"{country_in_a_sentence(country)}.")
    return problems


def rule_problems(country: str, rules, *, registration_id: str, phone: str, address: dict | None) -> dict:
    """The country's rules from Partner Center (`rules`: a CountryRules) applied to the registration
    ID, the phone and, when given, the address (ADDRESS_FIELDS, stripped)."""
    problems = {}
    if registration_id and clean_registration_id(country, rules, registration_id) is None:
        problems["registration_id"] = registration_id_rule(country, rules)
    # Compare without spacing: people group digits in many ways.
    if phone_problem(phone):
        problems["phone"] = phone_problem(phone)
    elif phone and rules.phone_number_regex and not re.match(rules.phone_number_regex, re.sub(r"[\s\-().]", "", phone)):
        problems["phone"] = (f"Enter a phone number in the format used in {country_in_a_sentence(country)}, for "
                             "example +48 22 555 0134." if country == "PL"
                             else f"Enter a valid phone number for {country_in_a_sentence(country)}.")
    if address is not None:
        if not address["address_line1"]:
            problems["address_line1"] = "Enter the street address."
        if rules.is_city_required and not address["city"]:
            problems["city"] = "Enter the city."
        if rules.is_state_required and not address["state"]:
            problems["state"] = "Enter the state or province."
        if rules.is_postal_code_required and not address["postal_code"]:
            problems["postal_code"] = "Enter the postal code."
        elif address["postal_code"] and rules.postal_code_regex and not re.match(rules.postal_code_regex,
                                                                               address["postal_code"]):
            problems["postal_code"] = f"This is not a valid postal code for {country_in_a_sentence(country)}."
    return problems


# The state field's label follows the country's rules (isStateRequired): "State or province" where
# Microsoft requires it (US), "State or province (optional)" where not (PL). A page never calls
# Microsoft, so what a form's POST learnt of a country is kept a day for the pages (app/cache.py).
STATE_LABEL = "State or province"
RULES_KEY = "country-rules:{country}"
RULES_CACHE_SECONDS = 24 * 3600


def _state_label_of(state_required: bool) -> str:
    return STATE_LABEL if state_required else f"{STATE_LABEL} (optional)"


def remember_rules(country: str, rules) -> None:
    """Keep what the pages need of a country's rules (read from Partner Center by a POST)."""
    cache.remember(RULES_KEY.format(country=country.upper()), RULES_CACHE_SECONDS,
                   lambda: {"isStateRequired": bool(rules.is_state_required)})


def state_label(country: str | None) -> str | None:
    """The state field's label for `country` from the rules kept, or None when they are not known yet."""
    if not country or country.upper() not in COUNTRY_NAMES:
        return None
    known = cache.peek(RULES_KEY.format(country=country.upper()))
    return None if known is None else _state_label_of(bool(known.get("isStateRequired")))


def fetch_state_label(country: str | None, *, user_id: int) -> str:
    """The state field's label for `country`, asking Partner Center when it is not known (a POST); the
    plain label when the country is none or the rules cannot be read now (saving checks the state)."""
    known = state_label(country)
    if known is not None or not country or country.upper() not in COUNTRY_NAMES:
        return known or STATE_LABEL
    try:
        rules = person_client(user_id).get_country_rules(country.upper())
    except (PartnerCenterError, TooFast):
        return STATE_LABEL
    remember_rules(country, rules)
    return _state_label_of(rules.is_state_required)


def label_state_field(form) -> bool:
    """Set the form's state label from the kept rules of its country (form.country.data); True when they
    were known, else the page asks (fetch_state_label) once it is shown."""
    label = state_label(form.country.data)
    form.state.label.text = label or STATE_LABEL
    return label is not None


# ---------------------------------------------------------------------------------------- details

@dataclass
class LicenseeDetails:
    """What a person typed for a licensee, stripped."""

    company_name: str
    country: str
    contact_first_name: str
    contact_last_name: str
    email: str
    phone: str = ""
    registration_id: str = ""
    address: dict = field(default_factory=dict)  # ADDRESS_FIELDS

    @classmethod
    def from_form(cls, data: dict) -> LicenseeDetails:
        text = {k: (v or "").strip() if isinstance(v, str) or v is None else v for k, v in data.items()}
        return cls(company_name=text.get("company_name", ""), country=(text.get("country") or "").upper(),
                   contact_first_name=text.get("contact_first_name", ""),
                   contact_last_name=text.get("contact_last_name", ""), email=text.get("email", "").lower(),
                   phone=text.get("phone", ""), registration_id=text.get("registration_id", "").replace(" ", ""),
                   address={k: text.get(k, "") for k in ADDRESS_FIELDS})

    @property
    def has_address(self) -> bool:
        return any(self.address.get(k) for k in ADDRESS_FIELDS)


@dataclass
class Problems:
    fields: dict[str, str] = field(default_factory=dict)  # field name -> message
    problem: str | None = None  # Partner Center could not be asked, and such

    def __bool__(self) -> bool:
        return bool(self.fields or self.problem)


def check_details(details: LicenseeDetails, *, user_id: int) -> Problems:
    """The Licensees page's checks: the contact, then (when a registration ID, phone or address is
    given) the country's rules from Partner Center, as the checkout applies them."""
    problems = Problems(contact_problems(vars(details)))
    if "country" in problems.fields:
        return problems
    if not (details.registration_id or details.phone or details.has_address):
        return problems
    try:
        rules = person_client(user_id).get_country_rules(details.country)
    except (PartnerCenterError, TooFast) as error:
        problems.problem = partner_center_problem(error)
        return problems
    remember_rules(details.country, rules)
    problems.fields.update(rule_problems(details.country, rules, registration_id=details.registration_id,
                                         phone=details.phone, address=details.address if details.has_address else None))
    if details.registration_id and "registration_id" not in problems.fields:
        # Kept as Microsoft takes it: "PL 526-025-02-74" is 5260250274.
        details.registration_id = clean_registration_id(details.country, rules, details.registration_id)
    return problems


# ------------------------------------------------------------------------------------------- rows

def licensees_of(account: Account, *, query: str = "", archived: bool = False) -> list[Licensee]:
    """The account's licensees, current or archived, matching `query` in the company, contact, email
    or registration ID."""
    select = db.select(Licensee).where(Licensee.reseller_id == account.id)
    select = select.where(Licensee.archived_at.is_not(None) if archived else Licensee.archived_at.is_(None))
    words = query.strip().lower()
    if words:
        like = f"%{words}%"
        select = select.where(db.or_(*(db.func.lower(column).like(like) for column in (
            Licensee.company_name, Licensee.contact_first_name, Licensee.contact_last_name, Licensee.email,
            Licensee.registration_id))))
    return db.session.scalars(select.order_by(Licensee.company_name, Licensee.id)).all()


# Built once: the checkout's customer step reads it on every visit.
_CURRENT_LICENSEES = db.select(Licensee).where(Licensee.reseller_id == db.bindparam("account_id"),
                                               Licensee.archived_at.is_(None)).order_by(Licensee.company_name)


def current_licensees(account_id: int) -> list[Licensee]:
    """The ones the checkout offers: not archived."""
    return db.session.scalars(_CURRENT_LICENSEES, {"account_id": account_id}).all()


# The checkout's customer step lists them by name and country, at every visit: three columns, not whole
# licensees, read on the session's connection (its transaction) without the ORM's handling of a statement,
# which cost more than the statement itself (issue 14: about 0.2 M instructions each).
_LICENSEE_CHOICES = _CURRENT_LICENSEES.with_only_columns(Licensee.id, Licensee.company_name, Licensee.country)


def licensee_choices(account_id: int) -> list:
    """current_licensees' rows (id, company_name, country), in the same order. The session is not flushed
    first: a licensee added or changed in it and not yet flushed is read as it was."""
    return db.session.connection().execute(_LICENSEE_CHOICES, {"account_id": account_id}).all()


def licensee_of(account: Account, licensee_id: int) -> Licensee | None:
    """One of the account's licensees; another account's is None, as if it did not exist."""
    licensee = db.session.get(Licensee, licensee_id)
    return licensee if licensee is not None and licensee.reseller_id == account.id else None


def same_name(account_id: int, company_name: str, *, other_than: int | None = None) -> Licensee | None:
    select = db.select(Licensee).where(Licensee.reseller_id == account_id,
                                       db.func.lower(Licensee.company_name) == company_name.strip().lower())
    if other_than is not None:
        select = select.where(Licensee.id != other_than)
    return db.session.scalar(select.limit(1))


def duplicate_message(existing: Licensee) -> str:
    if existing.archived_at is not None:
        return (f"You already have a customer named {existing.company_name}; it is archived: restore it on the "
                "Licensees page.")
    return f"You already have a customer named {existing.company_name}: choose it from the list."


def _apply(licensee: Licensee, details: LicenseeDetails, *, company: bool) -> None:
    licensee.company_name, licensee.country = details.company_name, details.country
    licensee.contact_first_name, licensee.contact_last_name = details.contact_first_name, details.contact_last_name
    licensee.email, licensee.phone = details.email, details.phone or None
    if company:
        licensee.registration_id = details.registration_id or None
        for key in ADDRESS_FIELDS:
            setattr(licensee, key, details.address.get(key) or None)


def add_licensee(account: Account, details: LicenseeDetails, *, actor: User, origin: Origin,
                 company: bool = True) -> Licensee | str:
    """A new licensee of the reseller, or the message why not (a company of the same name exists).
    `company=False`: only the contact was asked (the checkout asks the rest at its company step)."""
    existing = same_name(account.id, details.company_name)
    if existing is not None:
        return duplicate_message(existing)
    licensee = Licensee(reseller_id=account.id)
    _apply(licensee, details, company=company)
    db.session.add(licensee)
    db.session.flush()
    audit.record("licensee_added", actor=actor, account=account, subject=licensee.company_name, origin=origin,
                 details={"licensee_id": licensee.id, "country": licensee.country})
    return licensee


def update_licensee(licensee: Licensee, details: LicenseeDetails, *, actor: User, origin: Origin) -> str | None:
    """Change a licensee's details; the message why not, or None. Orders keep the details they were
    placed with."""
    existing = same_name(licensee.reseller_id, details.company_name, other_than=licensee.id)
    if existing is not None:
        return duplicate_message(existing)
    before = {k: getattr(licensee, k) for k in _TRACKED}
    _apply(licensee, details, company=True)
    changed = sorted(k for k in _TRACKED if getattr(licensee, k) != before[k])
    if changed:
        audit.record("licensee_changed", actor=actor, account=licensee.reseller, subject=licensee.company_name,
                     origin=origin, details={"licensee_id": licensee.id, "fields": changed})
    db.session.flush()
    return None


_TRACKED = ("company_name", "country", "contact_first_name", "contact_last_name", "email", "phone",
            "registration_id", *ADDRESS_FIELDS)


def archive(licensee: Licensee, *, actor: User, origin: Origin) -> None:
    if licensee.archived_at is None:
        licensee.archived_at = utcnow()
        audit.record("licensee_archived", actor=actor, account=licensee.reseller, subject=licensee.company_name,
                     origin=origin, details={"licensee_id": licensee.id})
        db.session.flush()


def restore(licensee: Licensee, *, actor: User, origin: Origin) -> None:
    if licensee.archived_at is not None:
        licensee.archived_at = None
        audit.record("licensee_restored", actor=actor, account=licensee.reseller, subject=licensee.company_name,
                     origin=origin, details={"licensee_id": licensee.id})
        db.session.flush()


def references(licensee: Licensee) -> dict[str, int]:
    """Rows of any table that point at the licensee (orders, agreements, tenants, checkouts...), by
    table. Read from the schema, so a table added later counts without this module knowing it."""
    counts = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Licensee.__tablename__ and fk.column.name == "id":
                count = db.session.scalar(db.select(db.func.count()).select_from(table)
                                          .where(fk.parent == licensee.id)) or 0
                if count:
                    counts[table.name] = counts.get(table.name, 0) + count
    return counts


def delete_refusal(licensee: Licensee) -> str | None:
    """Why the licensee cannot be deleted (it has orders, or something else refers to it), or None."""
    used = references(licensee)
    if not used:
        return None
    if used.get("orders"):
        orders = used["orders"]
        return (f"{licensee.company_name} has {orders} order{'s' if orders != 1 else ''}, so it is kept: archive it "
                "instead. An archived customer is no longer offered at checkout; its orders and subscriptions stay.")
    return (f"{licensee.company_name} is used by a checkout or a subscription, so it is kept: archive it instead. "
            "An archived customer is no longer offered at checkout.")


def delete(licensee: Licensee, *, actor: User, origin: Origin) -> str | None:
    """Delete a licensee nothing refers to; the message why not otherwise (see delete_refusal)."""
    refusal = delete_refusal(licensee)
    if refusal:
        return refusal
    audit.record("licensee_deleted", actor=actor, account=licensee.reseller, subject=licensee.company_name,
                 origin=origin, details={"licensee_id": licensee.id})
    db.session.delete(licensee)
    db.session.flush()
    return None
