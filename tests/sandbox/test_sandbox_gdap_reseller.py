"""The sandbox plays the indirect provider's side of the reseller GDAP variant (Partner Center's pages,
for which Microsoft documents no API): its seed holds one relationship for Adatum IT Services on Fabrikam,
and its controls create more, for a reseller of the network on a known customer tenant."""
from __future__ import annotations

import re

from app.sandbox.gdap_reseller import RESELLER_TYPE

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
OPERATOR_TENANT = "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c"


def _reseller_rels(store):
    return [d for d in store.documents("gdap") if d.get("@odata.type") == RESELLER_TYPE]


def test_the_seed_holds_one_awaiting_adatum(sandbox_store):
    [rel] = _reseller_rels(sandbox_store)
    assert rel["_partnerTenantId"] == ADATUM_TENANT and rel["indirectProviderTenantId"] == OPERATOR_TENANT
    assert rel["isPartnerConsentPending"] is True and rel["status"] == "created"
    assert rel["customer"] == {"tenantId": "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3", "displayName": "Fabrikam, Inc."}


def test_the_controls_create_one_for_a_reseller(http, sandbox_store):
    made = http.post("http://sandbox/_sandbox/gdap/reseller-relationships",
                     json={"reseller": "2345678", "customer": "wingtiptoys.onmicrosoft.com"})
    assert made.status_code == 201 and made.json()["isPartnerConsentPending"] is True
    assert made.json()["_partnerTenantId"] == "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"
    unknown = http.post("http://sandbox/_sandbox/gdap/reseller-relationships",
                        json={"reseller": "9999999", "customer": "wingtiptoys.onmicrosoft.com"})
    assert unknown.status_code == 400 and "9999999" in unknown.json()["error"]
    assert len(_reseller_rels(sandbox_store)) == 2


def test_the_controls_page_creates_one_with_its_form(sandbox_app, sandbox_store):
    browser = sandbox_app.test_client()
    page = browser.get("/_sandbox/gdap")
    assert "Adatum IT Services fabrikam" in page.get_data(as_text=True)
    token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert browser.post("/_sandbox/gdap", data={"reseller": ADATUM_TENANT,
                                                "customer": "contoso.onmicrosoft.com"}).status_code == 400  # no token
    made = browser.post("/_sandbox/gdap", data={"sandbox_csrf": token, "reseller": ADATUM_TENANT,
                                                "customer": "contoso.onmicrosoft.com"})
    assert made.status_code == 303
    assert len(_reseller_rels(sandbox_store)) == 2
    assert "Created relationship" in browser.get(made.headers["Location"]).get_data(as_text=True)


def test_a_second_relationship_for_the_same_reseller_and_customer_gets_a_name_of_its_own(http, sandbox_store):
    """Microsoft Graph wants a relationship's displayName unique among the partner's relationships: the form's
    Create on the seeded pair (Adatum, Fabrikam) numbers the new one; a name given twice is refused."""
    made = http.post("http://sandbox/_sandbox/gdap/reseller-relationships",
                     json={"reseller": "1234567", "customer": "fabrikam.onmicrosoft.com"})
    assert made.status_code == 201 and made.json()["displayName"] == "Adatum IT Services fabrikam 2"
    again = http.post("http://sandbox/_sandbox/gdap/reseller-relationships",
                      json={"reseller": "1234567", "customer": "contoso.onmicrosoft.com",
                            "displayName": "Adatum IT Services fabrikam"})
    assert again.status_code == 400
    assert again.json()["error"] == ("Adatum IT Services already has a relationship named "
                                     "'Adatum IT Services fabrikam': give another name.")
    names = [r["displayName"] for r in _reseller_rels(sandbox_store)]
    assert sorted(names) == ["Adatum IT Services fabrikam", "Adatum IT Services fabrikam 2"]
