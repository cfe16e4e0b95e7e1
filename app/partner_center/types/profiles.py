"""A customer's company profile and billing profile."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Resource, _etag, _one, _text, computed, key
from .customers import Address


@dataclass
class CompanyProfile(Resource):
    """``GET /v1/customers/{id}/profiles/company``
    (https://learn.microsoft.com/partner-center/developer/get-a-customer-s-company-profile)."""

    tenant_id: str = key(_text)
    domain: str | None = key(default=None)
    company_name: str | None = key(default=None)
    email: str | None = key(default=None)
    address: Address | None = key(_one(Address.from_json), default=None)
    organization_registration_number: str | None = key(default=None)


@dataclass
class BillingProfile(Resource):
    """``GET``/``PUT /v1/customers/{id}/profiles/billing``; ``etag`` is ``attributes.etag``
    (https://learn.microsoft.com/partner-center/developer/get-all-of-a-customer-s-billing-profiles)."""

    id: str | None = key(default=None)
    email: str | None = key(default=None)
    company_name: str | None = key(default=None)
    first_name: str | None = key(default=None)
    last_name: str | None = key(default=None)
    culture: str | None = key(default=None)
    language: str | None = key(default=None)
    default_address: Address | None = key(_one(Address.from_json), default=None)
    etag: str | None = computed(_etag, default=None)
