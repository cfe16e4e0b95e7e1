"""Resellers (MPN profile, agreement status, network), the relationship
request link and its acceptance page, and MCA attestation."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.sandbox.sandbox_support import (ADATUM_TENANT, FABRIKAM, MCA_TEMPLATE, TENANT_ID,
                                                          WINGTIP, attest_mca, create_customer, hidden_fields)


def test_mpn_profile(pc):
    response = pc.get("/v1/profiles/mpn", params={"mpnId": "1234567"})
    assert response.status_code == 200
    assert response.json()["partnerName"] == "Adatum IT Services"
    assert response.json()["mpnId"] == "1234567"
    assert response.json()["profileType"] == "MpnProfile"
    for mpn_id in ("3456789", "4567890", "2345678"):
        assert pc.get("/v1/profiles/mpn", params={"mpnId": mpn_id}).status_code == 200
    missing = pc.get("/v1/profiles/mpn", params={"mpnId": "9999999"})
    assert missing.status_code == 404
    assert missing.json()["code"] == 3000
    assert missing.json()["description"] == "Partner Organization with partner_id 9999999 could not be found"


@pytest.mark.parametrize("mpn_id, status, code", [
    ("1234567", 200, None), ("2345678", 200, None), ("3456789", 400, 2203), ("4567890", 400, 2201),
    ("9999999", 400, 2200),
])
def test_agreement_status(pc, mpn_id, status, code):
    response = pc.get("/v1/compliance/csp/agreementstatus", params={"mpnId": mpn_id})
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    else:
        assert response.json()["isAgreementSigned"] is True


def test_agreement_status_by_tenant_id(pc):
    assert pc.get("/v1/compliance/csp/agreementstatus",
                  params={"tenantId": ADATUM_TENANT}).json()["isAgreementSigned"] is True
    assert pc.get("/v1/compliance/csp/agreementstatus",
                  params={"tenantId": "11111111-1111-1111-1111-111111111111"}).json()["code"] == 2205


def test_indirect_reseller_list(pc, pc_app_only):
    response = pc.get("/v1/relationships", params={"relationship_type": "IsIndirectCloudSolutionProviderOf"})
    assert response.status_code == 200
    body = response.json()
    assert body["attributes"]["objectType"] == "Collection"
    by_mpn = {item["mpnId"]: item for item in body["items"]}
    assert set(by_mpn) == {"1234567", "2345678", "5678901"}
    assert by_mpn["1234567"]["id"] == ADATUM_TENANT
    assert by_mpn["1234567"]["state"] == "Active"
    assert by_mpn["1234567"]["relationshipType"] == "is_indirect_cloud_solution_provider_of"
    assert pc_app_only.get("/v1/relationships", params={
        "relationship_type": "IsIndirectCloudSolutionProviderOf"}).status_code == 403


def _link(pc, **params):
    response = pc.get("/v1/customers/relationshiprequests", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["attributes"]["objectType"] == "RelationshipRequest"
    return response.json()["url"]


def test_relationship_request_links_have_microsofts_shape(pc, pc_app_only):
    direct = urlsplit(_link(pc))
    assert f"{direct.scheme}://{direct.netloc}" == "http://127.0.0.1:5050"
    assert direct.path == "/Adminportal/Home"
    assert direct.fragment == "/BillingAccounts/partner-invitation"
    assert parse_qs(direct.query) == {"invType": ["ResellerRelationship"], "partnerId": [TENANT_ID],
                                      "msppId": ["0"], "DAP": ["false"]}
    indirect = urlsplit(_link(pc, indirectResellerId=ADATUM_TENANT))
    assert parse_qs(indirect.query) == {"invType": ["IndirectResellerRelationship"],
                                        "partnerId": [ADATUM_TENANT], "msppId": ["1234567"],
                                        "indirectCSPId": [TENANT_ID], "DAP": ["false"]}
    assert list(parse_qs(indirect.query)) == ["invType", "partnerId", "msppId", "indirectCSPId", "DAP"]
    assert pc_app_only.get("/v1/customers/relationshiprequests").status_code == 403


def _page_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_accepting_the_indirect_link_makes_the_customer_visible(pc, http, sandbox_app):
    url = _link(pc, indirectResellerId=ADATUM_TENANT)
    with sandbox_app.test_client() as browser:
        page = browser.get(_page_path(url))
        assert page.status_code == 200
        soup = BeautifulSoup(page.data, "html.parser")
        label = soup.find("label", attrs={"for": "tenantId"})
        assert label.get_text(strip=True) == "Sign in as global administrator of"
        options = {o["value"] for o in soup.select("select#tenantId option") if o["value"]}
        assert {FABRIKAM, WINGTIP} <= options
        form = soup.select_one("form")
        assert form["method"] == "post"
        assert form.select_one("button[type=submit]").get_text(strip=True) == "Accept"
        assert "Adatum IT Services" in soup.get_text()

        assert pc.get(f"/v1/customers/{FABRIKAM}").status_code == 404
        accepted = browser.post(form["action"], data={**hidden_fields(form), "tenantId": FABRIKAM})
        assert accepted.status_code == 200
        done = BeautifulSoup(accepted.data, "html.parser").select_one("#accepted")
        assert "Partner relationship accepted" in done.get_text()
        assert "Adatum IT Services" in done.get_text()
        assert "Northwind Cloud Distribution" in done.get_text()

    customer = pc.get(f"/v1/customers/{FABRIKAM}")
    assert customer.status_code == 200
    assert customer.json()["relationshipToPartner"] == "reseller"
    assert customer.json()["companyProfile"]["domain"] == "fabrikam.onmicrosoft.com"
    relationships = pc.get(f"/v1/customers/{FABRIKAM}/relationships").json()
    assert [r["mpnId"] for r in relationships["items"]] == ["1234567"]


def test_accepting_the_direct_link(pc, sandbox_app):
    url = _link(pc)
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get(_page_path(url)).data, "html.parser")
        form = page.select_one("form")
        response = browser.post(form["action"], data={**hidden_fields(form), "tenantId": WINGTIP})
        assert "Partner relationship accepted" in response.get_data(as_text=True)
    assert pc.get(f"/v1/customers/{WINGTIP}").json()["relationshipToPartner"] == "reseller"
    assert pc.get(f"/v1/customers/{WINGTIP}/relationships").json()["totalCount"] == 0


def test_acceptance_without_the_pages_token_is_refused_and_nothing_is_accepted(pc, sandbox_app, sandbox_store):
    url = _link(pc)
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get(_page_path(url)).data, "html.parser")
        form = page.select_one("form")
        assert hidden_fields(form)["sandbox_csrf"]
        refused = browser.post(form["action"], data={"tenantId": WINGTIP})
        assert refused.status_code == 400
        answer = BeautifulSoup(refused.data, "html.parser")
        assert "nothing was done" in " ".join(answer.select_one(".problem").get_text().split())
        assert answer.select_one("#open-again")["href"] == _page_path(url)
        assert answer.select_one("#simulation-banner")
    assert sandbox_store.document("tenant", WINGTIP)["relationship"] is None
    assert pc.get(f"/v1/customers/{WINGTIP}").status_code == 404


def test_a_tampered_link_is_refused(sandbox_app):
    with sandbox_app.test_client() as browser:
        page = browser.get("/Adminportal/Home?invType=ResellerRelationship&partnerId=someone-else&msppId=0&DAP=false")
        assert page.status_code == 400
        assert BeautifulSoup(page.data, "html.parser").select_one(".problem")


def test_agreement_templates(pc, pc_app_only):
    mca = pc.get("/v1/agreements", params={"agreementType": "MicrosoftCustomerAgreement"})
    assert mca.status_code == 200
    item = mca.json()["items"][0]
    assert item["templateId"] == MCA_TEMPLATE
    assert item["agreementType"] == "MicrosoftCustomerAgreement"
    assert item["agreementLink"].startswith("https://")
    assert "versionRank" in item
    default = pc.get("/v1/agreements").json()["items"][0]
    assert default["agreementType"] == "MicrosoftCloudAgreement"
    assert pc_app_only.get("/v1/agreements", params={"agreementType": "MicrosoftCustomerAgreement"}).status_code == 403


def test_attestation_and_duplicate(pc):
    tenant_id = create_customer(pc, "attestco")["id"]
    first = attest_mca(pc, tenant_id)
    assert first.status_code == 201
    body = first.json()
    assert body["templateId"] == MCA_TEMPLATE
    assert body["type"] == "MicrosoftCustomerAgreement"
    assert body["primaryContact"]["email"] == "gena@example.com"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["userId"])

    again = attest_mca(pc, tenant_id)
    assert again.status_code == 400
    assert again.json()["code"] == 600061
    # The documented body (confirm-customer-consent-customer-agreement).
    assert again.json()["description"] == "A partner confirmed agreement already exists for the customer."

    other_contact = attest_mca(pc, tenant_id, email="someone.else@example.com")
    assert other_contact.status_code == 201
    listed = pc.get(f"/v1/customers/{tenant_id}/agreements",
                    params={"agreementType": "MicrosoftCustomerAgreement"}).json()
    assert listed["totalCount"] == 2


def test_attestation_needs_the_customer_and_a_matching_template(pc):
    assert attest_mca(pc, FABRIKAM).status_code == 404
    tenant_id = create_customer(pc, "wrongtemplate")["id"]
    response = pc.post(f"/v1/customers/{tenant_id}/agreements", json={
        "primaryContact": {"firstName": "A", "lastName": "B", "email": "a@b.example"},
        "templateId": "998b88de-aa99-4388-a42c-1b3517d49490", "dateAgreed": "2024-05-01T00:00:00Z",
        "type": "MicrosoftCustomerAgreement"})
    assert response.status_code == 400
