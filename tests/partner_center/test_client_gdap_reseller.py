"""GDAP in a reseller's own name, over HTTP against the sandbox: the identity platform's admin consent for
the reseller's tenant, app-only tokens for that tenant only after it, and the indirect-reseller variant
(resellerDelegatedAdminRelationship) listed, approved and rejected with the reseller's token."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.partner_center import PartnerCenterAuthError, PartnerCenterError
from app.partner_center.gdap import RESELLER_TYPE, admin_consent_url
from tests.partner_center.pc_support import ADATUM, CLIENT_ID, FABRIKAM_ID, LITWARE, TENANT_ID

BACK = "https://storefront.example.com/programs/gdap/connected"


def _consent(sbx_url: str, tenant: str, decision: str = "accept", client_id: str = CLIENT_ID) -> httpx.Response:
    """The tenant's administrator on the admin consent page: read it, press Accept (or Cancel)."""
    url = admin_consent_url(sbx_url, tenant, client_id=client_id, redirect_uri=BACK, state="s-123")
    with httpx.Client(timeout=10) as browser:
        page = browser.get(url)
        if page.status_code != 200:
            return page
        token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.text).group(1)
        return browser.post(url, data={"sandbox_csrf": token, "client_id": client_id, "redirect_uri": BACK,
                                       "state": "s-123", "decision": decision})


def _query(response: httpx.Response) -> dict:
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(BACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_the_admin_consent_url_is_the_identity_platforms():
    assert admin_consent_url("https://login.microsoftonline.com", ADATUM[1], client_id=CLIENT_ID, redirect_uri=BACK,
                             state="x y") == (
        f"https://login.microsoftonline.com/{ADATUM[1]}/adminconsent?client_id={CLIENT_ID}"
        "&redirect_uri=https%3A%2F%2Fstorefront.example.com%2Fprograms%2Fgdap%2Fconnected&state=x+y")


def test_no_token_for_a_reseller_tenant_before_its_admin_consents(pc_client, sbx_url):
    reseller = pc_client.for_tenant(ADATUM[1])
    with pytest.raises(PartnerCenterAuthError) as refused:
        reseller.list_admin_relationships()
    assert refused.value.error == "invalid_client" and "AADSTS65001" in refused.value.error_description

    assert _query(_consent(sbx_url, ADATUM[1], "cancel"))["error"] == "access_denied"
    with pytest.raises(PartnerCenterAuthError):
        pc_client.for_tenant(ADATUM[1]).list_admin_relationships()

    assert _query(_consent(sbx_url, ADATUM[1])) == {"admin_consent": "True", "tenant": ADATUM[1], "state": "s-123"}
    [seeded] = pc_client.for_tenant(ADATUM[1]).list_admin_relationships()
    assert seeded.for_reseller and seeded.partner_consent_pending is True
    assert seeded.indirect_provider_tenant_id == TENANT_ID and seeded.customer_tenant_id == FABRIKAM_ID
    assert seeded.raw["@odata.type"] == RESELLER_TYPE and "_partnerTenantId" not in seeded.raw


def test_the_consent_page_refuses_an_unknown_app_or_tenant(sbx_url):
    assert _consent(sbx_url, ADATUM[1], client_id="11111111-2222-3333-4444-555555555555").status_code == 400
    assert _consent(sbx_url, "00000000-1111-2222-3333-444444444444").status_code == 400


def test_the_reseller_approves_and_the_customer_then_approves(pc_client, sbx_url):
    _consent(sbx_url, ADATUM[1])
    reseller = pc_client.for_tenant(ADATUM[1])
    [seeded] = reseller.list_admin_relationships()
    # The distributor (the provider) does not see it among its own, nor read it.
    assert seeded.id not in {r.id for r in pc_client.list_admin_relationships()}
    with pytest.raises(PartnerCenterError) as unknown:
        pc_client.get_admin_relationship(seeded.id)
    assert unknown.value.status == 404

    reseller.approve_reseller_relationship(seeded.id)
    after = reseller.get_admin_relationship(seeded.id)
    assert after.status == "approvalPending" and after.partner_consent_pending is False
    with pytest.raises(PartnerCenterError, match="already approved or rejected"):
        reseller.reject_reseller_relationship(seeded.id)

    with httpx.Client(base_url=sbx_url, timeout=10) as browser:  # the customer's global administrator
        page = browser.get("/AdminPortal/Home")
        assert "Partner: <strong>Adatum IT Services</strong>" in page.text
        token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.text).group(1)
        assert browser.post("/AdminPortal/Home", data={"sandbox_csrf": token, "relationshipId": seeded.id}
                            ).status_code == 200
    assert reseller.get_admin_relationship(seeded.id).status == "active"


def test_reject_is_sent_as_graph_asks_and_ends_it(pc_client, sbx_url):
    _consent(sbx_url, ADATUM[1])
    with httpx.Client(base_url=sbx_url, timeout=10) as http:
        made = http.post("/_sandbox/gdap/reseller-relationships", json={"reseller": ADATUM[0], "customer":
                                                                         "wingtiptoys.onmicrosoft.com"})
        assert made.status_code == 201
        rel_id = made.json()["id"]
        token = pc_client.for_tenant(ADATUM[1]).tokens.get_token(scope="https://graph.microsoft.com/.default")
        # Without the Prefer header Graph does not take the evolvable member "reject".
        bare = http.post(f"/v1.0/tenantRelationships/delegatedAdminRelationships/{rel_id}/requests",
                         json={"action": "reject"}, headers={"Authorization": f"Bearer {token}"})
        assert bare.status_code == 400
    reseller = pc_client.for_tenant(ADATUM[1])
    reseller.reject_reseller_relationship(rel_id)
    ended = reseller.get_admin_relationship(rel_id)
    assert ended.status == "terminated" and ended.partner_consent_pending is False


def test_each_reseller_sees_and_acts_on_its_own_only(pc_client, sbx_url):
    _consent(sbx_url, ADATUM[1])
    _consent(sbx_url, LITWARE[1])
    [adatums] = pc_client.for_tenant(ADATUM[1]).list_admin_relationships()
    litware = pc_client.for_tenant(LITWARE[1])
    assert litware.list_admin_relationships() == []
    with pytest.raises(PartnerCenterError) as unknown:
        litware.approve_reseller_relationship(adatums.id)
    assert unknown.value.status == 404
    # A relationship the reseller makes itself is its own (a delegatedAdminRelationship), not the provider's.
    own = litware.create_admin_relationship(display_name="Litware own", customer_tenant_id=FABRIKAM_ID)
    assert [r.id for r in litware.list_admin_relationships()] == [own.id] and not own.for_reseller
    assert own.id not in {r.id for r in pc_client.list_admin_relationships()}


def test_a_reseller_tenants_token_is_for_graph_not_partner_center(pc_client, sbx_url):
    _consent(sbx_url, ADATUM[1])
    reseller = pc_client.for_tenant(ADATUM[1])
    with pytest.raises(PartnerCenterError) as refused:
        reseller.get_customer(FABRIKAM_ID)
    assert refused.value.status == 401
