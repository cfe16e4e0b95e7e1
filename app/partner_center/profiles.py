"""A customer's profiles: the company profile (read) and the billing profile (read, and replace
with ``If-Match``)."""

from __future__ import annotations

from typing import Any, Mapping

from .subscriptions import quote_etag
from .transport import Transport
from .types import Address, set_field
from .types.profiles import BillingProfile, CompanyProfile

__all__ = ["Profiles"]


class Profiles(Transport):
    """``/v1/customers/{id}/profiles/company`` and ``/v1/customers/{id}/profiles/billing``."""

    def get_company_profile(self, customer_id: str) -> CompanyProfile:
        """``GET /v1/customers/{id}/profiles/company``: tenant id, domain, company name, address,
        email (https://learn.microsoft.com/partner-center/developer/get-a-customer-s-company-profile)."""
        return self._get(f"/customers/{self._q(customer_id)}/profiles/company", CompanyProfile.from_json)

    def get_billing_profile(self, customer_id: str) -> BillingProfile:
        """``GET /v1/customers/{id}/profiles/billing``, with its etag in ``attributes.etag``
        (https://learn.microsoft.com/partner-center/developer/get-all-of-a-customer-s-billing-profiles)."""
        return self._get(f"/customers/{self._q(customer_id)}/profiles/billing", BillingProfile.from_json)

    def update_billing_profile(
        self,
        customer_id: str,
        current: BillingProfile,
        *,
        changes: Mapping[str, Any] | None = None,
        address: Address | Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> BillingProfile:
        """``PUT /v1/customers/{id}/profiles/billing`` with the full resource (``current`` as read,
        ``changes`` by JSON name and a new ``address`` applied) and ``If-Match: "<etag>"``,
        "required for concurrency detection"
        (https://learn.microsoft.com/partner-center/developer/update-a-customer-s-billing-profile).
        A profile changed since it was read raises ``EtagMismatch`` (400 2055): read it again."""
        body = dict(current.raw)
        for name, value in (changes or {}).items():
            set_field(body, name, value)
        if address is not None:
            new = address.to_json() if isinstance(address, Address) else dict(address)
            set_field(body, "defaultAddress", new)
        headers = {"If-Match": quote_etag(current.etag)} if current.etag else {}
        return BillingProfile.from_json(self._json(
            "PUT", f"/customers/{self._q(customer_id)}/profiles/billing", json=body, headers=headers,
            request_id=request_id))
