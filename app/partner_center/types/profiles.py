"""A customer's company profile and billing profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import FromJson, _etag, _one, _text, computed, key, raw_payload
from .customers import Address


@dataclass
class CompanyProfile(FromJson):
    """``GET /v1/customers/{id}/profiles/company``
    (https://learn.microsoft.com/partner-center/developer/get-a-customer-s-company-profile)."""

    tenant_id: str = key("tenantId", _text)
    domain: str | None = key("domain", default=None)
    company_name: str | None = key("companyName", default=None)
    email: str | None = key("email", default=None)
    address: Address | None = key("address", _one(Address.from_json), default=None)
    organization_registration_number: str | None = key("organizationRegistrationNumber", default=None)
    raw: dict[str, Any] = raw_payload()


@dataclass
class BillingProfile(FromJson):
    """``GET``/``PUT /v1/customers/{id}/profiles/billing``; ``etag`` is ``attributes.etag``
    (https://learn.microsoft.com/partner-center/developer/get-all-of-a-customer-s-billing-profiles)."""

    id: str | None = key("id", default=None)
    email: str | None = key("email", default=None)
    company_name: str | None = key("companyName", default=None)
    first_name: str | None = key("firstName", default=None)
    last_name: str | None = key("lastName", default=None)
    culture: str | None = key("culture", default=None)
    language: str | None = key("language", default=None)
    default_address: Address | None = key("defaultAddress", _one(Address.from_json), default=None)
    etag: str | None = computed(_etag, default=None)
    raw: dict[str, Any] = raw_payload()
