"""The operator's reseller network in Partner Center: is a partner ID (MPN / PLA ID) a reseller the
operator may sell through, and is a Partner Center tenant ID that reseller's own?

One set of rules for everyone who asks: the checkout when a reseller types its partner ID, and the
operator when it onboards or edits a reseller (app/partners/services.py). Callers pass the client
(app.connections.person.person_client for a check a person waits on) and present the answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from app import cache
from app.partner_center import NotFound, PartnerAgreementNotSigned, PartnerIdUnknown

# The operator's reseller network changes rarely; a partner ID checked on every blur must not page
# through it each time.
NETWORK_CACHE_SECONDS = 300

READY = "ready"
INQUIRING = "inquiring"


def reseller_network(client) -> dict[str, str]:
    """MPN ID -> the reseller's Partner Center tenant id, cached briefly in Redis."""
    return cache.remember("pc:reseller-network", NETWORK_CACHE_SECONDS, lambda: {
        r.mpn_id: r.id.lower() for r in client.list_indirect_resellers() if r.mpn_id})


@dataclass(frozen=True)
class NetworkCheck:
    """What Partner Center says about a partner ID and (when given) a tenant ID.

    `partner_ok`: the partner ID exists, has signed the Microsoft Partner Agreement for the
    operator's region, and is in the operator's reseller network. `tenant`: "verified" (the
    network lists that tenant for the partner ID), "invalid" (it lists another), or "missing" (no
    tenant ID was given, or the partner ID is not ok). `reason` says what is wrong, for the operator.
    """

    partner_ok: bool
    tenant: str
    network_tenant_id: str | None = None
    reason: str | None = None

    @property
    def ready(self) -> bool:
        return self.partner_ok and self.tenant == "verified"

    @property
    def readiness(self) -> str:
        return READY if self.ready else INQUIRING


def check_partner_id(client, partner_id: str, tenant_id: str | None = None) -> NetworkCheck:
    """Ask Partner Center: the partner's profile, its agreement status, then the operator's network.

    Refusals that mean "not a reseller of yours" are answers; Partner Center being down, throttling
    or refusing the call itself raise its PartnerCenterError for the caller to present."""
    try:
        client.get_mpn_profile(partner_id)
    except (PartnerIdUnknown, NotFound):
        return NetworkCheck(False, "missing", reason=f"Partner Center knows no partner with the ID {partner_id}.")
    try:
        client.get_agreement_status(partner_id)
    except (PartnerAgreementNotSigned, NotFound) as refused:
        why = refused.reason if isinstance(refused, PartnerAgreementNotSigned) else "it has no agreement status"
        return NetworkCheck(False, "missing", reason=f"Partner Center says {why} (partner ID {partner_id}).")
    entry_tenant = reseller_network(client).get(partner_id)
    if entry_tenant is None:
        return NetworkCheck(False, "missing", reason=(
            f"Partner ID {partner_id} is not in your indirect reseller network in Partner Center: the reseller "
            "has to accept your invitation to become your indirect reseller first."))
    tenant_id = (tenant_id or "").strip().lower()
    if not tenant_id:
        return NetworkCheck(True, "missing", entry_tenant, reason="The reseller's Partner Center tenant ID is missing.")
    if tenant_id != entry_tenant:
        return NetworkCheck(True, "invalid", entry_tenant, reason=(
            f"The Partner Center tenant ID {tenant_id} is not the one Partner Center lists for partner ID "
            f"{partner_id}."))
    return NetworkCheck(True, "verified", entry_tenant)
