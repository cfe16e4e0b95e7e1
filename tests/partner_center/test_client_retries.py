"""Contract: retries against faults injected in the sandbox (real HTTP, real time.sleep)."""

import time

import pytest

from app.partner_center import PartnerAgreementNotSigned, PartnerCenterUnavailable, Throttled
from tests.partner_center.pc_support import US_ADDRESS, new_customer, unique_prefix


def test_429_waits_retry_after_then_succeeds(pc_client, sbx_store):
    pc_client.get_country_rules("US")  # token and connection warm
    sbx_store.clear_calls()
    sbx_store.inject_fault("GET", "/v1/countryvalidationrules", "429", count=1, retry_after=1)
    started = time.monotonic()
    rules = pc_client.get_country_rules("US")
    elapsed = time.monotonic() - started
    assert rules.iso2_code == "US"
    calls = sbx_store.calls(path="/v1/countryvalidationrules/US")
    assert [c["status"] for c in calls] == [429, 200]
    assert elapsed >= 1.0
    t0, t1 = (c["at"] for c in calls)
    from datetime import datetime

    assert (datetime.fromisoformat(t1) - datetime.fromisoformat(t0)).total_seconds() >= 1.0
    assert calls[0]["requestId"] == calls[1]["requestId"]


def test_500_twice_then_success_same_request_id(pc_client, sbx_store):
    sbx_store.inject_fault("POST", "/v1/customers", "500", count=2)
    customer = new_customer(pc_client)
    calls = sbx_store.calls(method="POST", path="/v1/customers")
    assert [c["status"] for c in calls] == [500, 500, 201]
    assert len({c["requestId"] for c in calls}) == 1
    assert len({c["correlationId"] for c in calls}) == 1
    assert customer.id


def test_slow_creation_beyond_read_timeout_retried_once_created(make_pc, sbx_store):
    client = make_pc(timeout=0.5)
    client.get_country_rules("US")  # warm up outside the measured call
    prefix = unique_prefix("slow")
    sbx_store.inject_fault("POST", "/v1/customers", "slow", count=1, delay=1.5)
    customer = client.create_customer(domain=prefix, company_name="Slow Co", email="a@slow.example", address=US_ADDRESS)
    calls = sbx_store.calls(method="POST", path="/v1/customers")
    assert len(calls) == 2
    assert calls[0]["requestId"] == calls[1]["requestId"]
    holders = [t for t in sbx_store.documents("tenant") if f"{prefix}.onmicrosoft.com" in t["domains"]]
    assert len(holders) == 1 and holders[0]["id"] == customer.id


def test_400_is_not_retried(pc_client, sbx_store):
    with pytest.raises(PartnerAgreementNotSigned):
        pc_client.get_agreement_status("3456789")
    assert len(sbx_store.calls(path="/v1/compliance/csp/agreementstatus")) == 1


def test_404_is_not_retried(pc_client, sbx_store):
    assert pc_client.is_domain_available(unique_prefix("nf")) is True
    assert len(sbx_store.calls(method="HEAD")) == 1


def test_retry_budget_is_bounded(make_pc, sbx_store):
    client = make_pc(max_attempts=3)
    sbx_store.inject_fault("GET", "/v1/countryvalidationrules", "500", count=10)
    with pytest.raises(PartnerCenterUnavailable) as info:
        client.get_country_rules("US")
    assert info.value.status == 500 and info.value.retryable
    assert len(sbx_store.calls(path="/v1/countryvalidationrules/US")) == 3


def test_throttle_longer_than_allowed_wait_surfaces(make_pc, sbx_store):
    client = make_pc(max_retry_wait=5)
    sbx_store.inject_fault("GET", "/v1/products", "429", count=1, retry_after=30)
    with pytest.raises(Throttled) as info:
        client.list_products("US")
    assert info.value.retry_after == 30 and info.value.status == 429
    assert len(sbx_store.calls(path="/v1/products")) == 1


def test_timeouts_budget_spent_is_unavailable(make_pc, sbx_store):
    client = make_pc(timeout=0.3, max_attempts=2)
    client.get_country_rules("US")
    sbx_store.inject_fault("GET", "/v1/countryvalidationrules", "slow", count=2, delay=0.8)
    with pytest.raises(PartnerCenterUnavailable) as info:
        client.get_country_rules("US")
    assert info.value.status is None and "ReadTimeout" in info.value.description
    calls = sbx_store.calls(path="/v1/countryvalidationrules/US")
    assert len(calls) == 3 and calls[1]["requestId"] == calls[2]["requestId"]
