"""Workspaces: the customers' Microsoft tenants known to this storefront, with their subscriptions,
the reseller's delegated admin (GDAP) status, and shortcuts to the service portals. Reads only.

The shortcuts follow what Microsoft publishes:
- a partner opens a customer's Microsoft 365 admin center through
  ``/Partner/BeginClientSession.aspx?CTID=<customer tenant id>&CSDEST=...`` (the links Partner
  Center gives for a customer's managed services,
  https://learn.microsoft.com/en-us/partner-center/developer/get-the-managed-services-for-a-customer-by-id),
  which needs delegated admin in that tenant; the customer opens its own admin center;
- the Azure portal opens in a given directory at ``https://portal.azure.com/<tenant domain>``;
- Dynamics 365 environments are run in the Power Platform admin center, offered for tenants that
  hold a Dynamics 365 subscription.
They are the public cloud's portals; a tenant served through another cloud's connection is shown
without shortcuts and says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Tenant, User
from app.catalog.search import is_dynamics
from app.connections.models import PartnerCenterInstance
from app.connections.services import sandbox_mode
from app.extensions import db
from app.orders.gdap import GdapRequest
from app.subscriptions.models import Subscription, SubscriptionStatus

M365_ADMIN = "https://admin.microsoft.com/"
M365_ADMIN_AS_PARTNER = "https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID={tenant_id}&CSDEST=o365admincenter"
AZURE_PORTAL = "https://portal.azure.com/{domain}"
POWER_PLATFORM_ADMIN = "https://admin.powerplatform.microsoft.com/environments"


@dataclass
class Shortcut:
    label: str
    url: str


@dataclass
class Workspace:
    tenant: Tenant
    customer: str
    account: str
    subscriptions: list[Subscription] = field(default_factory=list)
    gdap: GdapRequest | None = None
    shortcuts: list[Shortcut] = field(default_factory=list)
    no_shortcuts_reason: str | None = None

    @property
    def active_subscriptions(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.status == SubscriptionStatus.ACTIVE]


def _cloud_of(instance: str) -> str:
    if sandbox_mode():
        return "public"
    return db.session.scalar(select(PartnerCenterInstance.cloud).where(PartnerCenterInstance.name == instance)) \
        or "public"


def shortcuts(tenant: Tenant, *, as_partner: bool, dynamics: bool) -> list[Shortcut]:
    links = []
    if as_partner:
        if tenant.tenant_id:  # the admin center's partner link names the tenant by its id
            links.append(Shortcut("Microsoft 365 admin center", M365_ADMIN_AS_PARTNER.format(tenant_id=tenant.tenant_id)))
    else:
        links.append(Shortcut("Microsoft 365 admin center", M365_ADMIN))
    links.append(Shortcut("Azure portal", AZURE_PORTAL.format(domain=tenant.domain)))
    if dynamics:
        links.append(Shortcut("Power Platform admin center", POWER_PLATFORM_ADMIN))
    return links


def workspaces_for(user: User) -> list[Workspace]:
    """The tenants of the user's account (the operator: every account's), by customer then domain."""
    query = select(Tenant).where(Tenant.account_id.is_not(None))
    if user.account.kind != "operator":
        query = query.where(Tenant.account_id == user.account_id)
    tenants = db.session.scalars(query.options(selectinload(Tenant.account), selectinload(Tenant.licensee))).all()
    if not tenants:
        return []
    domains = {t.domain for t in tenants}
    subs: dict[tuple[int, str], list[Subscription]] = {}
    for sub in db.session.scalars(select(Subscription).where(Subscription.tenant_domain.in_(domains))
                                  .order_by(Subscription.id)):
        subs.setdefault((sub.account_id, (sub.tenant_domain or "").lower()), []).append(sub)
    latest: dict[tuple[int, str], GdapRequest] = {}
    for req in db.session.scalars(select(GdapRequest).where(GdapRequest.domain.in_(domains))
                                  .order_by(GdapRequest.id)):
        latest[(req.account_id, req.domain)] = req  # the last one wins
    as_partner = user.account.kind in ("reseller", "operator")
    clouds = {name: _cloud_of(name) for name in {t.partner_center_instance for t in tenants}}  # one read each
    result = []
    for tenant in tenants:
        own = subs.get((tenant.account_id, tenant.domain), [])
        workspace = Workspace(tenant=tenant,
                              customer=tenant.licensee.company_name if tenant.licensee else tenant.account.name,
                              account=tenant.account.name, subscriptions=own,
                              gdap=latest.get((tenant.account_id, tenant.domain)))
        if clouds[tenant.partner_center_instance] != "public":
            workspace.no_shortcuts_reason = ("This tenant is in a national cloud: open that cloud's admin centers "
                                             "directly; the shortcuts here are for Microsoft's public cloud.")
        else:
            dynamics = any(is_dynamics(s.product_title) for s in own)
            workspace.shortcuts = shortcuts(tenant, as_partner=as_partner, dynamics=dynamics)
        result.append(workspace)
    return sorted(result, key=lambda w: (w.account.lower(), w.customer.lower(), w.tenant.domain))
