"""Workspaces: each customer tenant with its subscriptions, the reseller's GDAP status and portal
shortcuts; every account sees only its own tenants."""
from __future__ import annotations

from app.accounts.models import Account, Tenant
from app.orders.gdap import GdapRequest
from tests.helpers import soup


def _workspace(client, domain):
    return soup(client.get("/workspaces")).select_one(f"[id='workspace-{domain}']")


def _shortcuts(section) -> dict[str, str]:
    return {a.contents[0].strip(): a["href"] for a in section.select(".workspace-shortcuts a")}


def test_a_reseller_sees_its_customers_tenant_with_subscriptions_gdap_and_shortcuts(bought, db, reseller_client):
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == "seatsco.onmicrosoft.com"))
    assert tenant is not None and tenant.tenant_id
    section = _workspace(reseller_client, "seatsco.onmicrosoft.com")
    assert section.select_one("h2").contents[0].strip() == "Fabrikam, Inc."
    assert [a.get_text() for a in section.select(".workspace-subscriptions a")] == [bought.name]
    assert section.select_one(".workspace-gdap").get_text() == "None requested"
    assert _shortcuts(section) == {
        "Microsoft 365 admin center": "https://admin.microsoft.com/Partner/BeginClientSession.aspx"
                                      f"?CTID={tenant.tenant_id}&CSDEST=o365admincenter",
        "Azure portal": "https://portal.azure.com/seatsco.onmicrosoft.com"}


def test_a_pending_gdap_request_shows_with_its_approval_link_and_dynamics_adds_power_platform(
        bought, db, reseller_client):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    db.session.add(GdapRequest(account_id=adatum.id, domain="seatsco.onmicrosoft.com",
                               relationship_id="rel-ws-0001", approval_link="https://admin.example/approve/1",
                               status="approvalPending"))
    bought.product_title = "Dynamics 365 Business Central Essentials"
    db.session.commit()
    section = _workspace(reseller_client, "seatsco.onmicrosoft.com")
    gdap = section.select_one(".workspace-gdap")
    assert gdap.get_text(" ", strip=True).startswith("Approval pending")
    assert gdap.select_one("a")["href"] == "https://admin.example/approve/1"
    assert _shortcuts(section)["Power Platform admin center"] == "https://admin.powerplatform.microsoft.com/environments"


def test_each_account_sees_only_its_own_tenants(bought, db, reseller2_client, customer_client, operator_client):
    assert _workspace(reseller2_client, "seatsco.onmicrosoft.com") is None
    assert soup(reseller2_client.get("/workspaces")).select_one("#no-workspaces") is not None
    tailspin = db.session.scalar(db.select(Account).where(Account.kind == "customer", Account.name == "Tailspin Toys"))
    db.session.add(Tenant(domain="tailspintoys.onmicrosoft.com", tenant_id="7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                          account_id=tailspin.id))
    db.session.commit()
    own = soup(customer_client.get("/workspaces"))
    assert [s["id"] for s in own.select("section.workspace")] == ["workspace-tailspintoys.onmicrosoft.com"]
    # The customer opens its own admin center (no partner link) and sees no GDAP line.
    section = own.select_one("section.workspace")
    assert _shortcuts(section)["Microsoft 365 admin center"] == "https://admin.microsoft.com/"
    assert section.select_one(".workspace-gdap") is None
    # The operator sees every account's, with the account named.
    operator = _workspace(operator_client, "seatsco.onmicrosoft.com")
    assert "Adatum IT Services" in operator.get_text()
