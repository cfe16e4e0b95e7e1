"""Contract: carts, checkout, orders, provisioning status and subscriptions (GET-modify-PATCH
with If-Match), including the errors the storefront acts on."""

from datetime import timedelta

import pytest

from app.partner_center import (
    CartAlreadySubmitted,
    CustomerUnderReview,
    EtagMismatch,
    McaMissing,
    QuantityCannotBeDecreased,
    reseller_line_item,
)
from tests.partner_center.pc_support import CONTACT, new_customer


def catalog_item(client):
    product = client.list_products("US")[0]
    sku = client.list_skus(product.id, "US")[0]
    return client.list_availabilities(product.id, sku.id, "US")[0].catalog_item_id


def ready_customer(client):
    """A new customer that has accepted the MCA."""
    customer = new_customer(client)
    template = client.current_agreement_template()
    client.attest_agreement(customer.id, contact=CONTACT, template_id=template.template_id)
    return customer


def place_order(client, store, quantity=5):
    customer = ready_customer(client)
    item = catalog_item(client)
    cart = client.create_cart(
        customer.id,
        [reseller_line_item(item, quantity, billing_cycle="monthly", term_duration="P1Y", reseller_partner_id="1234567")],
    )
    result = client.checkout_cart(customer.id, cart.id)
    order = result.orders[0]
    store.advance_clock(timedelta(seconds=10))  # the sandbox completes orders after 5 s
    sub = client.list_subscriptions(customer.id, order_id=order.id)[0]
    return customer, order, sub


def test_cart_checkout_order_provisioning(pc_client, sbx_store):
    customer = ready_customer(pc_client)
    item = catalog_item(pc_client)
    line = reseller_line_item(item, 3, billing_cycle="monthly", term_duration="P1Y", reseller_partner_id="1234567",
                              friendly_name="Sales team")
    cart = pc_client.create_cart(customer.id, [line])
    assert cart.id and cart.status == "Active" and cart.expiration_timestamp
    assert cart.errors == []
    assert cart.line_items[0].participants == [{"key": "transaction_reseller", "value": "1234567"}]
    assert pc_client.get_cart(customer.id, cart.id).line_items[0].quantity == 3

    cart = pc_client.update_cart(customer.id, cart, [reseller_line_item(
        item, 4, billing_cycle="monthly", term_duration="P1Y", reseller_partner_id="1234567")])
    assert cart.line_items[0].quantity == 4

    result = pc_client.checkout_cart(customer.id, cart.id)
    assert result.order_errors == [] and len(result.orders) == 1
    order = result.orders[0]
    assert order.status == "pending" and order.currency_code == "USD"
    assert order.line_items[0].quantity == 4 and order.line_items[0].partner_id_on_record == "1234567"

    with pytest.raises(CartAlreadySubmitted) as info:
        pc_client.checkout_cart(customer.id, cart.id)
    assert info.value.code == "800065"

    assert [p.status for p in pc_client.get_provisioning_status(customer.id, order.id)] == ["PrefulfillmentPending"]
    sbx_store.advance_clock(timedelta(seconds=10))
    assert pc_client.get_order(customer.id, order.id).status == "completed"
    assert all(p.is_fulfilled for p in pc_client.get_provisioning_status(customer.id, order.id))
    assert [o.id for o in pc_client.list_orders(customer.id)] == [order.id]

    subs = pc_client.list_subscriptions(customer.id, order_id=order.id)
    assert len(subs) == 1
    sub = subs[0]
    assert sub.quantity == 4 and sub.status == "active" and sub.order_id == order.id
    assert sub.friendly_name and sub.etag and sub.partner_id == "1234567"
    assert sub.refundable_quantity.total_quantity == 4
    assert sub.cancellation_allowed_until_date and sub.commitment_end_date
    assert pc_client.get_subscription(customer.id, sub.id).id == sub.id
    assert pc_client.list_subscriptions(customer.id)[0].id == sub.id


def test_cart_line_errors(pc_client):
    customer = ready_customer(pc_client)
    cart = pc_client.create_cart(customer.id, [{"catalogItemId": "NOPE:0001:XXXX", "quantity": 1,
                                                "billingCycle": "monthly", "termDuration": "P1Y"}])
    assert cart.errors and cart.errors[0].error_code == "10001"
    item = catalog_item(pc_client)
    cart = pc_client.create_cart(customer.id, [reseller_line_item(item, 1, billing_cycle="monthly", term_duration="P1Y")],
                                 partner_on_record_attestation_accepted=False)
    assert cart.line_items[0].error_code == "10012"


def test_checkout_without_mca(pc_client):
    customer = new_customer(pc_client)
    cart = pc_client.create_cart(customer.id, [reseller_line_item(catalog_item(pc_client), 1, billing_cycle="monthly", term_duration="P1Y")])
    with pytest.raises(McaMissing) as info:
        pc_client.checkout_cart(customer.id, cart.id)
    assert info.value.code == "13605" and info.value.status == 403


def test_checkout_customer_under_review(pc_client, sbx_store):
    customer = ready_customer(pc_client)
    cart = pc_client.create_cart(customer.id, [reseller_line_item(catalog_item(pc_client), 1, billing_cycle="monthly", term_duration="P1Y")])
    sbx_store.set_under_review(customer.id, True)
    with pytest.raises(CustomerUnderReview) as info:
        pc_client.checkout_cart(customer.id, cart.id)
    assert info.value.code == "800073" and info.value.status == 403


def test_subscription_changes_inside_window(pc_client, sbx_store):
    customer, _, sub = place_order(pc_client, sbx_store, quantity=5)
    patches_before = len(sbx_store.calls(method="PATCH"))

    more = pc_client.set_subscription_quantity(customer.id, sub.id, 8)
    assert more.quantity == 8 and more.etag != sub.etag
    fewer = pc_client.set_subscription_quantity(customer.id, sub.id, 6)
    assert fewer.quantity == 6
    renamed = pc_client.rename_subscription(customer.id, sub.id, "Finance")
    assert renamed.friendly_name == "Finance" and renamed.quantity == 6
    off = pc_client.set_subscription_auto_renew(customer.id, sub.id, False)
    assert off.auto_renew_enabled is False
    suspended = pc_client.suspend_subscription(customer.id, sub.id)
    assert suspended.status == "suspended"
    active = pc_client.update_subscription(customer.id, sub.id, {"status": "active"})
    assert active.status == "active"
    cancelled = pc_client.cancel_subscription(customer.id, sub.id)
    assert cancelled.status == "deleted"

    assert len(sbx_store.calls(method="PATCH")) - patches_before == 7


def test_patch_sends_if_match_and_stale_etag_fails(pc_client, sbx_store):
    customer, _, sub = place_order(pc_client, sbx_store)
    pc_client.rename_subscription(customer.id, sub.id, "First")
    with pytest.raises(EtagMismatch) as info:
        pc_client.patch_subscription(customer.id, sub)  # the old read, old etag
    assert (info.value.status, info.value.code) == (400, "2055")
    assert len(sbx_store.calls(method="PATCH", status=400)) == 1
    assert pc_client.get_subscription(customer.id, sub.id).friendly_name == "First"


def test_reduction_outside_window_and_scheduled_next_term(pc_client, sbx_store):
    customer, _, sub = place_order(pc_client, sbx_store, quantity=5)
    sbx_store.advance_clock(timedelta(days=8))
    with pytest.raises(QuantityCannotBeDecreased) as info:
        pc_client.set_subscription_quantity(customer.id, sub.id, 2)
    assert info.value.code == "800090"
    with pytest.raises(QuantityCannotBeDecreased):
        pc_client.cancel_subscription(customer.id, sub.id)

    scheduled = pc_client.schedule_next_term_quantity(customer.id, sub.id, 2)
    assert scheduled.quantity == 5
    assert scheduled.scheduled_next_term_instructions.quantity == 2
    assert scheduled.scheduled_next_term_instructions.term_duration == "P1Y"
    assert scheduled.refundable_quantity.total_quantity == 0


def test_the_sandbox_keeps_a_scheduled_billing_cycle_when_the_next_term_quantity_changes(pc_client, sbx_store):
    customer, _, sub = place_order(pc_client, sbx_store, quantity=5)
    sbx_store.advance_clock(timedelta(days=8))
    pc_client.update_subscription(customer.id, sub.id, {
        "scheduledNextTermInstructions": {"product": {"billingCycle": "annual"}, "quantity": 5}})
    scheduled = pc_client.schedule_next_term_quantity(customer.id, sub.id, 3).scheduled_next_term_instructions
    assert (scheduled.quantity, scheduled.billing_cycle, scheduled.term_duration) == (3, "annual", "P1Y")


def test_mutations_carry_caller_request_id(pc_client, sbx_store):
    customer = ready_customer(pc_client)
    rid = "0f0e0d0c-0b0a-4909-8807-060504030201"
    cart = pc_client.create_cart(customer.id, [reseller_line_item(catalog_item(pc_client), 1, billing_cycle="monthly", term_duration="P1Y")], request_id=rid)
    same = pc_client.create_cart(customer.id, [reseller_line_item(catalog_item(pc_client), 1, billing_cycle="monthly", term_duration="P1Y")], request_id=rid)
    assert same.id == cart.id  # a resumed job with the stored id gets the same cart
    assert [c["requestId"] for c in sbx_store.calls(method="POST", path=f"/v1/customers/{customer.id}/carts")] == [rid, rid]
    checkout_id = "1f0e0d0c-0b0a-4909-8807-060504030201"
    first = pc_client.checkout_cart(customer.id, cart.id, request_id=checkout_id)
    again = pc_client.checkout_cart(customer.id, cart.id, request_id=checkout_id)
    assert again.orders[0].id == first.orders[0].id
