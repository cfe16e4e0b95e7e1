"""National clouds: which API host and which Entra authority host an instance talks to.

The table is the one in /work/shared/partner-center.md ("National clouds"), checked against
Microsoft's list of base URLs per Partner Center version
(https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls): Partner
Center and Partner Center for US Government share api.partnercenter.microsoft.com, 21Vianet has
partner.partnercenterapi.microsoftonline.cn, and the Partner API ("Pricing and Referrals": the price sheet) is api.partner.microsoft.com for the first
two only. The authorities are Entra's per cloud (login.microsoftonline.com, .us, chinacloudapi.cn). The cloud is fixed
per Partner Center instance; nothing else in the client hard-codes a host, except the price
sheet host, which Microsoft publishes only for the public cloud. The cloud names (and the
labels people see) are defined here only: the storefront's connection rows and forms use them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Token audiences (and MSAL scopes, "<audience>/.default") of the two APIs: Partner Center, and the
# Partner API ("Pricing and Referrals", where the new-commerce price sheet lives), listed apart on
# https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls.
PARTNER_CENTER_AUDIENCE = "https://api.partnercenter.microsoft.com"
PARTNER_API_AUDIENCE = "https://api.partner.microsoft.com"
PARTNER_CENTER_SCOPE = f"{PARTNER_CENTER_AUDIENCE}/.default"
PARTNER_API_SCOPE = f"{PARTNER_API_AUDIENCE}/.default"
PRICE_SHEET_HOST = PARTNER_API_AUDIENCE
# Microsoft Graph (GDAP's delegatedAdminRelationships): the public cloud's host and token audience;
# each cloud has its own (https://learn.microsoft.com/en-us/graph/deployments).
GRAPH_AUDIENCE = "https://graph.microsoft.com"


@dataclass(frozen=True)
class Cloud:
    # Each cloud names what differs from the public cloud, whose values are the defaults.
    name: str
    label: str  # what a person choosing a connection's cloud reads
    authority_host: str  # scheme + host, no trailing slash; MSAL authority = host/tenant
    api_base: str = PARTNER_CENTER_AUDIENCE  # scheme + host, no trailing slash; the client adds /v1
    # What a bare prefix becomes: "contoso" -> "contoso.onmicrosoft.com".
    initial_domain_suffix: str = "onmicrosoft.com"
    # Relationship request links: "Applies to: Partner Center | 21Vianet | US Government"
    # (https://learn.microsoft.com/en-us/partner-center/developer/request-reseller-relationship).
    relationship_requests: bool = True
    # The MCA agreements API is public-cloud only ("Does not apply to: Partner Center operated by
    # 21Vianet | Partner Center for Microsoft Cloud for US Government",
    # https://learn.microsoft.com/en-us/partner-center/developer/get-customer-agreement-metadata).
    agreements_api: bool = True
    # The Partner API's base (the price sheet), None where Microsoft lists none (21Vianet).
    partner_api_base: str | None = PARTNER_API_AUDIENCE
    # Microsoft Graph's base for the cloud (https://learn.microsoft.com/en-us/graph/deployments); the
    # token audience is the same URL.
    graph_base: str = GRAPH_AUDIENCE
    # Where a customer's administrator approves a GDAP request (the Graph GDAP overview's link).
    admin_center: str = "https://admin.microsoft.com"
    # Closed: Microsoft Cloud Deutschland was retired (kept so stored connections still load).
    retired: bool = False


CLOUDS: dict[str, Cloud] = {cloud.name: cloud for cloud in (
    Cloud(name="public", label="Public (worldwide)", authority_host="https://login.microsoftonline.com"),
    Cloud(name="us_government", label="US Government", authority_host="https://login.microsoftonline.us",
          graph_base="https://graph.microsoft.us", agreements_api=False),
    Cloud(name="china_21vianet", label="21Vianet (China)", authority_host="https://login.chinacloudapi.cn",
          api_base="https://partner.partnercenterapi.microsoftonline.cn",
          # UNCONFIRMED: 21Vianet initial domains end in .partner.onmschina.cn (not in the contract).
          initial_domain_suffix="partner.onmschina.cn",
          graph_base="https://microsoftgraph.chinacloudapi.cn", agreements_api=False, partner_api_base=None),
    Cloud(name="germany", label="Germany (retired)", authority_host="https://login.microsoftonline.de",
          agreements_api=False, partner_api_base=None, retired=True),
)}


def get_cloud(name: str) -> Cloud:
    """Return the cloud called `name`; a ValueError lists the valid names."""
    try:
        return CLOUDS[name]
    except KeyError:
        raise ValueError(
            f"unknown Partner Center cloud {name!r}; expected one of {', '.join(sorted(CLOUDS))}"
        ) from None


# Every Microsoft host the client or MSAL may reach (all clouds); routing.HostRewriteTransport
# sends these to a standalone sandbox.
MICROSOFT_HOSTS: frozenset[str] = frozenset(
    {c.api_base.split("://", 1)[1] for c in CLOUDS.values()}
    | {c.authority_host.split("://", 1)[1] for c in CLOUDS.values()}
    | {c.graph_base.split("://", 1)[1] for c in CLOUDS.values()}
    | {
        PRICE_SHEET_HOST.split("://", 1)[1],
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
        "login.partner.microsoftonline.cn",
    }
)
