"""Customers: addresses, the customer resource, country rules and address validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Self

from .base import FromJson, Resource, _bool, _dt, _flag, _many, _one, _raw, _strings, _text, key


@dataclass
class Address(FromJson):
    """A default address, as the service takes it (``to_json``) and returns it."""

    address_line1: str = key()
    city: str = key()
    country: str = key()
    postal_code: str | None = key(default=None)
    state: str | None = key(default=None)
    address_line2: str | None = key(default=None)
    address_line3: str | None = key(default=None)
    region: str | None = key(default=None)
    first_name: str | None = key(default=None)
    last_name: str | None = key(default=None)
    phone_number: str | None = key(default=None)


@dataclass
class UserCredentials(FromJson):
    user_name: str | None = key()
    password: str | None = key(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self | None:  # type: ignore[override]
        return super().from_json(data) if data else None


@dataclass
class Customer(Resource):
    id: str = key(_text, at=("id", "companyProfile.tenantId"))
    commerce_id: str | None = key(default=None)
    tenant_id: str | None = key(at=("companyProfile.tenantId", "id"), default=None)
    domain: str | None = key(at="companyProfile.domain", default=None)
    company_name: str | None = key(at=("companyProfile.companyName", "billingProfile.companyName"), default=None)
    relationship_to_partner: str | None = key(default=None)
    allow_delegated_access: bool | None = key(_bool, default=None)
    email: str | None = key(at="billingProfile.email", default=None)
    culture: str | None = key(at="billingProfile.culture", default=None)
    language: str | None = key(at="billingProfile.language", default=None)
    default_address: Address | None = key(_one(Address.from_json), at="billingProfile.defaultAddress", default=None)
    organization_registration_number: str | None = key(at="companyProfile.organizationRegistrationNumber", default=None)
    associated_partner_id: str | None = key(default=None)
    user_credentials: UserCredentials | None = key(UserCredentials.from_json, default=None,
                                                   repr=False)
    company_profile: dict[str, Any] = key(_raw, default_factory=dict, repr=False)
    billing_profile: dict[str, Any] = key(_raw, default_factory=dict, repr=False)


@dataclass
class CountryRules(Resource):
    iso2_code: str = key(_text)
    default_culture: str | None = key(default=None)
    is_state_required: bool = key(_flag(False), default=False)
    supported_states: list[str] = key(_strings, at="supportedStatesList", default_factory=list)
    is_postal_code_required: bool = key(_flag(False), default=False)
    postal_code_regex: str | None = key(default=None)
    is_city_required: bool = key(_flag(False), default=False)
    is_tax_id_supported: bool = key(_flag(False), default=False)
    is_tax_id_optional: bool = key(_flag(False), default=False)
    tax_id_format: str | None = key(default=None)
    tax_id_sample: str | None = key(default=None)
    phone_number_regex: str | None = key(default=None)
    is_vat_id_supported: bool = key(_flag(False), default=False)
    vat_id_regex: str | None = key(default=None)
    country_calling_codes: list[str] = key(_strings, at="countryCallingCodesList", default_factory=list)
    supported_languages: list[str] = key(_strings, at="supportedLanguagesList", default_factory=list)
    supported_cultures: list[str] = key(_strings, at="supportedCulturesList", default_factory=list)


@dataclass
class AddressValidation(Resource):
    """Outcome of address validation. ``status`` is one of VerifiedShippable, Verified,
    InteractionRequired, StreetPartial, PremisesPartial, Multiple, None, NotValidated; the
    older 400/2007 answer is reported as status ``"NotValidated"`` with ``error_code="2007"``."""

    status: str = key(lambda v: str(v or "None"))
    original: Address | None = key(_one(Address.from_json), at="originalAddress", default=None)
    suggestions: list[Address] = key(_many(Address.from_json), at="suggestedAddresses", default_factory=list)
    message: str | None = key(at="validationMessage", default=None)
    error_code: str | None = None

    VERIFIED = frozenset({"VerifiedShippable", "Verified"})

    @property
    def is_valid(self) -> bool:
        return self.status in self.VERIFIED


@dataclass
class ValidationStatus(Resource):
    """``GET /v1/customers/{id}/validationStatus?type=account``: ``{type, status, lastUpdateDateTime}``.
    https://learn.microsoft.com/partner-center/developer/retrieve-validation-status

    UNCONFIRMED: the page lists the fields but not every status word; ``UnderReview`` is the one
    checkout refusals 800073/800074 correspond to, ``NotAllowed`` (or a rejection) to 800075.
    The words are compared without case, spaces or underscores."""

    type: str | None = key(default=None)
    status: str | None = key(default=None)
    last_updated: datetime | None = key(_dt, at="lastUpdateDateTime", default=None)

    @property
    def _word(self) -> str:
        return (self.status or "").replace("_", "").replace(" ", "").lower()

    @property
    def under_review(self) -> bool:
        return "review" in self._word or self._word in ("pending", "inprogress")

    @property
    def not_allowed(self) -> bool:
        return self._word in ("notallowed", "rejected", "denied", "blocked", "notapproved")
