"""Domains, customer creation rules, idempotency, search and country rules."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.sandbox_support import (ADATUM_TENANT, CONTOSO, FABRIKAM, create_customer,
                                                          customer_body)


@pytest.mark.parametrize("domain, status", [
    ("fabrikam.onmicrosoft.com", 200),
    ("FABRIKAM.onmicrosoft.com", 200),
    ("fabrikam.com", 200),
    ("wingtiptoys.onmicrosoft.com", 200),
    ("contoso.onmicrosoft.com", 200),
    ("northwind-free-name.onmicrosoft.com", 404),
])
def test_domain_head_answers_200_when_taken_and_404_when_free(pc, domain, status):
    response = pc.head(f"/v1/domains/{domain}")
    assert response.status_code == status
    assert response.content == b""


def test_create_customer_returns_the_new_tenant(pc, sandbox_store):
    response = pc.post("/v1/customers", json=customer_body("relecloud"))
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == body["companyProfile"]["tenantId"]
    assert body["companyProfile"]["domain"] == "relecloud.onmicrosoft.com"
    assert body["commerceId"]
    assert body["relationshipToPartner"] == "reseller"
    assert body["userCredentials"]["userName"]
    assert body["userCredentials"]["password"]
    assert body["billingProfile"]["defaultAddress"]["postalCode"] == "98052"
    assert body["attributes"]["objectType"] == "Customer"
    assert pc.head("/v1/domains/relecloud.onmicrosoft.com").status_code == 200
    fetched = pc.get(f"/v1/customers/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["relationshipToPartner"] == "reseller"
    assert "userCredentials" not in fetched.json()
    assert sandbox_store.document("tenant", body["id"])["domain"] == "relecloud.onmicrosoft.com"


def test_associated_partner_id_records_the_reseller(pc):
    body = customer_body("tailspin", associatedPartnerId=ADATUM_TENANT)
    created = pc.post("/v1/customers", json=body)
    assert created.status_code == 201
    assert created.json()["associatedPartnerId"] == ADATUM_TENANT
    relationships = pc.get(f"/v1/customers/{created.json()['id']}/relationships").json()
    assert [r["id"] for r in relationships["items"]] == [ADATUM_TENANT]
    assert relationships["items"][0]["name"] == "Adatum IT Services"
    unknown = pc.post("/v1/customers", json=customer_body("tailspin2", associatedPartnerId=FABRIKAM))
    assert unknown.status_code == 400


def test_pascal_case_input_is_accepted(pc):
    body = customer_body("pascalco")
    pascal = {"CompanyProfile": {"Domain": body["companyProfile"]["domain"]},
              "BillingProfile": {k[0].upper() + k[1:]: v for k, v in body["billingProfile"].items()}}
    assert pc.post("/v1/customers", json=pascal).status_code == 201


def test_taken_domain_is_refused(pc):
    response = pc.post("/v1/customers", json=customer_body("fabrikam"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 800002  # "Invalid request input": no code of its own is documented
    assert "already exists" in body["description"]
    assert body["source"] == "PartnerCenter"
    assert body["data"] == []


def test_malformed_domain_is_refused(pc):
    response = pc.post("/v1/customers", json=customer_body("bad_domain!"))
    assert response.status_code == 400


@pytest.mark.parametrize("country, changes, code, fragment", [
    ("PL", {"registration": None}, 600049, "required"),
    ("PL", {"registration": "12-34"}, 600050, r"^\d{10}$"),
    ("PL", {"address": {"phoneNumber": ""}}, 600051, "phoneNumber"),
    ("US", {"registration": "123456789"}, 600002, "not allowed"),
])
def test_registration_id_rules(pc, country, changes, code, fragment):
    response = pc.post("/v1/customers", json=customer_body("regtest", country, **changes))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert fragment in response.json()["description"]


def test_the_registration_id_the_country_rules_describe_is_the_one_accepted(pc):
    """Where a country needs a registration ID and its rules publish a taxIdFormat, the rules' sample, as
    a client following the rules sends it (app/accounts/country_rules.py: no country prefix), is accepted,
    and a value the rules refuse is refused too."""
    import re
    from types import SimpleNamespace

    from app.accounts.country_rules import clean_registration_id
    from app.sandbox.countries import REGISTRATION_ID_RULES

    checked = []
    for iso2, pattern in REGISTRATION_ID_RULES.items():
        rules = pc.get(f"/v1/countryvalidationrules/{iso2}").json()
        if not rules.get("taxIdFormat"):
            continue
        as_rules = SimpleNamespace(tax_id_format=rules["taxIdFormat"], vat_id_regex=rules.get("vatIdRegex"))
        sent = clean_registration_id(iso2, as_rules, rules["taxIdSample"])
        assert sent is not None and re.fullmatch(pattern, sent), (iso2, rules["taxIdSample"], pattern)
        assert clean_registration_id(iso2, as_rules, "abc") is None and not re.fullmatch(pattern, "abc")
        checked.append(iso2)
    assert {"PL", "IN", "BR"} <= set(checked)


def test_polish_customer_with_registration_id_is_created(pc):
    body = create_customer(pc, "polskafirma", "PL")
    assert body["companyProfile"]["organizationRegistrationNumber"] == "5260250274"


@pytest.mark.parametrize("address", [
    {"addressLine1": "x" * 201},
    {"firstName": ""},
    {"lastName": "y" * 51},
    {"state": "WAS"},
    {"country": "USA"},
    {"postalCode": "ABCDE"},
    {"state": "ZZ"},
])
def test_address_limits_and_country_rules(pc, address):
    response = pc.post("/v1/customers", json=customer_body("limits", address=address))
    assert response.status_code == 400
    assert pc.head("/v1/domains/limits.onmicrosoft.com").status_code == 404


def test_creation_is_idempotent_by_request_id(pc, sandbox_store):
    before = len(sandbox_store.documents("tenant"))
    first = pc.post("/v1/customers", json=customer_body("idemco"), request_id="11111111-2222-3333-4444-555555555555")
    second = pc.post("/v1/customers", json=customer_body("idemco"), request_id="11111111-2222-3333-4444-555555555555")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(sandbox_store.documents("tenant")) == before + 1
    calls = sandbox_store.calls(method="POST", path="/v1/customers")
    assert [c["status"] for c in calls] == [201, 201]
    assert {c["requestId"] for c in calls} == {"11111111-2222-3333-4444-555555555555"}
    # A new request id is a new attempt: the domain is now taken.
    third = pc.post("/v1/customers", json=customer_body("idemco"))
    assert third.status_code == 400


def test_customer_without_relationship_is_not_visible(pc):
    for tenant_id in (FABRIKAM, CONTOSO, "00000000-0000-0000-0000-000000000000"):
        response = pc.get(f"/v1/customers/{tenant_id}")
        assert response.status_code == 404
        assert response.json()["code"] == 60003


def test_search_by_domain_and_company_name_with_paging(pc):
    for prefix in ("alpha1", "alpha2", "alpha3", "beta1"):
        create_customer(pc, prefix)
    flt = json.dumps({"Field": "Domain", "Value": "ALPHA", "Operator": "starts_with"})
    page1 = pc.get("/v1/customers", params={"size": 2, "filter": flt})
    assert page1.status_code == 200
    body = page1.json()
    assert body["totalCount"] == 2
    assert [c["companyProfile"]["domain"] for c in body["items"]] == [
        "alpha1.onmicrosoft.com", "alpha2.onmicrosoft.com"]
    header = body["links"]["next"]["headers"][0]
    assert header["key"] == "MS-ContinuationToken"
    page2 = pc.get("/v1/customers", params={"size": 2, "seekOperation": "Next"},
                   headers={"MS-ContinuationToken": header["value"]})
    assert [c["companyProfile"]["domain"] for c in page2.json()["items"]] == ["alpha3.onmicrosoft.com"]
    assert "next" not in page2.json()["links"]

    by_name = pc.get("/v1/customers", params={"filter": json.dumps(
        {"Field": "CompanyName", "Value": "beta", "Operator": "starts_with"})})
    assert [c["companyProfile"]["domain"] for c in by_name.json()["items"]] == ["beta1.onmicrosoft.com"]
    # Existing tenants without a relationship are not listed.
    fabrikam = pc.get("/v1/customers", params={"filter": json.dumps(
        {"Field": "Domain", "Value": "fabrikam", "Operator": "starts_with"})})
    assert fabrikam.json()["totalCount"] == 0


def test_lists_carry_no_billing_profile_and_size_0_asks_for_the_default_page(pc):
    created = create_customer(pc, "listedco")
    flt = json.dumps({"Field": "Domain", "Value": "listedco", "Operator": "starts_with"})
    listed = pc.get("/v1/customers", params={"size": 0, "filter": flt})
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert "billingProfile" not in item and item["id"] == created["id"]
    assert item["companyProfile"]["links"]["self"]["uri"] == f"/customers/{created['id']}/profiles/company"
    assert "billingProfile" in pc.get(f"/v1/customers/{created['id']}").json()
    assert pc.get("/v1/customers", params={"size": -1}).status_code == 400


def test_company_and_billing_profiles(pc):
    created = create_customer(pc, "profileco")
    base = f"/v1/customers/{created['id']}/profiles"
    company = pc.get(f"{base}/company").json()
    assert company["attributes"]["objectType"] == "CustomerCompanyProfile"
    assert company["email"] == created["billingProfile"]["email"] and company["address"]["city"] == "Redmond"
    billing = pc.get(f"{base}/billing").json()
    etag = billing["attributes"]["etag"]
    assert billing["attributes"]["objectType"] == "CustomerBillingProfile" and etag
    changed = {**billing, "companyName": "Profile Company Renamed"}
    assert pc.put(f"{base}/billing", json=changed).json()["code"] == 2055  # If-Match is required
    updated = pc.put(f"{base}/billing", json=changed, headers={"If-Match": f'"{etag}"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["companyName"] == "Profile Company Renamed" and updated.json()["attributes"]["etag"] != etag
    stale = pc.put(f"{base}/billing", json=billing, headers={"If-Match": f'"{etag}"'})
    assert stale.status_code == 400 and stale.json()["code"] == 2055
    moved = {**updated.json(), "defaultAddress": {**billing["defaultAddress"], "postalCode": "nope"}}
    refused = pc.put(f"{base}/billing", json=moved, headers={"If-Match": updated.json()["attributes"]["etag"]})
    assert refused.status_code == 400 and "postal code" in refused.json()["description"]


def test_every_country_the_storefront_offers_has_its_own_rules(pc):
    """The new-customer form's countries (app/accounts/countries.py) are each answered by
    /v1/countryvalidationrules with that country's own rules, not the sandbox's fallback."""
    from app.accounts.countries import COUNTRIES

    fallback = pc.get("/v1/countryvalidationrules/ZZ").json()
    for iso2, name in COUNTRIES:
        rules = pc.get(f"/v1/countryvalidationrules/{iso2}").json()
        assert rules["iso2Code"] == iso2, name
        assert {**rules, "iso2Code": "ZZ"} != fallback, name
        assert rules["countryCallingCodesList"], name
        for key in ("isVatIdSupported", "vatIdRegex", "supportedLanguagesList", "supportedCulturesList"):
            assert key in rules, (name, key)


def test_country_validation_rules(pc):
    for iso2 in ("US", "PL", "GB", "DE", "IN", "BR", "FR"):
        response = pc.get(f"/v1/countryvalidationrules/{iso2}")
        assert response.status_code == 200
        rules = response.json()
        assert rules["iso2Code"] == iso2
        for key in ("defaultCulture", "isStateRequired", "supportedStatesList", "isPostalCodeRequired",
                    "postalCodeRegex", "isCityRequired", "isTaxIdSupported", "isTaxIdOptional",
                    "taxIdFormat", "taxIdSample", "phoneNumberRegex", "supportedLanguagesList",
                    "supportedCulturesList"):
            assert key in rules
    us = pc.get("/v1/countryvalidationrules/US").json()
    assert us["isStateRequired"] is True
    assert "WA" in us["supportedStatesList"]
    assert pc.get("/v1/countryvalidationrules/PL").json()["postalCodeRegex"] == r"^\d{2}-\d{3}$"


@pytest.mark.parametrize("address, status", [
    ({"addressLine1": "1 Microsoft Way", "city": "Redmond", "state": "WA", "postalCode": "98052",
      "country": "US"}, "VerifiedShippable"),
    ({"addressLine1": "1 microsoft way", "city": "redmond", "state": "WA", "postalCode": "98052",
      "country": "US"}, "Verified"),
    ({"addressLine1": "1 Microsoft Way", "city": "Redmond", "state": "WA", "postalCode": "9805",
      "country": "US"}, "None"),
    ({"addressLine1": "ul. Grodzka 12", "city": "Krakow", "postalCode": "31-006", "country": "PL"},
     "VerifiedShippable"),
])
def test_address_validation_is_deterministic(pc, address, status):
    response = pc.post("/v1/validations/address", json=address)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == status
    assert body["originalAddress"]["addressLine1"] == address["addressLine1"]
    if status == "Verified":
        assert body["suggestedAddresses"][0]["addressLine1"] == "1 Microsoft Way"
        assert body["suggestedAddresses"][0]["city"] == "Redmond"
    if status == "None":
        assert body["validationMessage"]
