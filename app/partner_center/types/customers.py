"""Customers: addresses, the customer resource, country rules and address validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .base import _CI, _bool, _raw, _str


@dataclass
class Address:
    """A default address, as the service takes it (``to_json``) and returns it."""

    address_line1: str
    city: str
    country: str
    postal_code: str | None = None
    state: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    region: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None

    _KEYS = {
        "address_line1": "addressLine1",
        "address_line2": "addressLine2",
        "address_line3": "addressLine3",
        "city": "city",
        "state": "state",
        "postal_code": "postalCode",
        "country": "country",
        "region": "region",
        "first_name": "firstName",
        "last_name": "lastName",
        "phone_number": "phoneNumber",
    }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Address":
        j = _CI(data)
        return cls(**{attr: _str(j.get(key)) for attr, key in cls._KEYS.items()})  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {
            key: getattr(self, attr)
            for attr, key in self._KEYS.items()
            if getattr(self, attr) not in (None, "")
        }


@dataclass
class UserCredentials:
    user_name: str | None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "UserCredentials | None":
        if not data:
            return None
        j = _CI(data)
        return cls(user_name=_str(j.get("userName")), password=_str(j.get("password")))


@dataclass
class Customer:
    id: str
    commerce_id: str | None = None
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    default_address: Address | None = None
    organization_registration_number: str | None = None
    associated_partner_id: str | None = None
    user_credentials: UserCredentials | None = field(default=None, repr=False)
    company_profile: dict[str, Any] = field(default_factory=dict, repr=False)
    billing_profile: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Customer":
        j = _CI(data)
        cp = j.obj("companyProfile")
        bp = j.obj("billingProfile")
        addr = bp.get("defaultAddress")
        return cls(
            id=str(j.get("id") or cp.get("tenantId") or ""),
            commerce_id=_str(j.get("commerceId")),
            tenant_id=_str(cp.get("tenantId") or j.get("id")),
            domain=_str(cp.get("domain")),
            company_name=_str(cp.get("companyName") or bp.get("companyName")),
            relationship_to_partner=_str(j.get("relationshipToPartner")),
            allow_delegated_access=_bool(j.get("allowDelegatedAccess")),
            email=_str(bp.get("email")),
            culture=_str(bp.get("culture")),
            language=_str(bp.get("language")),
            default_address=Address.from_json(addr) if isinstance(addr, Mapping) else None,
            organization_registration_number=_str(cp.get("organizationRegistrationNumber")),
            associated_partner_id=_str(j.get("associatedPartnerId")),
            user_credentials=UserCredentials.from_json(j.get("userCredentials")),
            company_profile=_raw(j.get("companyProfile")),
            billing_profile=_raw(j.get("billingProfile")),
            raw=_raw(data),
        )


@dataclass
class CountryRules:
    iso2_code: str
    default_culture: str | None = None
    is_state_required: bool = False
    supported_states: list[str] = field(default_factory=list)
    is_postal_code_required: bool = False
    postal_code_regex: str | None = None
    is_city_required: bool = False
    is_tax_id_supported: bool = False
    is_tax_id_optional: bool = False
    tax_id_format: str | None = None
    tax_id_sample: str | None = None
    phone_number_regex: str | None = None
    supported_languages: list[str] = field(default_factory=list)
    supported_cultures: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CountryRules":
        j = _CI(data)
        return cls(
            iso2_code=str(j.get("iso2Code") or ""),
            default_culture=_str(j.get("defaultCulture")),
            is_state_required=bool(_bool(j.get("isStateRequired"), False)),
            supported_states=[str(s) for s in j.list("supportedStatesList")],
            is_postal_code_required=bool(_bool(j.get("isPostalCodeRequired"), False)),
            postal_code_regex=_str(j.get("postalCodeRegex")),
            is_city_required=bool(_bool(j.get("isCityRequired"), False)),
            is_tax_id_supported=bool(_bool(j.get("isTaxIdSupported"), False)),
            is_tax_id_optional=bool(_bool(j.get("isTaxIdOptional"), False)),
            tax_id_format=_str(j.get("taxIdFormat")),
            tax_id_sample=_str(j.get("taxIdSample")),
            phone_number_regex=_str(j.get("phoneNumberRegex")),
            supported_languages=[str(s) for s in j.list("supportedLanguagesList")],
            supported_cultures=[str(s) for s in j.list("supportedCulturesList")],
            raw=_raw(data),
        )


@dataclass
class AddressValidation:
    """Outcome of address validation. ``status`` is one of VerifiedShippable, Verified,
    InteractionRequired, StreetPartial, PremisesPartial, Multiple, None, NotValidated; the
    older 400/2007 answer is reported as status ``"NotValidated"`` with ``error_code="2007"``."""

    status: str
    original: Address | None = None
    suggestions: list[Address] = field(default_factory=list)
    message: str | None = None
    error_code: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    VERIFIED = frozenset({"VerifiedShippable", "Verified"})

    @property
    def is_valid(self) -> bool:
        return self.status in self.VERIFIED

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AddressValidation":
        j = _CI(data)
        orig = j.get("originalAddress")
        return cls(
            status=str(j.get("status") or "None"),
            original=Address.from_json(orig) if isinstance(orig, Mapping) else None,
            suggestions=[
                Address.from_json(a) for a in j.list("suggestedAddresses") if isinstance(a, Mapping)
            ],
            message=_str(j.get("validationMessage")),
            raw=_raw(data),
        )
