"""Subscription changes under the new-commerce 7-day (168 h) rule."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sandbox.sandbox_support import new_customer_ready_to_buy, purchase


@pytest.fixture
def bought(pc, sandbox_store):
    """A customer with a 10-seat annual Business Premium subscription bought just now."""
    tenant_id = new_customer_ready_to_buy(pc, "seatsco")
    sub = purchase(pc, sandbox_store, tenant_id, quantity=10)
    return tenant_id, sub


def _path(tenant_id, sub):
    return f"/v1/customers/{tenant_id}/subscriptions/{sub['id']}"


def _patch(pc, tenant_id, sub_id, **changes):
    path = f"/v1/customers/{tenant_id}/subscriptions/{sub_id}"
    current = pc.get(path).json()
    current.update(changes)
    return pc.patch(path, json=current, headers={"If-Match": current["attributes"]["etag"]})


def test_subscription_fields(pc, bought):
    tenant_id, sub = bought
    body = pc.get(_path(tenant_id, sub)).json()
    for field in ("id", "offerId", "offerName", "friendlyName", "quantity", "status", "autoRenewEnabled",
                  "billingCycle", "termDuration", "creationDate", "effectiveStartDate", "commitmentEndDate",
                  "cancellationAllowedUntilDate", "refundableQuantity", "orderId", "partnerId", "attributes"):
        assert field in body, field
    assert body["offerName"] == "Microsoft 365 Business Premium"
    assert body["attributes"]["objectType"] == "Subscription"
    assert body["attributes"]["etag"]
    assert body["refundableQuantity"]["totalQuantity"] == 10
    [detail] = body["refundableQuantity"]["details"]
    assert detail["quantity"] == 10
    assert detail["allowedUntilDateTime"] == body["cancellationAllowedUntilDate"]
    assert body["commitmentEndDate"] > body["effectiveStartDate"]


def test_a_new_commerce_subscription_has_the_documented_shape(pc, sandbox_store, bought):
    tenant_id, sub = bought
    body = pc.get(_path(tenant_id, sub)).json()
    product, sku, availability = body["offerId"].split(":")  # product:sku:availability
    assert body["productType"] == {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}
    assert body["links"]["availability"]["uri"] == (
        f"/products/{product}/skus/{sku}/availabilities/{availability}?country=US")
    assert pc.get(f"/v1{body['links']['availability']['uri']}").json()["catalogItemId"] == body["offerId"]
    assert body["refundOptions"] == [{"type": "Full", "expiresAt": body["cancellationAllowedUntilDate"]}]
    sandbox_store.advance_clock(timedelta(days=8))  # out of the refund window
    assert "refundOptions" not in pc.get(_path(tenant_id, sub)).json()


def test_seven_day_rule_for_reductions(pc, sandbox_store, bought):
    tenant_id, sub = bought
    sandbox_store.advance_clock(timedelta(days=3))
    reduced = _patch(pc, tenant_id, sub["id"], quantity=8)
    assert reduced.status_code == 200, reduced.text
    assert reduced.json()["quantity"] == 8
    assert reduced.json()["refundableQuantity"]["totalQuantity"] == 8

    sandbox_store.advance_clock(timedelta(days=5))  # day 8
    late = _patch(pc, tenant_id, sub["id"], quantity=7)
    assert late.status_code == 400
    assert late.json()["code"] == 800090
    assert pc.get(_path(tenant_id, sub)).json()["quantity"] == 8
    assert pc.get(_path(tenant_id, sub)).json()["refundableQuantity"] == {"totalQuantity": 0, "details": []}

    sandbox_store.advance_clock(timedelta(days=2))  # day 10
    added = _patch(pc, tenant_id, sub["id"], quantity=13)
    assert added.status_code == 200
    assert added.json()["refundableQuantity"]["totalQuantity"] == 5
    assert added.json()["refundableQuantity"]["details"][0]["quantity"] == 5

    sandbox_store.advance_clock(timedelta(days=2))  # day 12
    too_many = _patch(pc, tenant_id, sub["id"], quantity=7)
    assert too_many.status_code == 400
    assert too_many.json()["code"] == 800090
    back = _patch(pc, tenant_id, sub["id"], quantity=8)
    assert back.status_code == 200
    assert back.json()["quantity"] == 8
    assert back.json()["refundableQuantity"]["totalQuantity"] == 0


def test_cancel_within_the_window(pc, sandbox_store, bought):
    tenant_id, sub = bought
    sandbox_store.advance_clock(timedelta(days=6))
    cancelled = _patch(pc, tenant_id, sub["id"], status="deleted")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "deleted"
    assert pc.get(_path(tenant_id, sub)).json()["status"] == "deleted"
    changed = _patch(pc, tenant_id, sub["id"], friendlyName="Too late")
    assert changed.status_code == 400
    assert changed.json()["code"] == 2011


def test_cancel_after_the_window_is_refused(pc, sandbox_store, bought):
    tenant_id, sub = bought
    sandbox_store.advance_clock(timedelta(days=9))
    refused = _patch(pc, tenant_id, sub["id"], status="deleted")
    assert refused.status_code == 400
    assert refused.json()["code"] == 900213  # "You have passed your {0}-hour cancellation window"
    assert "168-hour cancellation window" in refused.json()["description"]
    assert pc.get(_path(tenant_id, sub)).json()["status"] == "active"


def test_a_stale_etag_is_400_2055_and_changes_nothing(pc, bought):
    tenant_id, sub = bought
    stale = pc.get(_path(tenant_id, sub)).json()
    assert _patch(pc, tenant_id, sub["id"], friendlyName="First change").status_code == 200
    stale["friendlyName"] = "Second change"
    response = pc.patch(_path(tenant_id, sub), json=stale, headers={"If-Match": f'"{stale["attributes"]["etag"]}"'})
    assert response.status_code == 400
    assert response.json()["code"] == 2055 and response.json()["description"].startswith("Etag is no longer valid")
    assert pc.get(_path(tenant_id, sub)).json()["friendlyName"] == "First change"


def test_the_etag_may_come_in_the_body_as_the_sdk_sends_it_but_not_be_missing(pc, bought):
    tenant_id, sub = bought
    current = pc.get(_path(tenant_id, sub)).json()
    current["friendlyName"] = "From the body's etag"
    assert pc.patch(_path(tenant_id, sub), json=current).status_code == 200  # attributes.etag, no If-Match
    fresh = pc.get(_path(tenant_id, sub)).json()
    fresh["friendlyName"] = "Without any etag"
    del fresh["attributes"]["etag"]
    missing = pc.patch(_path(tenant_id, sub), json=fresh)
    assert missing.status_code == 400 and missing.json()["code"] == 2055
    assert pc.get(_path(tenant_id, sub)).json()["friendlyName"] == "From the body's etag"


def test_quantity_limits_and_suspension(pc, bought):
    tenant_id, sub = bought
    for quantity in (0, 301):
        response = _patch(pc, tenant_id, sub["id"], quantity=quantity)
        assert response.status_code == 400
        assert response.json()["code"] == 2002
    assert _patch(pc, tenant_id, sub["id"], status="suspended").json()["status"] == "suspended"
    blocked = _patch(pc, tenant_id, sub["id"], quantity=12)
    assert blocked.status_code == 400
    assert blocked.json()["code"] == 800091
    assert _patch(pc, tenant_id, sub["id"], status="active").json()["status"] == "active"
    assert _patch(pc, tenant_id, sub["id"], quantity=12).json()["quantity"] == 12


def test_friendly_name_and_auto_renew(pc, bought):
    tenant_id, sub = bought
    renamed = _patch(pc, tenant_id, sub["id"], friendlyName="Head office")
    assert renamed.json()["friendlyName"] == "Head office"
    off = _patch(pc, tenant_id, sub["id"], autoRenewEnabled=False)
    assert off.json()["autoRenewEnabled"] is False
    assert off.json()["attributes"]["etag"] != renamed.json()["attributes"]["etag"]


def test_reduction_outside_the_window_as_a_scheduled_change(pc, sandbox_store, bought):
    tenant_id, sub = bought
    sandbox_store.advance_clock(timedelta(days=20))
    schedule = {"product": {"productId": "CFQ7TTC0LCHC", "skuId": "0001", "billingCycle": "monthly",
                            "termDuration": "P1Y"},
                "quantity": 6}
    accepted = _patch(pc, tenant_id, sub["id"], scheduledNextTermInstructions=schedule)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["quantity"] == 10
    assert accepted.json()["scheduledNextTermInstructions"]["quantity"] == 6

    no_renew = _patch(pc, tenant_id, sub["id"], autoRenewEnabled=False)
    assert "scheduledNextTermInstructions" not in no_renew.json()
    refused = _patch(pc, tenant_id, sub["id"], scheduledNextTermInstructions=schedule)
    assert refused.status_code == 400
    assert refused.json()["code"] == 800093


def test_renewal_applies_the_scheduled_quantity(pc, sandbox_store):
    tenant_id = new_customer_ready_to_buy(pc, "monthlyco")
    sub = purchase(pc, sandbox_store, tenant_id, quantity=10, term="P1M")
    sandbox_store.advance_clock(timedelta(days=10))
    schedule = {"product": {"productId": "CFQ7TTC0LCHC", "skuId": "0001", "billingCycle": "monthly",
                            "termDuration": "P1M"}, "quantity": 4}
    assert _patch(pc, tenant_id, sub["id"], scheduledNextTermInstructions=schedule).status_code == 200
    sandbox_store.advance_clock(timedelta(days=25))
    renewed = pc.get(_path(tenant_id, sub)).json()
    assert renewed["status"] == "active"
    assert renewed["quantity"] == 4
    assert "scheduledNextTermInstructions" not in renewed
    assert renewed["refundableQuantity"]["totalQuantity"] == 4
    assert renewed["effectiveStartDate"] > sub["effectiveStartDate"]


def test_without_auto_renew_the_subscription_expires(pc, sandbox_store):
    tenant_id = new_customer_ready_to_buy(pc, "expireco")
    sub = purchase(pc, sandbox_store, tenant_id, quantity=3, term="P1M")
    assert _patch(pc, tenant_id, sub["id"], autoRenewEnabled=False).status_code == 200
    sandbox_store.advance_clock(timedelta(days=32))
    assert pc.get(_path(tenant_id, sub)).json()["status"] == "expired"
    assert _patch(pc, tenant_id, sub["id"], quantity=5).json()["code"] == 2011
