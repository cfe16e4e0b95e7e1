"""Customers: domains, creating and finding customers, country rules and address validation."""

from __future__ import annotations

import json as jsonlib
from typing import Any, Iterator, Mapping

from .errors import NotFound, PartnerCenterError
from .transport import Transport
from .types import Address, AddressValidation, CountryRules, Customer, Page, ValidationStatus

__all__ = ["Customers"]


class Customers(Transport):
    """Domains and customers (``/v1/domains``, ``/v1/customers``, ``/v1/countryvalidationrules``,
    ``/v1/validations/address``)."""

    # ------------------------------------------------------------------ domains

    def normalize_domain(self, prefix_or_domain: str) -> str:
        """``contoso`` -> ``contoso.onmicrosoft.com`` (the cloud's initial-domain suffix);
        a full domain is kept, lower-cased."""
        d = prefix_or_domain.strip().lower().rstrip(".")
        if "." not in d:
            d = f"{d}.{self.cloud.initial_domain_suffix}"
        return d

    def is_domain_available(self, prefix_or_domain: str) -> bool:
        """``HEAD /v1/domains/{domain}``. Inverted meaning: 200 = the domain exists (taken),
        404 = available."""
        domain = self.normalize_domain(prefix_or_domain)
        try:
            self._call("HEAD", self._url(f"/domains/{self._q(domain)}"))
        except NotFound:
            return True
        return False

    # ------------------------------------------------------------------ customers

    def create_customer(
        self,
        *,
        domain: str,
        company_name: str,
        email: str,
        address: Address | Mapping[str, Any],
        first_name: str | None = None,
        last_name: str | None = None,
        culture: str | None = None,
        language: str = "en",
        organization_registration_number: str | None = None,
        associated_partner_id: str | None = None,
        request_id: str | None = None,
    ) -> Customer:
        """``POST /v1/customers`` -> 201 Customer (with ``user_credentials``, returned once).

        ``domain`` is a prefix or a full initial domain. ``associated_partner_id`` is the
        indirect reseller's tenant id. Idempotent under ``request_id``: pass the stored id when
        resuming a crashed job. Raises ``DomainTaken``, ``RegistrationIdMissing`` (600049),
        ``RegistrationIdInvalid`` (600050), ``RegistrationIdNotAllowed`` (600002),
        ``PhoneMissing`` (600051).
        """
        addr = address.to_json() if isinstance(address, Address) else dict(address)
        if first_name and not addr.get("firstName"):
            addr["firstName"] = first_name
        if last_name and not addr.get("lastName"):
            addr["lastName"] = last_name
        company_profile: dict[str, Any] = {"domain": self.normalize_domain(domain)}
        if organization_registration_number:
            company_profile["organizationRegistrationNumber"] = organization_registration_number
        billing_profile: dict[str, Any] = {
            "email": email,
            "culture": culture or self.instance.locale,
            "language": language,
            "companyName": company_name,
            "defaultAddress": addr,
        }
        if first_name or addr.get("firstName"):
            billing_profile["firstName"] = first_name or addr.get("firstName")
        if last_name or addr.get("lastName"):
            billing_profile["lastName"] = last_name or addr.get("lastName")
        body: dict[str, Any] = {"companyProfile": company_profile, "billingProfile": billing_profile}
        if associated_partner_id:
            body["associatedPartnerId"] = associated_partner_id
        data = self._json("POST", "/customers", json=body, request_id=request_id)
        return Customer.from_json(data)

    def get_customer(self, customer_id: str) -> Customer:
        """``GET /v1/customers/{tenantId}``. Raises ``NoRelationship`` (a ``NotFound``; 404
        60003 or 403 20002) while the partner has no relationship with the tenant."""
        return self._get(f"/customers/{self._q(customer_id)}", Customer.from_json)

    def get_validation_status(self, customer_id: str, validation_type: str = "account") -> ValidationStatus:
        """``GET /v1/customers/{id}/validationStatus?type=account`` (App+User): is the customer's
        account under review? Checkout refuses such a customer (403 800073/800074, or 800075 when
        not approved), so a buyer is told before ordering.
        https://learn.microsoft.com/partner-center/developer/retrieve-validation-status"""
        return self._get(f"/customers/{self._q(customer_id)}/validationStatus", ValidationStatus.from_json,
                         params={"type": validation_type})

    def try_get_customer(self, customer_id: str) -> Customer | None:
        """``get_customer``, or None while the tenant is not visible (no relationship yet:
        ``NoRelationship``/``NotFound``). For the authorization gate's polling."""
        try:
            return self.get_customer(customer_id)
        except NotFound:
            return None

    def search_customers(
        self,
        field: str,
        value: str,
        *,
        size: int = 100,
        continuation_token: str | None = None,
    ) -> Page[Customer]:
        """``GET /v1/customers?size=N&filter={"Field", "Value", "Operator": "starts_with"}``.

        ``field`` is ``Domain``, ``CompanyName`` or ``IndirectReseller``. The service only does
        a case-insensitive prefix match. Pass the page's ``continuation_token`` for the next
        page (sent as ``MS-ContinuationToken`` with ``seekOperation=Next``).
        """
        flt = jsonlib.dumps({"Field": field, "Value": value, "Operator": "starts_with"})
        return self._page(
            "/customers",
            Customer.from_json,
            params={"size": size, "filter": flt},
            continuation_token=continuation_token,
        )

    def list_customers(self, *, size: int = 100, continuation_token: str | None = None) -> Page[Customer]:
        """``GET /v1/customers?size=N``: one page of all the partner's customers."""
        return self._page(
            "/customers", Customer.from_json, params={"size": size}, continuation_token=continuation_token
        )

    def iter_customers(
        self, field: str | None = None, value: str | None = None, *, size: int = 100
    ) -> Iterator[Customer]:
        """Every customer (optionally of a search), following continuation tokens."""
        token = None
        while True:
            if field is None:
                page = self.list_customers(size=size, continuation_token=token)
            else:
                page = self.search_customers(field, value or "", size=size, continuation_token=token)
            yield from page.items
            token = page.continuation_token
            if not token or not page.items:
                return

    def find_customer_by_domain(self, domain: str) -> Customer | None:
        """The customer whose domain is EXACTLY ``domain`` (prefix or full), or None. The
        service's search is a prefix match, so the exact comparison happens here."""
        wanted = self.normalize_domain(domain)
        for customer in self.iter_customers("Domain", wanted):
            if (customer.domain or "").lower() == wanted:
                return customer
        return None

    def search_customers_by_reseller(self, reseller_tenant_id: str) -> list[Customer]:
        """Customers associated with an indirect reseller (filter Field ``IndirectReseller``)."""
        return list(self.iter_customers("IndirectReseller", reseller_tenant_id))

    def get_country_rules(self, country: str) -> CountryRules:
        """``GET /v1/countryvalidationrules/{ISO2}``."""
        return self._get(f"/countryvalidationrules/{self._q(country.upper())}", CountryRules.from_json)

    def validate_address(self, address: Address | Mapping[str, Any]) -> AddressValidation:
        """``POST /v1/validations/address``. The current answer is 200 with a status; the older
        one is 400 code 2007, reported here as status ``NotValidated`` with ``error_code``."""
        addr = address.to_json() if isinstance(address, Address) else dict(address)
        body = {
            k: v
            for k, v in addr.items()
            if k in ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")
        }
        try:
            return AddressValidation.from_json(self._json("POST", "/validations/address", json=body))
        except PartnerCenterError as exc:
            if exc.status == 400 and exc.code == "2007":
                return AddressValidation(
                    status="NotValidated",
                    original=Address.from_json(body),
                    message=exc.description,
                    error_code="2007",
                )
            raise
