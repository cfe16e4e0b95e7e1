"""A reseller asks its customer for least-privilege delegated admin (GDAP) beside the authorization
link of an existing tenant: the storefront creates the request on Microsoft Graph (the sandbox's)
with the operator's GDAP options and shows the approval link: in the distributor's name, or in the
reseller's own once its partner tenant is connected for GDAP."""
from __future__ import annotations

from app.accounts.models import Licensee
from app.admin.settings import StorefrontSettings
from app.orders.gdap import GdapRequest
from tests.helpers import soup
from tests.support.gdap import ADATUM_TENANT, connect, operator_relationships


def _reseller_waits_on(c, db, prefix="fabrikam"):
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    c.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    c.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": prefix,
                                             "partner_id": "1234567"}, htmx=True)
    return soup(c.get("/checkout/service"))


def test_reseller_requests_gdap_and_gets_its_approval_link(reseller_client, db, sandbox_store):
    settings = StorefrontSettings.load()
    settings.gdap_duration_days, settings.gdap_auto_extend = "365", True
    settings.save()
    db.session.commit()
    page = _reseller_waits_on(reseller_client, db)
    button = page.find("button", string="Also request delegated admin (GDAP)")
    assert button is not None and button["formaction"] == "/checkout/service/gdap"
    assert page.select_one("#gdap-link") is None

    response = reseller_client.post("/checkout/service/gdap", {})
    assert response.status_code == 303
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#gdap-request h4").get_text() == "Delegated admin (GDAP): approval pending"
    # It says who gets the access: the distributor, whose Graph connection asked for it.
    assert "approving it gives Northwind Cloud Distribution, your indirect provider," in \
        " ".join(page.select_one("#gdap-request").get_text().split())
    link = page.select_one("#gdap-link")["value"]
    [sent] = operator_relationships(sandbox_store)
    assert link.endswith(f"/sandbox/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{sent['id']}")
    assert sent["status"] == "approvalPending"
    assert sent["duration"] == "P365D" and sent["autoExtendDuration"] == "P180D"
    assert [r["roleDefinitionId"] for r in sent["accessDetails"]["unifiedRoles"]] == list(settings.gdap_role_ids())
    assert page.find("button", string="Also request delegated admin (GDAP)") is None

    reseller_client.post("/checkout/service/gdap", {})  # asking again does not make a second request
    assert len(operator_relationships(sandbox_store)) == 1


def test_a_direct_customer_is_not_offered_gdap(customer_client, db, sandbox_store):
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "wingtiptoys"},
                         htmx=True)
    page = soup(customer_client.get("/checkout/service"))
    assert page.select_one("#authorization-link") is not None
    assert page.find("button", string="Also request delegated admin (GDAP)") is None
    assert customer_client.post("/checkout/service/gdap", {}).status_code == 303
    assert operator_relationships(sandbox_store) == []  # nothing asked of Microsoft


def test_a_connected_reseller_requests_gdap_in_its_own_name(app, reseller_client, db, sandbox_store):
    page = _reseller_waits_on(reseller_client, db)
    assert "connect your partner tenant for GDAP" in page.select_one("#gdap-request").get_text()
    connect(app, reseller_client)
    page = _reseller_waits_on(reseller_client, db)
    assert "least-privileged roles for Adatum IT Services, your partner tenant connected for GDAP" in \
        " ".join(page.select_one("#gdap-request").get_text().split())

    assert reseller_client.post("/checkout/service/gdap", {}).status_code == 303
    page = soup(reseller_client.get("/checkout/service"))
    text = " ".join(page.select_one("#gdap-request").get_text().split())
    assert "approving it gives Adatum IT Services (your own partner tenant) the least-privileged roles" in text
    assert "Northwind" not in text
    # Made with the reseller tenant's token: the relationship is the reseller's, not the distributor's.
    assert operator_relationships(sandbox_store) == []
    [mine] = [d for d in sandbox_store.documents("gdap") if d["status"] == "approvalPending"]
    assert mine["_partnerTenantId"] == ADATUM_TENANT
    assert mine["@odata.type"] == "#microsoft.graph.delegatedAdminRelationship"
    [row] = db.session.scalars(db.select(GdapRequest)).all()
    assert row.partner_tenant_id == ADATUM_TENANT and row.relationship_id == mine["id"]
    assert page.select_one("#gdap-link")["value"].endswith(f"granularAdminRelationships/{mine['id']}")
