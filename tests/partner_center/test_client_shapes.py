"""Shapes as Microsoft documents them, client against the sandbox over HTTP: new-commerce
subscriptions, customer lists, the company and billing profiles."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from app.partner_center import EtagMismatch
from tests.partner_center.pc_support import new_customer
from tests.partner_center.test_client_orders import place_order


def test_a_new_commerce_subscription_reads_as_documented(pc_client, sbx_store):
    customer, order, sub = place_order(pc_client, sbx_store, quantity=5)
    assert sub.offer_id == order.line_items[0].offer_id  # the catalog item: product:sku:availability
    assert len(sub.offer_id.split(":")) == 3
    assert sub.product_type == "OnlineServicesNCE"
    [(kind, expires)] = sub.refund_options
    assert kind == "Full" and expires == sub.cancellation_allowed_until_date
    sbx_store.advance_clock(timedelta(days=8))
    assert pc_client.get_subscription(customer.id, sub.id).refund_options == []


def test_customer_lists_carry_no_billing_profile_and_take_size_0(pc_client, sbx_url):
    created = new_customer(pc_client, company_name="Listed Company")
    token = pc_client.tokens.get_token()
    flt = json.dumps({"Field": "Domain", "Value": created.domain, "Operator": "starts_with"})
    # size=0, as Microsoft's customer-search examples send it (get-a-customer-by-name)
    answer = httpx.get(f"{sbx_url}/v1/customers", params={"size": 0, "filter": flt},
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    assert set(item) == {"id", "companyProfile", "relationshipToPartner", "links", "attributes"}
    assert item["companyProfile"]["domain"] == created.domain
    found = pc_client.find_customer_by_domain(created.domain)
    assert found.id == created.id and found.email is None and found.billing_profile == {}
    assert pc_client.get_customer(created.id).email == "admin@example.com"  # one customer: the whole resource
    page = pc_client.list_customers(size=0)
    assert created.id in {c.id for c in page.items}


def test_the_company_profile(pc_client):
    created = new_customer(pc_client, company_name="Profile Company")
    profile = pc_client.get_company_profile(created.id)
    assert (profile.tenant_id, profile.domain, profile.company_name) == (created.id, created.domain, "Profile Company")
    assert profile.email == "admin@example.com"
    assert profile.address.city == "Redmond" and profile.address.country == "US"


def test_the_billing_profile_is_replaced_with_if_match(pc_client, sbx_store):
    created = new_customer(pc_client)
    profile = pc_client.get_billing_profile(created.id)
    assert profile.etag and profile.email == "admin@example.com"
    updated = pc_client.update_billing_profile(created.id, profile, changes={"email": "billing@example.com"},
                                               address={**profile.default_address.to_json(), "city": "Seattle"})
    assert updated.email == "billing@example.com" and updated.default_address.city == "Seattle"
    assert updated.etag != profile.etag
    [put] = sbx_store.calls(method="PUT", path=f"/v1/customers/{created.id}/profiles/billing")
    assert put["status"] == 200
    with pytest.raises(EtagMismatch) as info:
        pc_client.update_billing_profile(created.id, profile, changes={"email": "late@example.com"})  # old etag
    assert (info.value.status, info.value.code) == (400, "2055")
    assert pc_client.get_billing_profile(created.id).email == "billing@example.com"


def test_a_billing_profile_put_without_if_match_is_refused(pc_client, sbx_url):
    created = new_customer(pc_client)
    profile = pc_client.get_billing_profile(created.id)
    token = pc_client.tokens.get_token()
    answer = httpx.put(f"{sbx_url}/v1/customers/{created.id}/profiles/billing",
                       json={**profile.raw, "email": "nobody@example.com"},
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.json()["code"] == 2055
    assert pc_client.get_billing_profile(created.id).email == "admin@example.com"


def test_the_client_reads_country_rules_for_every_country_the_storefront_offers(pc_client):
    from app.accounts.countries import COUNTRIES

    for iso2, name in COUNTRIES:
        rules = pc_client.get_country_rules(iso2)
        assert rules.iso2_code == iso2 and rules.postal_code_regex, name
        assert rules.raw["countryCallingCodesList"], name
    canada = pc_client.get_country_rules("CA")
    assert canada.is_state_required and "QC" in canada.supported_states
