"""Typed results of Partner Center calls.

Every class has ``from_json(data)`` that accepts camelCase or PascalCase keys (the service
answers camelCase, older payloads and the .NET SDK use PascalCase), ignores fields it does not
know, and keeps the whole payload in ``raw`` so nothing is lost (subscription updates send the
full resource back). Dates become aware ``datetime`` objects when they parse, else None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

T = TypeVar("T")

__all__ = [
    "Address",
    "UserCredentials",
    "Customer",
    "CountryRules",
    "AddressValidation",
    "MpnProfile",
    "AgreementStatus",
    "IndirectReseller",
    "Relationship",
    "RelationshipRequest",
    "AgreementTemplate",
    "Contact",
    "Agreement",
    "Product",
    "Sku",
    "Term",
    "Availability",
    "CartLineItem",
    "Cart",
    "OrderError",
    "CheckoutResult",
    "OrderLineItem",
    "Order",
    "ProvisioningStatus",
    "RefundableQuantity",
    "ScheduledNextTerm",
    "Subscription",
    "Page",
]


# ---------------------------------------------------------------- helpers


class _CI(Mapping[str, Any]):
    """Case-insensitive read view of a JSON object (camelCase == PascalCase)."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self._d = {str(k).lower(): v for k, v in (data or {}).items()}

    def __getitem__(self, key: str) -> Any:
        return self._d[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        v = self._d.get(key.lower(), default)
        return default if v is None else v

    def obj(self, key: str) -> "_CI":
        v = self._d.get(key.lower())
        return _CI(v if isinstance(v, Mapping) else None)

    def list(self, key: str) -> list[Any]:
        v = self._d.get(key.lower())
        return list(v) if isinstance(v, (list, tuple)) else []


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _int(v: Any, default: int | None = None) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _bool(v: Any, default: bool | None = None) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return default


_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(v: Any) -> datetime | None:
    """ISO 8601 from Partner Center (``Z`` suffix, up to 7 fractional digits) -> aware UTC."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    s = str(v).strip().replace("Z", "+00:00").replace("z", "+00:00")
    s = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _dt(v: Any) -> datetime | None:
    return parse_datetime(v)


def _raw(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, Mapping) else {}


def _etag(j: _CI) -> str | None:
    return _str(j.obj("attributes").get("etag")) or _str(j.get("etag"))


def get_field(d: Mapping[str, Any], key: str) -> Any:
    """``d[key]`` whatever its casing (camelCase or PascalCase), or None."""
    for k, v in d.items():
        if str(k).lower() == key.lower():
            return v
    return None


def set_field(d: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` in ``d`` under whatever casing ``d`` already uses for it, so a resource sent back
    keeps one field per name."""
    for k in list(d):
        if str(k).lower() == key.lower():
            d[k] = value
            return
    d[key] = value


# ---------------------------------------------------------------- customers


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


# ---------------------------------------------------------------- partners


@dataclass
class MpnProfile:
    partner_name: str | None
    mpn_id: str
    profile_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MpnProfile":
        j = _CI(data)
        return cls(
            partner_name=_str(j.get("partnerName")),
            mpn_id=str(j.get("mpnId") or ""),
            profile_type=_str(j.get("profileType")),
            raw=_raw(data),
        )


@dataclass
class AgreementStatus:
    is_agreement_signed: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AgreementStatus":
        j = _CI(data)
        return cls(is_agreement_signed=bool(_bool(j.get("isAgreementSigned"), False)), raw=_raw(data))


@dataclass
class IndirectReseller:
    id: str  # the reseller's tenant id
    name: str | None = None
    relationship_type: str | None = None
    state: str | None = None
    mpn_id: str | None = None
    location: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_active(self) -> bool:
        return (self.state or "").lower() == "active"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "IndirectReseller":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            name=_str(j.get("name")),
            relationship_type=_str(j.get("relationshipType")),
            state=_str(j.get("state")),
            mpn_id=_str(j.get("mpnId")),
            location=_str(j.get("location")),
            raw=_raw(data),
        )


@dataclass
class Relationship:
    """One partner related to a customer (``GET /v1/customers/{id}/relationships``)."""

    id: str
    name: str | None = None
    relationship_type: str | None = None
    state: str | None = None
    mpn_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Relationship":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            name=_str(j.get("name")),
            relationship_type=_str(j.get("relationshipType")),
            state=_str(j.get("state")),
            mpn_id=_str(j.get("mpnId")),
            raw=_raw(data),
        )


@dataclass
class RelationshipRequest:
    url: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RelationshipRequest":
        return cls(url=str(_CI(data).get("url") or ""), raw=_raw(data))


# ---------------------------------------------------------------- agreements


@dataclass
class AgreementTemplate:
    template_id: str
    agreement_type: str | None = None
    agreement_link: str | None = None
    version_rank: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AgreementTemplate":
        j = _CI(data)
        return cls(
            template_id=str(j.get("templateId") or ""),
            agreement_type=_str(j.get("agreementType")),
            agreement_link=_str(j.get("agreementLink")),
            version_rank=_int(j.get("versionRank")),
            raw=_raw(data),
        )


@dataclass
class Contact:
    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Contact":
        j = _CI(data)
        return cls(
            first_name=str(j.get("firstName") or ""),
            last_name=str(j.get("lastName") or ""),
            email=str(j.get("email") or ""),
            phone_number=_str(j.get("phoneNumber")),
        )

    def to_json(self) -> dict[str, Any]:
        out = {"firstName": self.first_name, "lastName": self.last_name, "email": self.email}
        if self.phone_number:
            out["phoneNumber"] = self.phone_number
        return out


@dataclass
class Agreement:
    template_id: str
    type: str | None = None
    date_agreed: datetime | None = None
    primary_contact: Contact | None = None
    user_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Agreement":
        j = _CI(data)
        pc = j.get("primaryContact")
        return cls(
            template_id=str(j.get("templateId") or ""),
            type=_str(j.get("type")),
            date_agreed=_dt(j.get("dateAgreed")),
            primary_contact=Contact.from_json(pc) if isinstance(pc, Mapping) else None,
            user_id=_str(j.get("userId")),
            raw=_raw(data),
        )


# ---------------------------------------------------------------- catalog


@dataclass
class Product:
    id: str
    title: str | None = None
    description: str | None = None
    product_type_id: str | None = None
    product_type_name: str | None = None
    publisher_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Product":
        j = _CI(data)
        pt = j.obj("productType")
        return cls(
            id=str(j.get("id") or ""),
            title=_str(j.get("title")),
            description=_str(j.get("description")),
            product_type_id=_str(pt.get("id")),
            product_type_name=_str(pt.get("displayName")),
            publisher_name=_str(j.get("publisherName")),
            raw=_raw(data),
        )


@dataclass
class Sku:
    id: str
    product_id: str
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool = False
    supported_billing_cycles: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Sku":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            product_id=str(j.get("productId") or ""),
            title=_str(j.get("title")),
            description=_str(j.get("description")),
            minimum_quantity=_int(j.get("minimumQuantity")),
            maximum_quantity=_int(j.get("maximumQuantity")),
            is_trial=bool(_bool(j.get("isTrial"), False)),
            supported_billing_cycles=[str(c) for c in j.list("supportedBillingCycles")],
            raw=_raw(data),
        )


@dataclass
class Term:
    duration: str  # ISO 8601: P1M, P1Y, P3Y
    billing_cycle: str | None = None
    description: str | None = None
    cancellation_policies: list[Any] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Term":
        j = _CI(data)
        return cls(
            duration=str(j.get("duration") or ""),
            billing_cycle=_str(j.get("billingCycle")),
            description=_str(j.get("description")),
            cancellation_policies=j.list("cancellationPolicies"),
            raw=_raw(data),
        )


@dataclass
class Availability:
    id: str
    catalog_item_id: str  # productId:skuId:availabilityId; read it right before purchase
    product_id: str | None = None
    sku_id: str | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool = True
    terms: list[Term] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Availability":
        j = _CI(data)
        cur = j.obj("defaultCurrency")
        cat = str(j.get("catalogItemId") or "")
        parts = cat.split(":") if cat else []
        return cls(
            id=str(j.get("id") or ""),
            catalog_item_id=cat,
            product_id=_str(j.get("productId")) or (parts[0] if len(parts) == 3 else None),
            sku_id=_str(j.get("skuId")) or (parts[1] if len(parts) == 3 else None),
            currency_code=_str(cur.get("code")),
            currency_symbol=_str(cur.get("symbol")),
            segment=_str(j.get("segment")),
            country=_str(j.get("country")),
            is_purchasable=bool(_bool(j.get("isPurchasable"), True)),
            terms=[Term.from_json(t) for t in j.list("terms") if isinstance(t, Mapping)],
            raw=_raw(data),
        )


# ---------------------------------------------------------------- carts and orders


@dataclass
class CartLineItem:
    id: int
    catalog_item_id: str
    quantity: int
    billing_cycle: str | None = None
    term_duration: str | None = None
    friendly_name: str | None = None
    participants: list[dict[str, Any]] = field(default_factory=list)
    provisioning_context: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_description: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def has_error(self) -> bool:
        return self.error_code is not None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CartLineItem":
        j = _CI(data)
        err = j.obj("error")
        return cls(
            id=_int(j.get("id"), 0) or 0,
            catalog_item_id=str(j.get("catalogItemId") or ""),
            quantity=_int(j.get("quantity"), 0) or 0,
            billing_cycle=_str(j.get("billingCycle")),
            term_duration=_str(j.get("termDuration")),
            friendly_name=_str(j.get("friendlyName")),
            participants=[dict(p) for p in j.list("participants") if isinstance(p, Mapping)],
            provisioning_context=_raw(j.get("provisioningContext")),
            error_code=_str(err.get("errorCode") or err.get("code")) if len(err) else None,
            error_description=_str(err.get("errorDescription") or err.get("description"))
            if len(err)
            else None,
            raw=_raw(data),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "catalogItemId": self.catalog_item_id,
            "quantity": self.quantity,
            "provisioningContext": dict(self.provisioning_context),
            "participants": [dict(p) for p in self.participants],
        }
        if self.billing_cycle:
            out["billingCycle"] = self.billing_cycle
        if self.term_duration:
            out["termDuration"] = self.term_duration
        if self.friendly_name:
            out["friendlyName"] = self.friendly_name
        return out


@dataclass
class Cart:
    id: str
    status: str | None = None
    expiration_timestamp: datetime | None = None
    line_items: list[CartLineItem] = field(default_factory=list)
    creation_timestamp: datetime | None = None
    etag: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[CartLineItem]:
        return [li for li in self.line_items if li.has_error]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Cart":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            status=_str(j.get("status")),
            expiration_timestamp=_dt(j.get("expirationTimestamp")),
            line_items=[CartLineItem.from_json(li) for li in j.list("lineItems") if isinstance(li, Mapping)],
            creation_timestamp=_dt(j.get("creationTimestamp")),
            etag=_etag(j),
            raw=_raw(data),
        )


@dataclass
class OrderLineItem:
    line_item_number: int
    offer_id: str | None = None
    subscription_id: str | None = None
    term_duration: str | None = None
    transaction_type: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    partner_id_on_record: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "OrderLineItem":
        j = _CI(data)
        return cls(
            line_item_number=_int(j.get("lineItemNumber"), 0) or 0,
            offer_id=_str(j.get("offerId")),
            subscription_id=_str(j.get("subscriptionId")),
            term_duration=_str(j.get("termDuration")),
            transaction_type=_str(j.get("transactionType")),
            friendly_name=_str(j.get("friendlyName")),
            quantity=_int(j.get("quantity"), 0) or 0,
            partner_id_on_record=_str(j.get("partnerIdOnRecord")),
            raw=_raw(data),
        )


@dataclass
class Order:
    id: str
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    line_items: list[OrderLineItem] = field(default_factory=list)
    creation_date: datetime | None = None
    status: str | None = None  # pending | completed | cancelled | unknown
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Order":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            reference_customer_id=_str(j.get("referenceCustomerId")),
            billing_cycle=_str(j.get("billingCycle")),
            currency_code=_str(j.get("currencyCode")),
            line_items=[OrderLineItem.from_json(li) for li in j.list("lineItems") if isinstance(li, Mapping)],
            creation_date=_dt(j.get("creationDate")),
            status=_str(j.get("status")),
            raw=_raw(data),
        )


@dataclass
class OrderError:
    order_group_id: str | None
    code: str | None
    description: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "OrderError":
        j = _CI(data)
        return cls(
            order_group_id=_str(j.get("orderGroupId")),
            code=_str(j.get("code")),
            description=_str(j.get("description")),
            raw=_raw(data),
        )


@dataclass
class CheckoutResult:
    orders: list[Order] = field(default_factory=list)
    order_errors: list[OrderError] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CheckoutResult":
        j = _CI(data)
        return cls(
            orders=[Order.from_json(o) for o in j.list("orders") if isinstance(o, Mapping)],
            order_errors=[OrderError.from_json(e) for e in j.list("orderErrors") if isinstance(e, Mapping)],
            raw=_raw(data),
        )


@dataclass
class ProvisioningStatus:
    line_item_number: int
    status: str  # Fulfilled | Unfulfilled | PrefulfillmentPending
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_fulfilled(self) -> bool:
        return self.status.lower() == "fulfilled"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ProvisioningStatus":
        j = _CI(data)
        return cls(
            line_item_number=_int(j.get("lineItemNumber"), 0) or 0,
            status=str(j.get("status") or ""),
            raw=_raw(data),
        )


# ---------------------------------------------------------------- subscriptions


@dataclass
class RefundableQuantity:
    total_quantity: int = 0
    details: list[tuple[int, datetime | None]] = field(default_factory=list)  # (quantity, allowed until)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "RefundableQuantity | None":
        if not isinstance(data, Mapping):
            return None
        j = _CI(data)
        details = []
        for d in j.list("details"):
            if isinstance(d, Mapping):
                dj = _CI(d)
                details.append((_int(dj.get("quantity"), 0) or 0, _dt(dj.get("allowedUntilDateTime"))))
        return cls(total_quantity=_int(j.get("totalQuantity"), 0) or 0, details=details)


@dataclass
class ScheduledNextTerm:
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    quantity: int | None = None
    custom_term_end_date: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "ScheduledNextTerm | None":
        if not isinstance(data, Mapping) or not data:
            return None
        j = _CI(data)
        p = j.obj("product")
        return cls(
            product_id=_str(p.get("productId")),
            sku_id=_str(p.get("skuId")),
            availability_id=_str(p.get("availabilityId")),
            billing_cycle=_str(p.get("billingCycle")),
            term_duration=_str(p.get("termDuration")),
            quantity=_int(j.get("quantity")),
            custom_term_end_date=_dt(j.get("customTermEndDate")),
        )

    def to_json(self) -> dict[str, Any]:
        product = {
            "productId": self.product_id,
            "skuId": self.sku_id,
            "availabilityId": self.availability_id,
            "billingCycle": self.billing_cycle,
            "termDuration": self.term_duration,
        }
        out: dict[str, Any] = {"product": {k: v for k, v in product.items() if v is not None}}
        if self.quantity is not None:
            out["quantity"] = self.quantity
        return out


@dataclass
class Subscription:
    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    status: str | None = None  # active | suspended | deleted | expired | pending | disabled
    auto_renew_enabled: bool | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    creation_date: datetime | None = None
    effective_start_date: datetime | None = None
    commitment_end_date: datetime | None = None
    cancellation_allowed_until_date: datetime | None = None
    refundable_quantity: RefundableQuantity | None = None
    scheduled_next_term_instructions: ScheduledNextTerm | None = None
    order_id: str | None = None
    partner_id: str | None = None
    etag: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Subscription":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            offer_id=_str(j.get("offerId")),
            offer_name=_str(j.get("offerName")),
            friendly_name=_str(j.get("friendlyName")),
            quantity=_int(j.get("quantity"), 0) or 0,
            status=_str(j.get("status")),
            auto_renew_enabled=_bool(j.get("autoRenewEnabled")),
            billing_cycle=_str(j.get("billingCycle")),
            term_duration=_str(j.get("termDuration")),
            creation_date=_dt(j.get("creationDate")),
            effective_start_date=_dt(j.get("effectiveStartDate")),
            commitment_end_date=_dt(j.get("commitmentEndDate")),
            cancellation_allowed_until_date=_dt(j.get("cancellationAllowedUntilDate")),
            refundable_quantity=RefundableQuantity.from_json(j.get("refundableQuantity")),
            scheduled_next_term_instructions=ScheduledNextTerm.from_json(
                j.get("scheduledNextTermInstructions")
            ),
            order_id=_str(j.get("orderId")),
            partner_id=_str(j.get("partnerId")),
            etag=_etag(j),
            raw=_raw(data),
        )


# ---------------------------------------------------------------- collections


@dataclass
class Page(Generic[T]):
    """One page of a collection. ``continuation_token`` is set when there is a next page."""

    items: list[T]
    total_count: int | None = None
    continuation_token: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], item: Callable[[Mapping[str, Any]], T]
    ) -> "Page[T]":
        j = _CI(data)
        token = _str(j.get("continuationToken"))
        if not token:
            nxt = j.obj("links").obj("next")
            for h in nxt.list("headers"):
                if isinstance(h, Mapping):
                    hj = _CI(h)
                    if str(hj.get("key", "")).lower() == "ms-continuationtoken":
                        token = _str(hj.get("value"))
        return cls(
            items=[item(x) for x in j.list("items") if isinstance(x, Mapping)],
            total_count=_int(j.get("totalCount")),
            continuation_token=token or None,
            raw=_raw(data),
        )
