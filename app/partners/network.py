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

PARTNER_ID_FORMAT = r"^\d{1,10}$"
PARTNER_ID_RULE = "A partner ID is a number of up to 10 digits, like 1234567."


def reseller_network(client) -> dict[str, str]:
    """MPN ID -> the reseller's Partner Center tenant id, cached briefly in Redis."""
    return cache.remember("pc:reseller-network", NETWORK_CACHE_SECONDS, lambda: {
        r.mpn_id: r.id.lower() for r in client.list_indirect_resellers() if r.mpn_id})


# What Partner Center said, one word each.
UNKNOWN_PARTNER = "unknown_partner"     # no partner with that ID
NOT_SIGNED = "not_signed"               # the Microsoft Partner Agreement is not signed for this region
NOT_IN_NETWORK = "not_in_network"       # not (yet) an indirect reseller of the operator
TENANT_MISSING = "tenant_missing"       # the partner ID is fine; no tenant ID was given
TENANT_MISMATCH = "tenant_mismatch"     # the partner ID is fine; the network lists another tenant
VERIFIED = "verified"


@dataclass(frozen=True)
class NetworkCheck:
    """What Partner Center says about a partner ID and (when given) a tenant ID: `verdict` is one
    of the words above, `reason` says it for the operator, `network_tenant_id` is the tenant the
    network lists for the partner ID (when it is in the network)."""

    verdict: str
    reason: str | None = None
    network_tenant_id: str | None = None

    @property
    def partner_ok(self) -> bool:
        """The partner ID exists, signed the agreement and is in the operator's network."""
        return self.verdict in (TENANT_MISSING, TENANT_MISMATCH, VERIFIED)

    @property
    def ready(self) -> bool:
        return self.verdict == VERIFIED

    @property
    def readiness(self) -> str:
        return READY if self.ready else INQUIRING


def agreement_refusal(client, partner_id: str) -> PartnerAgreementNotSigned | NotFound | None:
    """None when the reseller signed the Microsoft Partner Agreement for this distributor's region,
    else Partner Center's refusal (its code says which: 2201 another region, 2203 not signed, ...).
    https://learn.microsoft.com/partner-center/developer/verify-indirect-reseller-mpa-status
    Asked by the onboarding and the checkout (app/checkout/account_checks.py) alike."""
    try:
        client.get_agreement_status(partner_id)
    except (PartnerAgreementNotSigned, NotFound) as refused:
        return refused
    return None


def check_partner_id(client, partner_id: str, tenant_id: str | None = None) -> NetworkCheck:
    """Ask Partner Center: the partner's profile, its agreement status, then the operator's network.

    Refusals that mean "not a reseller of yours" are answers; Partner Center being down, throttling
    or refusing the call itself raise its PartnerCenterError for the caller to present."""
    try:
        client.get_mpn_profile(partner_id)
    except (PartnerIdUnknown, NotFound):
        return NetworkCheck(UNKNOWN_PARTNER, f"Partner Center knows no partner with the ID {partner_id}.")
    refused = agreement_refusal(client, partner_id)
    if refused is not None:
        why = refused.reason if isinstance(refused, PartnerAgreementNotSigned) else "it has no agreement status"
        return NetworkCheck(NOT_SIGNED, f"Partner Center says {why} (partner ID {partner_id}).")
    entry_tenant = reseller_network(client).get(partner_id)
    if entry_tenant is None:
        return NetworkCheck(NOT_IN_NETWORK, (
            f"Partner ID {partner_id} is not in your indirect reseller network in Partner Center yet: the reseller "
            "has to accept your invitation to become your indirect reseller."))
    tenant_id = (tenant_id or "").strip().lower()
    if not tenant_id:
        return NetworkCheck(TENANT_MISSING, "The reseller's Partner Center tenant ID is missing.", entry_tenant)
    if tenant_id != entry_tenant:
        return NetworkCheck(TENANT_MISMATCH, (
            f"The Partner Center tenant ID {tenant_id} is not the one Partner Center lists for partner ID "
            f"{partner_id}."), entry_tenant)
    return NetworkCheck(VERIFIED, None, entry_tenant)
