"""The Microsoft Customer Agreement as Microsoft documents it today (the enhanced attestation, then
the agreement with its id; the classic attestation; renewing attestations older than 1 April 2023;
the customer's own acceptance), a customer's account validation status, and the controls that
set a reseller's Microsoft Partner Agreement and a customer's own acceptance."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bs4 import BeautifulSoup
from tests.sandbox.sandbox_support import FABRIKAM, MCA_TEMPLATE, create_customer

CONTROLS = "https://api.partnercenter.microsoft.com/_sandbox"
SIGNATORY = {"country": "US", "language": "en", "companyName": "Attestco Ltd", "signatoryFirstName": "Gena",
             "signatoryLastName": "Soto", "signatoryEmail": "gena@example.com", "signatoryPhoneNumber": "4255550101"}


def _agreement(contact=None, when="2026-01-05T10:00:00Z", **extra) -> dict:
    return {"primaryContact": contact or {"firstName": "Gena", "lastName": "Soto", "email": "gena@example.com"},
            "templateId": MCA_TEMPLATE, "dateAgreed": when, "type": "MicrosoftCustomerAgreement", **extra}


def test_enhanced_attestation_then_the_agreement_with_its_id(pc, pc_app_only):
    tenant_id = create_customer(pc, "attestco")["id"]
    # App-only only, as the page says.
    assert pc.post("/v1/attestations/enhanced", json=SIGNATORY).status_code == 403
    missing = pc_app_only.post("/v1/attestations/enhanced", json={**SIGNATORY, "companyName": ""})
    assert missing.status_code == 400 and "companyName" in missing.json()["description"]
    created = pc_app_only.post("/v1/attestations/enhanced", json=SIGNATORY)
    assert created.status_code == 201, created.text
    attestation_id = created.json()["attestationId"]

    path = f"/v1/customers/{tenant_id}/agreements"
    assert pc.post(path, json=_agreement(attestationId=attestation_id)).status_code == 403
    unknown = pc_app_only.post(path, json=_agreement(attestationId="00000000-0000-0000-0000-000000000000"))
    assert unknown.status_code == 400
    other_person = pc_app_only.post(path, json=_agreement(
        {"firstName": "Bo", "lastName": "Lee", "email": "bo@example.com"}, attestationId=attestation_id))
    assert other_person.status_code == 400 and "signatory" in other_person.json()["description"]
    agreement = pc_app_only.post(path, json=_agreement(attestationId=attestation_id))
    assert agreement.status_code == 201, agreement.text
    assert agreement.json()["attestationId"] == attestation_id

    listed = pc.get(path, params={"agreementType": "MicrosoftCustomerAgreement"}).json()["items"]
    assert [a["attestationId"] for a in listed] == [attestation_id]
    # One attestation is for one customer.
    other_tenant = create_customer(pc, "attestother")["id"]
    reused = pc_app_only.post(f"/v1/customers/{other_tenant}/agreements", json=_agreement(attestationId=attestation_id))
    assert reused.status_code == 400


def test_an_attestation_older_than_april_2023_is_renewed_not_a_duplicate(pc):
    tenant_id = create_customer(pc, "renewco")["id"]
    path = f"/v1/customers/{tenant_id}/agreements"
    assert pc.post(path, json=_agreement(when="2022-06-01T09:00:00Z")).status_code == 201
    renewed = pc.post(path, json=_agreement(when="2026-01-05T10:00:00Z"))
    assert renewed.status_code == 201, renewed.text
    again = pc.post(path, json=_agreement(when="2026-01-06T10:00:00Z"))
    assert again.status_code == 400 and again.json()["code"] == 600061
    assert len(pc.get(path, params={"agreementType": "MicrosoftCustomerAgreement"}).json()["items"]) == 2


def test_the_agreement_date_cannot_be_in_the_future(pc):
    tenant_id = create_customer(pc, "futureco")["id"]
    later = (datetime.now(timezone.utc) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = pc.post(f"/v1/customers/{tenant_id}/agreements", json=_agreement(when=later))
    assert refused.status_code == 400 and "future" in refused.json()["description"]


def test_direct_signed_status_follows_the_control(pc, pc_app_only, http):
    tenant_id = create_customer(pc, "directco")["id"]
    path = f"/v1/customers/{tenant_id}/directSignedMicrosoftCustomerAgreementStatus"
    assert pc.get(path).json()["isSigned"] is False
    assert pc_app_only.get(path).status_code == 403
    assert http.post(f"{CONTROLS}/customers/{tenant_id}/mca", json={"directSigned": True}).status_code == 200
    assert pc.get(path).json()["isSigned"] is True
    assert pc.get(f"/v1/customers/{FABRIKAM}/directSignedMicrosoftCustomerAgreementStatus").status_code == 404


def test_validation_status_follows_the_review_flag(pc, pc_app_only, http):
    tenant_id = create_customer(pc, "reviewco")["id"]
    path = f"/v1/customers/{tenant_id}/validationStatus"
    allowed = pc.get(path, params={"type": "account"})
    assert allowed.status_code == 200 and allowed.json()["status"] == "Allowed"
    assert allowed.json()["type"] == "Account" and allowed.json()["lastUpdateDateTime"]
    assert pc_app_only.get(path, params={"type": "account"}).status_code == 403
    assert pc.get(path).status_code == 400
    http.post(f"{CONTROLS}/customers/{tenant_id}/review", json={"underReview": True})
    assert pc.get(path, params={"type": "account"}).json()["status"] == "UnderReview"


def test_a_reseller_without_the_agreement_for_the_region(pc, http):
    status = "/v1/compliance/csp/agreementstatus"
    assert pc.get(status, params={"mpnId": "1234567"}).json() == {"isAgreementSigned": True}
    marked = http.post(f"{CONTROLS}/resellers/1234567/agreement", json={"agreement": "not_signed_region"})
    assert marked.status_code == 200
    refused = pc.get(status, params={"mpnId": "1234567"})
    assert refused.status_code == 400 and refused.json()["code"] == 2203
    assert http.post(f"{CONTROLS}/resellers/1234567/agreement", json={"agreement": "maybe"}).status_code == 400
    assert http.post(f"{CONTROLS}/resellers/0000001/agreement", json={"agreement": "signed"}).status_code == 404
    state = http.get(f"{CONTROLS}/state").json()
    assert {"mpnId": "1234567", "name": "Adatum IT Services", "agreement": "not_signed_region"} in state["resellers"]


def test_admin_page_sets_a_resellers_agreement_and_a_customers_own_acceptance(sandbox_app, sandbox_store):
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        form = page.select_one("#partner-agreement form")
        token = {"sandbox_csrf": form.select_one("input[name=sandbox_csrf]")["value"]}
        assert page.find("label", attrs={"for": "mpa-reseller"}).get_text(strip=True) == "Reseller"
        done = browser.post(form["action"], data={**token, "mpnId": "2345678", "agreement": "other_region"},
                            follow_redirects=True)
        assert "Registered in another region" in done.get_data(as_text=True)
        assert sandbox_store.document("reseller", "2345678")["agreement"] == "other_region"
        browser.post(page.select_one("#mca form")["action"],
                     data={**token, "tenantId": FABRIKAM, "directSigned": "true"})
        assert sandbox_store.document("tenant", FABRIKAM)["mcaDirectSigned"] is True
        refused = browser.post(form["action"], data={"mpnId": "2345678", "agreement": "signed"})
        assert refused.status_code in (400, 403)
        assert sandbox_store.document("reseller", "2345678")["agreement"] == "other_region"
