"""Which token each Partner Center operation is sent with, and for which audience: one table.

Microsoft documents, under "Prerequisites" on each operation's page, whether it supports
"App+User credentials only" or both app-only and App+User
(https://learn.microsoft.com/en-us/partner-center/developer/partner-center-authentication). The
transport looks every call up here by method and path (and, for the two operations whose rule
depends on what is asked, by query or body), so no resource method names a token kind itself.

Kinds:

* ``APP_USER``: App+User only. Sent with the Secure Application Model token (a refresh token
  from a consent made with MFA); an app-only token is refused with 403.
* ``APP``: app-only and App+User both work; sent app-only, because app-only tokens are not
  subject to the MFA rule that App+User tokens are (from 1 April 2026, see
  https://learn.microsoft.com/en-us/partner-center/security/partner-security-requirements-mandating-mfa)
  and need no user in a Partner Center role.

Audiences: the Partner Center API (``api.partnercenter.microsoft.com``) and the Partner API
(``api.partner.microsoft.com``, where the new-commerce price sheet lives) are two resources, each
with its own token audience and MSAL scope ``<audience>/.default``
(https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls,
https://learn.microsoft.com/en-us/partner-center/developer/get-a-price-sheet).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .auth import APP, APP_USER
from .clouds import PARTNER_API_AUDIENCE as PARTNER_API
from .clouds import GRAPH_AUDIENCE as GRAPH
from .clouds import PARTNER_CENTER_AUDIENCE as PARTNER_CENTER

__all__ = ["APP", "APP_USER", "PARTNER_CENTER", "PARTNER_API", "GRAPH", "Operation", "OPERATIONS", "operation_for",
           "scope_of"]

_DOCS = "https://learn.microsoft.com/en-us/partner-center/developer/"
_BOTH = _DOCS + "partner-center-authentication"  # "app only and App+User" on the operation's page


@dataclass(frozen=True)
class Operation:
    """One operation: its name, how it is recognised, which token it needs, and where Microsoft
    says so. ``path`` is a regular expression over the URL path after the API version
    (``/v1`` for Partner Center, ``/v1.0`` for the Partner API). ``example`` is a request that
    reaches the operation in the sandbox (path, query, body), for the contract test that walks
    this table."""

    name: str
    method: str
    path: str
    kind: str
    doc: str
    audience: str = PARTNER_CENTER
    when: Callable[[Mapping[str, Any], Any], bool] | None = None
    example: tuple[str, dict | None, dict | None] | None = None

    def matches(self, method: str, path: str, params: Mapping[str, Any], body: Any) -> bool:
        if method.upper() != self.method or not re.fullmatch(self.path, path):
            return False
        return self.when is None or self.when(params, body)


def _filter_field(params: Mapping[str, Any], _body: Any) -> str:
    try:
        return str(json.loads(params.get("filter") or "{}").get("Field", "")).lower()
    except (ValueError, AttributeError):
        return ""


def _has(body: Any, key: str) -> bool:
    return isinstance(body, Mapping) and bool(body.get(key))


def _for_reseller(_params: Mapping[str, Any], body: Any) -> bool:
    return _has(body, "associatedPartnerId")


_ID = r"[^/]+"
_TENANT = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"  # a sandbox customer, for the examples
_RESELLER = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"

# First match wins: the more specific paths come before /customers/{id}.
OPERATIONS: tuple[Operation, ...] = (
    # -- App+User only
    Operation("get_mpn_profile", "GET", r"/profiles/mpn", APP_USER, _DOCS + "get-partner-network-profile",
              example=("/profiles/mpn", {"mpnId": "1234567"}, None)),
    Operation("get_agreement_status", "GET", r"/compliance/[^/]+/agreementstatus", APP_USER,
              _DOCS + "verify-indirect-reseller-mpa-status",
              example=("/compliance/csp/agreementstatus", {"mpnId": "1234567"}, None)),
    Operation("list_indirect_resellers", "GET", r"/relationships", APP_USER,
              _DOCS + "retrieve-a-list-of-indirect-resellers",
              example=("/relationships", {"relationship_type": "IsIndirectCloudSolutionProviderOf"}, None)),
    Operation("get_relationship_request", "GET", r"/customers/relationshiprequests", APP_USER,
              _DOCS + "request-reseller-relationship", example=("/customers/relationshiprequests", None, None)),
    Operation("list_customer_relationships", "GET", rf"/customers/{_ID}/relationships", APP_USER,
              _DOCS + "get-indirect-resellers-of-a-customer",
              example=(f"/customers/{_TENANT}/relationships", None, None)),
    Operation("search_customers_by_reseller", "GET", r"/customers", APP_USER,
              _DOCS + "get-customers-of-an-indirect-reseller",
              when=lambda params, body: _filter_field(params, body) == "indirectreseller",
              example=("/customers", {"size": 10, "filter": json.dumps(
                  {"Field": "IndirectReseller", "Value": _RESELLER, "Operator": "starts_with"})}, None)),
    Operation("create_customer_for_reseller", "POST", r"/customers", APP_USER,
              _DOCS + "create-a-customer-for-an-indirect-reseller", when=_for_reseller,
              example=("/customers", None, {"associatedPartnerId": _RESELLER})),
    Operation("get_validation_status", "GET", rf"/customers/{_ID}/validationStatus", APP_USER,
              _DOCS + "retrieve-validation-status"),
    Operation("list_agreement_templates", "GET", r"/agreements", APP_USER,
              _DOCS + "get-customer-agreement-metadata",
              example=("/agreements", {"agreementType": "MicrosoftCustomerAgreement"}, None)),
    # The classic attestation: the Agreement resource's userId "is derived from the App+User token"
    # (https://learn.microsoft.com/en-us/partner-center/developer/agreement-resources); the contract
    # (/work/shared/partner-center.md) lists customer agreements as App+User only. With an
    # enhanced attestation's id the same POST is app-only (below).
    Operation("attest_agreement", "POST", rf"/customers/{_ID}/agreements", APP_USER,
              _DOCS + "agreement-resources", when=lambda _p, body: not _has(body, "attestationId"),
              example=(f"/customers/{_TENANT}/agreements", None, {})),
    Operation("get_direct_signed_status", "GET", rf"/customers/{_ID}/directSignedMicrosoftCustomerAgreementStatus",
              APP_USER, _DOCS + "customer-agreement-direct-sign-status-resource"),
    Operation("list_agreements", "GET", rf"/customers/{_ID}/agreements", APP_USER,
              _DOCS + "agreement-resources",
              example=(f"/customers/{_TENANT}/agreements", {"agreementType": "MicrosoftCustomerAgreement"}, None)),
    # "This scenario only supports application user authentication. Application-only isn't yet
    # supported", on the Partner API host with its own audience.
    Operation("price_sheet", "GET", r"/sales/pricesheets\(.*\)/\$value", APP_USER, _DOCS + "get-a-price-sheet",
              audience=PARTNER_API,
              example=("/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value",
                       {"timeline": "current"}, None)),
    # -- app-only (the enhanced attestation, and the agreement created with its id)
    Operation("create_enhanced_attestation", "POST", r"/attestations/enhanced", APP,
              "https://learn.microsoft.com/partner-center/customers/integrate-sandbox-confirm-customer-accept"),
    Operation("attest_agreement_enhanced", "POST", rf"/customers/{_ID}/agreements", APP,
              "https://learn.microsoft.com/partner-center/customers/integrate-sandbox-confirm-customer-accept"),
    # -- Microsoft Graph (GDAP): application permission DelegatedAdminRelationship.ReadWrite.All (or
    # .Read.All to read), sent app-only; the audience is the cloud's Graph host (gdap.py).
    Operation("create_admin_relationship", "POST", r"/tenantRelationships/delegatedAdminRelationships", APP,
              "https://learn.microsoft.com/en-us/graph/api/tenantrelationship-post-delegatedadminrelationships",
              audience=GRAPH),
    Operation("request_admin_relationship_action", "POST",
              rf"/tenantRelationships/delegatedAdminRelationships/{_ID}/requests", APP,
              "https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests", audience=GRAPH),
    Operation("list_admin_relationships", "GET", r"/tenantRelationships/delegatedAdminRelationships", APP,
              "https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships",
              audience=GRAPH),
    Operation("get_admin_relationship", "GET", rf"/tenantRelationships/delegatedAdminRelationships/{_ID}", APP,
              "https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-get", audience=GRAPH),
    # -- app-only and App+User
    Operation("is_domain_available", "HEAD", rf"/domains/{_ID}", APP, _BOTH),
    Operation("create_customer", "POST", r"/customers", APP, _BOTH),
    Operation("list_customers", "GET", r"/customers", APP, _BOTH),
    Operation("get_customer", "GET", rf"/customers/{_ID}", APP, _BOTH),
    Operation("get_company_profile", "GET", rf"/customers/{_ID}/profiles/company", APP,
              _DOCS + "get-a-customer-s-company-profile"),
    Operation("get_billing_profile", "GET", rf"/customers/{_ID}/profiles/billing", APP,
              _DOCS + "get-all-of-a-customer-s-billing-profiles"),
    Operation("update_billing_profile", "PUT", rf"/customers/{_ID}/profiles/billing", APP,
              _DOCS + "update-a-customer-s-billing-profile"),
    Operation("get_country_rules", "GET", rf"/countryvalidationrules/{_ID}", APP, _BOTH),
    Operation("validate_address", "POST", r"/validations/address", APP, _BOTH),
    Operation("list_products", "GET", r"/products", APP, _BOTH),
    Operation("list_skus", "GET", rf"/products/{_ID}/skus", APP, _BOTH),
    Operation("list_availabilities", "GET", rf"/products/{_ID}/skus/{_ID}/availabilities", APP, _BOTH),
    Operation("create_cart", "POST", rf"/customers/{_ID}/carts", APP, _BOTH),
    Operation("get_cart", "GET", rf"/customers/{_ID}/carts/{_ID}", APP, _BOTH),
    Operation("update_cart", "PUT", rf"/customers/{_ID}/carts/{_ID}", APP, _BOTH),
    Operation("checkout", "POST", rf"/customers/{_ID}/carts/{_ID}/checkout", APP, _BOTH),
    Operation("list_orders", "GET", rf"/customers/{_ID}/orders", APP, _BOTH),
    Operation("get_order", "GET", rf"/customers/{_ID}/orders/{_ID}", APP, _BOTH),
    Operation("get_provisioning_status", "GET", rf"/customers/{_ID}/orders/{_ID}/provisioningstatus", APP, _BOTH),
    Operation("list_subscriptions", "GET", rf"/customers/{_ID}/subscriptions", APP, _BOTH),
    Operation("get_subscription", "GET", rf"/customers/{_ID}/subscriptions/{_ID}", APP, _BOTH),
    Operation("update_subscription", "PATCH", rf"/customers/{_ID}/subscriptions/{_ID}", APP, _BOTH),
    # Webhooks, under /webhooks/v1 (not /v1): "app-only and App+User" (the contract's list; Microsoft's
    # webhooks page, https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks).
    Operation("list_webhook_events", "GET", r"/webhooks/v1/registration/events", APP, _DOCS + "partner-center-webhooks"),
    Operation("get_test_webhook_event", "GET", rf"/webhooks/v1/registration/validationEvents/{_ID}", APP,
              _DOCS + "partner-center-webhooks"),
    Operation("send_test_webhook_event", "POST", r"/webhooks/v1/registration/validationEvents", APP,
              _DOCS + "partner-center-webhooks"),
    Operation("get_webhook_registration", "GET", r"/webhooks/v1/registration", APP, _DOCS + "partner-center-webhooks"),
    Operation("register_webhook", "POST", r"/webhooks/v1/registration", APP, _DOCS + "partner-center-webhooks"),
    Operation("update_webhook_registration", "PUT", r"/webhooks/v1/registration", APP,
              _DOCS + "partner-center-webhooks"),
    Operation("delete_webhook_registration", "DELETE", r"/webhooks/v1/registration", APP,
              _DOCS + "partner-center-webhooks"),
)

# What a call this table does not name is sent with: app-only, as before there was a table.
UNLISTED = Operation("unlisted", "*", r".*", APP, _BOTH)

_VERSION = re.compile(r"^/v1(\.0)?(?=/)")


def operation_for(method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None) -> Operation:
    """The operation a call is, from its method and URL path (``/v1/...`` or ``/v1.0/...``)."""
    relative = _VERSION.sub("", path.split("?", 1)[0])
    for op in OPERATIONS:
        if op.matches(method, relative, params or {}, body):
            return op
    return UNLISTED


def scope_of(audience: str) -> str:
    return f"{audience.rstrip('/')}/.default"
