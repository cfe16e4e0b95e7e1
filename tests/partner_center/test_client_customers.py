"""Contract: domains, customers, search and paging, country rules, address validation
(client over HTTP against the served sandbox)."""

import pytest

from app.partner_center import (
    Address,
    AddressValidation,
    CountryRules,
    Customer,
    DomainTaken,
    NoRelationship,
    NotFound,
    PhoneMissing,
    RegistrationIdInvalid,
    RegistrationIdMissing,
    RegistrationIdNotAllowed,
)
from tests.partner_center.pc_support import US_ADDRESS, new_customer, unique_prefix


def test_domain_availability_inverted_meaning(pc_client, sbx_store):
    assert pc_client.is_domain_available("fabrikam") is False  # HEAD 200 = exists
    assert pc_client.is_domain_available("wingtiptoys.onmicrosoft.com") is False
    assert pc_client.is_domain_available("Contoso") is False
    assert pc_client.is_domain_available(unique_prefix("free")) is True  # HEAD 404 = free
    heads = sbx_store.calls(method="HEAD")
    assert [c["path"] for c in heads][:2] == [
        "/v1/domains/fabrikam.onmicrosoft.com",
        "/v1/domains/wingtiptoys.onmicrosoft.com",
    ]
    assert [c["status"] for c in heads] == [200, 200, 200, 404]


def test_create_customer_and_get_it(pc_client, sbx_store):
    prefix = unique_prefix("newco")
    customer = new_customer(pc_client, prefix, company_name="New Co", email="it@newco.example")
    assert isinstance(customer, Customer)
    assert customer.id and customer.commerce_id
    assert customer.domain == f"{prefix}.onmicrosoft.com"
    assert customer.company_name == "New Co"
    assert customer.relationship_to_partner == "reseller"
    assert customer.user_credentials.user_name and customer.user_credentials.password
    assert customer.default_address.city == "Redmond"
    assert pc_client.is_domain_available(prefix) is False

    again = pc_client.get_customer(customer.id)
    assert again.id == customer.id and again.domain == customer.domain
    assert again.user_credentials is None or again.user_credentials.password is None

    post = sbx_store.calls(method="POST", path="/v1/customers")[0]
    assert post["status"] == 201


def test_create_customer_with_indirect_reseller_and_relationships(pc_client):
    reseller = next(r for r in pc_client.list_indirect_resellers() if r.mpn_id == "1234567")
    customer = new_customer(pc_client, associated_partner_id=reseller.id)
    rels = pc_client.list_customer_relationships(customer.id)
    assert [r.id for r in rels] == [reseller.id]
    assert rels[0].mpn_id == "1234567" and rels[0].state == "Active"
    found = pc_client.search_customers_by_reseller(reseller.id)
    assert customer.id in [c.id for c in found]


def test_create_customer_domain_taken(pc_client):
    with pytest.raises(DomainTaken) as info:
        new_customer(pc_client, "fabrikam")
    assert info.value.status == 400 and info.value.code
    assert "fabrikam" in info.value.description


def test_registration_id_errors(pc_client):
    india = Address(address_line1="12 MG Road", city="Bengaluru", state="KA", postal_code="560001", country="IN",
                    first_name="Ravi", last_name="Kumar", phone_number="+91 80 1234 5678")
    with pytest.raises(RegistrationIdMissing) as info:
        new_customer(pc_client, address=india)
    assert info.value.code == "600049"

    with pytest.raises(RegistrationIdInvalid) as info:
        new_customer(pc_client, address=india, organization_registration_number="nope")
    assert info.value.code == "600050"
    regex = info.value.regex
    assert regex and regex.startswith("^") and regex.endswith("$")
    import re

    assert re.fullmatch(regex, "29ABCDE1234F1Z5")

    no_phone = Address(**{**india.__dict__, "phone_number": None})
    with pytest.raises(PhoneMissing) as info:
        new_customer(pc_client, address=no_phone, organization_registration_number="29ABCDE1234F1Z5")
    assert info.value.code == "600051"

    with pytest.raises(RegistrationIdNotAllowed) as info:
        new_customer(pc_client, organization_registration_number="12345")
    assert info.value.code == "600002"

    created = new_customer(pc_client, address=india, organization_registration_number="29ABCDE1234F1Z5")
    assert created.organization_registration_number == "29ABCDE1234F1Z5"


def test_search_paging_and_exact_domain(pc_client, sbx_store):
    stem = unique_prefix("page")
    made = [new_customer(pc_client, f"{stem}{i}") for i in range(3)]
    longer = new_customer(pc_client, f"{stem}0extra")  # shares the prefix of the first one

    first = pc_client.search_customers("Domain", stem, size=2)
    assert len(first.items) == 2 and first.continuation_token
    second = pc_client.search_customers("Domain", stem, size=2, continuation_token=first.continuation_token)
    assert len(second.items) == 2 and second.continuation_token is None
    assert {c.id for c in first.items + second.items} == {c.id for c in made + [longer]}

    nxt = sbx_store.calls(path="/v1/customers", method="GET")[-1]
    assert "seekOperation=Next" in nxt["query"]

    everything = list(pc_client.iter_customers("Domain", stem, size=1))
    assert len(everything) == 4

    exact = pc_client.find_customer_by_domain(f"{stem}0")
    assert exact.id == made[0].id  # not the longer domain with the same prefix
    assert pc_client.find_customer_by_domain(f"{stem}0.onmicrosoft.com").id == made[0].id
    assert pc_client.find_customer_by_domain(f"{stem}9") is None


def test_search_by_company_name(pc_client):
    name = f"Zeta {unique_prefix('corp')}"
    c = new_customer(pc_client, company_name=name)
    page = pc_client.search_customers("CompanyName", name[:10].lower())
    assert c.id in [x.id for x in page]


def test_list_customers_pages(pc_client):
    for _ in range(3):
        new_customer(pc_client)
    page = pc_client.list_customers(size=2)
    assert len(page) == 2 and page.total_count is not None
    # The three, and the seed's two customers of the operator (Wide World Importers, Alpine Ski House).
    assert len(list(pc_client.iter_customers(size=2))) == 5


def test_customer_without_relationship_is_not_found(pc_client):
    contoso = "0e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"  # another partner's customer
    with pytest.raises(NoRelationship) as info:
        pc_client.get_customer(contoso)
    assert isinstance(info.value, NotFound)
    assert info.value.status == 404 and info.value.code == "60003"
    assert pc_client.try_get_customer(contoso) is None
    assert pc_client.find_customer_by_domain("contoso") is None


def test_country_rules(pc_client):
    rules = pc_client.get_country_rules("us")
    assert isinstance(rules, CountryRules)
    assert rules.iso2_code == "US" and rules.is_state_required and "WA" in rules.supported_states
    assert rules.postal_code_regex and rules.default_culture == "en-US"
    pl = pc_client.get_country_rules("PL")
    assert pl.iso2_code == "PL" and not pl.is_state_required


def test_address_validation_statuses(pc_client):
    ok = pc_client.validate_address(US_ADDRESS)
    assert isinstance(ok, AddressValidation) and ok.status == "VerifiedShippable" and ok.is_valid
    assert ok.original.address_line1 == "1 Microsoft Way"

    fixed = pc_client.validate_address(
        {"addressLine1": "1 microsoft way", "city": "redmond", "state": "WA", "postalCode": "98052", "country": "US"}
    )
    assert fixed.status == "Verified" and fixed.suggestions
    assert fixed.suggestions[0].city == "Redmond"

    bad = pc_client.validate_address(Address(address_line1="1 Main St", city="X", state="WA", postal_code="ABC", country="US"))
    assert bad.status == "None" and not bad.is_valid and bad.message
