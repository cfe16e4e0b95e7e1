"""Granular delegated admin privileges (GDAP) on Microsoft Graph: the least-privilege admin
relationship a partner asks a customer to approve (DAP is retired).

Microsoft Graph v1.0, ``tenantRelationships/delegatedAdminRelationships``
(https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationships-api-overview):

1. ``POST /tenantRelationships/delegatedAdminRelationships`` with displayName (unique among the
   partner's relationships), duration (ISO 8601, ``P1D`` to ``P2Y``), customer.tenantId,
   accessDetails.unifiedRoles[{roleDefinitionId}] and autoExtendDuration (``PT0S`` or ``P180D``)
   -> 201, status ``created``
   (https://learn.microsoft.com/en-us/graph/api/tenantrelationship-post-delegatedadminrelationships);
2. ``POST .../{id}/requests {"action": "lockForApproval"}`` -> status ``approvalPending``
   (https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests);
3. the customer's global administrator opens the approval link, built from the URI template
   ``https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}``
   (the overview page above), and approves -> ``active``; requests nobody approves expire after
   90 days (https://learn.microsoft.com/en-us/partner-center/customers/gdap-faq);
4. ``GET .../{id}`` reads the status (created, approvalPending, approved, activating, active,
   expiring, expired, terminationRequested, terminating, terminated).

The token is for Microsoft Graph (audience ``https://graph.microsoft.com`` in the public cloud,
the cloud's own Graph host elsewhere), sent app-only: the Graph pages list the application
permission DelegatedAdminRelationship.ReadWrite.All, for which the partner tenant must have the
service principal of "Partner Customer Delegated Administration" (appId
2832473f-ec63-45fb-976f-5d45a7d4bb91) provisioned.

Indirect resellers: a relationship an indirect provider created for one of its resellers reads
back as ``#microsoft.graph.resellerDelegatedAdminRelationship`` with indirectProviderTenantId
and isPartnerConsentPending
(https://learn.microsoft.com/en-us/graph/api/resources/resellerdelegatedadminrelationship);
``AdminRelationship`` carries both. Such a relationship is listed by the RESELLER (``GET
/tenantRelationships/delegatedAdminRelationships`` with a token of the reseller's own tenant) and
approved or rejected by it (``POST .../{id}/requests`` with ``approve`` or ``reject``,
https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests). Microsoft
documents no Graph call by which the provider creates one: the provider does that in Partner
Center's pages, so this client has none.

A reseller's tenant gives the storefront's (multi-tenant) app its tokens only after one of its
administrators consented, through the identity platform's admin consent endpoint
(``admin_consent_url``, https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent);
afterwards the same client credentials get app-only tokens at the authority of that tenant.
"""

from __future__ import annotations

from urllib.parse import urlencode
from dataclasses import dataclass, field
from typing import Any, Mapping

from .transport import Transport
from .types import parse_datetime

__all__ = ["AdminRelationship", "Gdap", "RESELLER_TYPE", "admin_consent_url", "LEAST_PRIVILEGE_ROLES", "DEFAULT_ROLES", "AUTO_EXTEND_CHOICES",
           "MAX_DURATION_DAYS", "approval_url"]

# Microsoft Entra built-in role template ids (the roleDefinitionId GDAP asks for), from
# https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference
# (the first two also on https://learn.microsoft.com/en-us/powershell/module/azuread/get-azureaddirectoryroletemplate).
# Only roles Microsoft lists as least-privileged for a reseller's day-to-day work
# (https://learn.microsoft.com/en-us/partner-center/customers/gdap-least-privileged-roles-by-task):
# never Global Administrator.
LEAST_PRIVILEGE_ROLES: dict[str, str] = {
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
}
# The safe default: read the directory, open support requests, assign licenses.
DEFAULT_ROLES: tuple[str, ...] = (
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "f023fd81-a637-4b56-95fd-791ac0226033",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
)
# autoExtendDuration: "PT0S" (expire at endDateTime) or "P180D" (extend by six months); "P0D" means
# the same as "PT0S". Global Administrator relationships cannot auto-extend.
AUTO_EXTEND_CHOICES = ("PT0S", "P180D")
MAX_DURATION_DAYS = 730  # "between P1D and P2Y inclusive"

_ADMIN_CENTER = "https://admin.microsoft.com"
RESELLER_TYPE = "#microsoft.graph.resellerDelegatedAdminRelationship"
_BASE = "/tenantRelationships/delegatedAdminRelationships"
def approval_url(relationship_id: str, admin_center: str = _ADMIN_CENTER) -> str:
    """The link the customer's global administrator opens to approve (the Graph overview's template)."""
    return f"{admin_center.rstrip('/')}/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{relationship_id}"


def admin_consent_url(authority_host: str, tenant_id: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    """Where a tenant's administrator grants the storefront's multi-tenant app its application
    permissions for that tenant: ``{authority}/{tenant}/adminconsent?client_id=&redirect_uri=&state=``.
    Entra sends the browser back to ``redirect_uri`` with ``admin_consent=True&tenant=...&state=...``,
    or ``error=...&error_description=...&state=...``
    (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent)."""
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{authority_host.rstrip('/')}/{tenant_id}/adminconsent?{query}"


@dataclass(frozen=True)
class AdminRelationship:
    id: str
    display_name: str
    status: str
    duration: str
    auto_extend_duration: str
    customer_tenant_id: str | None
    role_ids: tuple[str, ...]
    created: Any = None
    activated: Any = None
    ends: Any = None
    indirect_provider_tenant_id: str | None = None
    partner_consent_pending: bool | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AdminRelationship":
        roles = ((data.get("accessDetails") or {}).get("unifiedRoles")) or []
        return cls(
            id=str(data.get("id") or ""),
            display_name=str(data.get("displayName") or ""),
            status=str(data.get("status") or ""),
            duration=str(data.get("duration") or ""),
            auto_extend_duration=str(data.get("autoExtendDuration") or "PT0S"),
            customer_tenant_id=(data.get("customer") or {}).get("tenantId"),
            role_ids=tuple(str(r.get("roleDefinitionId")) for r in roles if isinstance(r, Mapping)),
            created=parse_datetime(data.get("createdDateTime")),
            activated=parse_datetime(data.get("activatedDateTime")),
            ends=parse_datetime(data.get("endDateTime")),
            indirect_provider_tenant_id=data.get("indirectProviderTenantId"),
            partner_consent_pending=data.get("isPartnerConsentPending"),
            raw=dict(data),
        )

    @property
    def for_reseller(self) -> bool:
        """Created by an indirect provider for this (reseller) tenant."""
        return self.raw.get("@odata.type") == RESELLER_TYPE

    @property
    def customer_name(self) -> str:
        return str((self.raw.get("customer") or {}).get("displayName") or self.customer_tenant_id or "")


class Gdap(Transport):
    """GDAP admin relationships on the cloud's Microsoft Graph host."""

    def _graph(self, method: str, path: str, **kw: Any) -> Any:
        response = self._call(method, f"{self.cloud.graph_base.rstrip('/')}/v1.0{path}", **kw)
        return response.json() if response.content else {}

    def create_admin_relationship(
        self, *, display_name: str, customer_tenant_id: str | None, role_ids: tuple[str, ...] | list[str] = DEFAULT_ROLES,
        duration: str = "P730D", auto_extend_duration: str = "PT0S", customer_display_name: str | None = None,
    ) -> AdminRelationship:
        """``POST /tenantRelationships/delegatedAdminRelationships`` -> status ``created``. The
        customer is optional: without it, the tenant whose administrator approves becomes the
        customer (the resource page: "configured either by the partner at the time the relationship
        is created or by the system after the customer approves")."""
        body: dict[str, Any] = {
            "displayName": display_name[:50],
            "duration": duration,
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in role_ids]},
            "autoExtendDuration": auto_extend_duration,
        }
        if customer_tenant_id:
            body["customer"] = {"tenantId": customer_tenant_id, **({"displayName": customer_display_name}
                                                                   if customer_display_name else {})}
        return AdminRelationship.from_json(
            self._graph("POST", "/tenantRelationships/delegatedAdminRelationships", json=body))

    def lock_for_approval(self, relationship_id: str) -> dict:
        """``POST .../{id}/requests {"action": "lockForApproval"}``: the relationship becomes
        ``approvalPending`` and the customer can approve it at ``approval_url(id)``."""
        return self._graph("POST", f"/tenantRelationships/delegatedAdminRelationships/{self._q(relationship_id)}"
                                   "/requests", json={"action": "lockForApproval"})

    def get_admin_relationship(self, relationship_id: str) -> AdminRelationship:
        """``GET .../{id}``: the relationship and its status."""
        return AdminRelationship.from_json(
            self._graph("GET", f"/tenantRelationships/delegatedAdminRelationships/{self._q(relationship_id)}"))

    def list_admin_relationships(self) -> list[AdminRelationship]:
        """``GET /tenantRelationships/delegatedAdminRelationships``: this tenant's relationships, a
        reseller's ``resellerDelegatedAdminRelationship`` ones included; follows ``@odata.nextLink``
        (https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships)."""
        found: list[AdminRelationship] = []
        page = self._graph("GET", _BASE)
        for _ in range(100):  # a bound, in case a service keeps answering a next page
            found += [AdminRelationship.from_json(item) for item in page.get("value") or [] if isinstance(item, Mapping)]
            next_link = page.get("@odata.nextLink")
            if not next_link:
                break
            response = self._call("GET", str(next_link))
            page = response.json() if response.content else {}
        return found

    def approve_reseller_relationship(self, relationship_id: str) -> dict:
        """The indirect reseller approves a relationship its provider created for it:
        ``POST .../{id}/requests {"action": "approve"}``
        (https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests)."""
        return self._graph("POST", f"{_BASE}/{self._q(relationship_id)}/requests", json={"action": "approve"})

    def reject_reseller_relationship(self, relationship_id: str) -> dict:
        """... or rejects it (``reject``). ``reject`` is an evolvable enum member, sent with
        ``Prefer: include-unknown-enum-members`` as the delegatedAdminRelationshipRequest page asks
        (https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationshiprequest)."""
        return self._graph("POST", f"{_BASE}/{self._q(relationship_id)}/requests", json={"action": "reject"},
                           headers={"Prefer": "include-unknown-enum-members"})

    def gdap_approval_url(self, relationship_id: str) -> str:
        return approval_url(relationship_id, self.instance.admin_center_url or self.cloud.admin_center)
