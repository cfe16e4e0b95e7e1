"""Relationships (two-tier): MPN profiles, the Microsoft Partner Agreement status, the reseller
network, a customer's partner relationships and the relationship request link. All App+User
only: the token each call needs comes from ``operations.OPERATIONS``."""

from __future__ import annotations

from .transport import Transport
from .types import AgreementStatus, IndirectReseller, MpnProfile, Relationship, RelationshipRequest

__all__ = ["Relationships"]


class Relationships(Transport):
    """The partner network: ``/v1/profiles/mpn``, ``/v1/compliance/csp/agreementstatus``,
    ``/v1/relationships``, ``/v1/customers/{id}/relationships`` and the relationship request link."""

    def get_mpn_profile(self, mpn_id: str | int | None = None) -> MpnProfile:
        """``GET /v1/profiles/mpn?mpnId={id}`` (App+User). Without an id, the partner's own.
        Unknown -> ``PartnerIdUnknown`` (404, code 3000)."""
        params = {"mpnId": str(mpn_id)} if mpn_id is not None else None
        return self._get("/profiles/mpn", MpnProfile.from_json, params=params)

    def get_agreement_status(
        self, mpn_id: str | int | None = None, *, tenant_id: str | None = None
    ) -> AgreementStatus:
        """``GET /v1/compliance/csp/agreementstatus?mpnId={id}`` (or ``?tenantId=``): has the
        reseller signed the Microsoft Partner Agreement for this region? Codes 2200-2206 raise
        ``PartnerAgreementNotSigned`` (the exact code is kept in ``.code``)."""
        if (mpn_id is None) == (tenant_id is None):
            raise ValueError("give exactly one of mpn_id or tenant_id")
        params = {"mpnId": str(mpn_id)} if mpn_id is not None else {"tenantId": str(tenant_id)}
        return self._get("/compliance/csp/agreementstatus", AgreementStatus.from_json, params=params)

    def list_indirect_resellers(self) -> list[IndirectReseller]:
        """``GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf``
        (App+User): the distributor's reseller network."""
        return self._collection(
            "/relationships",
            IndirectReseller.from_json,
            params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
        )

    def list_customer_relationships(self, customer_id: str) -> list[Relationship]:
        """``GET /v1/customers/{id}/relationships``: the partners related to a customer (for
        two-tier, the reseller shows here once the customer accepted it)."""
        return self._collection(
            f"/customers/{self._q(customer_id)}/relationships", Relationship.from_json
        )

    def get_relationship_request(self, indirect_reseller_id: str | None = None) -> RelationshipRequest:
        """``GET /v1/customers/relationshiprequests[?indirectResellerId=]`` (App+User): the
        link a customer's global admin opens to accept the partner. The URL is opaque."""
        params = {"indirectResellerId": indirect_reseller_id} if indirect_reseller_id else None
        return self._get("/customers/relationshiprequests", RelationshipRequest.from_json, params=params)
