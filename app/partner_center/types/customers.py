"""Customers: addresses, the customer resource, country rules and address validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Self

from .base import FromJson, _bool, _dt, _flag, _many, _one, _raw, _strings, _text, key, raw_payload


@dataclass
class Address(FromJson):
    """A default address, as the service takes it (``to_json``) and returns it."""

    address_line1: str = key("addressLine1")
    city: str = key("city")
    country: str = key("country")
    postal_code: str | None = key("postalCode", default=None)
    state: str | None = key("state", default=None)
    address_line2: str | None = key("addressLine2", default=None)
    address_line3: str | None = key("addressLine3", default=None)
    region: str | None = key("region", default=None)
    first_name: str | None = key("firstName", default=None)
    last_name: str | None = key("lastName", default=None)
    phone_number: str | None = key("phoneNumber", default=None)


@dataclass
class UserCredentials(FromJson):
    user_name: str | None = key("userName")
    password: str | None = key("password", default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self | None:  # type: ignore[override]
        return super().from_json(data) if data else None


@dataclass
class Customer(FromJson):
    id: str = key(("id", "companyProfile.tenantId"), _text)
    commerce_id: str | None = key("commerceId", default=None)
    tenant_id: str | None = key(("companyProfile.tenantId", "id"), default=None)
    domain: str | None = key("companyProfile.domain", default=None)
    company_name: str | None = key(("companyProfile.companyName", "billingProfile.companyName"), default=None)
    relationship_to_partner: str | None = key("relationshipToPartner", default=None)
    allow_delegated_access: bool | None = key("allowDelegatedAccess", _bool, default=None)
    email: str | None = key("billingProfile.email", default=None)
    culture: str | None = key("billingProfile.culture", default=None)
    language: str | None = key("billingProfile.language", default=None)
    default_address: Address | None = key("billingProfile.defaultAddress", _one(Address.from_json), default=None)
    organization_registration_number: str | None = key("companyProfile.organizationRegistrationNumber", default=None)
    associated_partner_id: str | None = key("associatedPartnerId", default=None)
    user_credentials: UserCredentials | None = key("userCredentials", UserCredentials.from_json, default=None,
                                                   repr=False)
    company_profile: dict[str, Any] = key("companyProfile", _raw, default_factory=dict, repr=False)
    billing_profile: dict[str, Any] = key("billingProfile", _raw, default_factory=dict, repr=False)
    raw: dict[str, Any] = raw_payload()


@dataclass
class CountryRules(FromJson):
    iso2_code: str = key("iso2Code", _text)
    default_culture: str | None = key("defaultCulture", default=None)
    is_state_required: bool = key("isStateRequired", _flag(False), default=False)
    supported_states: list[str] = key("supportedStatesList", _strings, default_factory=list)
    is_postal_code_required: bool = key("isPostalCodeRequired", _flag(False), default=False)
    postal_code_regex: str | None = key("postalCodeRegex", default=None)
    is_city_required: bool = key("isCityRequired", _flag(False), default=False)
    is_tax_id_supported: bool = key("isTaxIdSupported", _flag(False), default=False)
    is_tax_id_optional: bool = key("isTaxIdOptional", _flag(False), default=False)
    tax_id_format: str | None = key("taxIdFormat", default=None)
    tax_id_sample: str | None = key("taxIdSample", default=None)
    phone_number_regex: str | None = key("phoneNumberRegex", default=None)
    is_vat_id_supported: bool = key("isVatIdSupported", _flag(False), default=False)
    vat_id_regex: str | None = key("vatIdRegex", default=None)
    country_calling_codes: list[str] = key("countryCallingCodesList", _strings, default_factory=list)
    supported_languages: list[str] = key("supportedLanguagesList", _strings, default_factory=list)
    supported_cultures: list[str] = key("supportedCulturesList", _strings, default_factory=list)
    raw: dict[str, Any] = raw_payload()


@dataclass
class AddressValidation(FromJson):
    """Outcome of address validation. ``status`` is one of VerifiedShippable, Verified,
    InteractionRequired, StreetPartial, PremisesPartial, Multiple, None, NotValidated; the
    older 400/2007 answer is reported as status ``"NotValidated"`` with ``error_code="2007"``."""

    status: str = key("status", lambda v: str(v or "None"))
    original: Address | None = key("originalAddress", _one(Address.from_json), default=None)
    suggestions: list[Address] = key("suggestedAddresses", _many(Address.from_json), default_factory=list)
    message: str | None = key("validationMessage", default=None)
    error_code: str | None = None
    raw: dict[str, Any] = raw_payload()

    VERIFIED = frozenset({"VerifiedShippable", "Verified"})

    @property
    def is_valid(self) -> bool:
        return self.status in self.VERIFIED


@dataclass
class ValidationStatus(FromJson):
    """``GET /v1/customers/{id}/validationStatus?type=account``: ``{type, status, lastUpdateDateTime}``.
    https://learn.microsoft.com/partner-center/developer/retrieve-validation-status

    UNCONFIRMED: the page lists the fields but not every status word; ``UnderReview`` is the one
    checkout refusals 800073/800074 correspond to, ``NotAllowed`` (or a rejection) to 800075.
    The words are compared without case, spaces or underscores."""

    type: str | None = key("type", default=None)
    status: str | None = key("status", default=None)
    last_updated: datetime | None = key("lastUpdateDateTime", _dt, default=None)
    raw: dict[str, Any] = raw_payload()

    @property
    def _word(self) -> str:
        return (self.status or "").replace("_", "").replace(" ", "").lower()

    @property
    def under_review(self) -> bool:
        return "review" in self._word or self._word in ("pending", "inprogress")

    @property
    def not_allowed(self) -> bool:
        return self._word in ("notallowed", "rejected", "denied", "blocked", "notapproved")
