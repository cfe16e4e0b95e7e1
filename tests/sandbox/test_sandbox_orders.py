"""Carts, checkout and orders."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sandbox.sandbox_support import (MCA_TEMPLATE, catalog_item, create_cart, create_customer, line,
                                                          new_customer_ready_to_buy)

DYNAMICS_FINANCE = "CFQ7TTC0LGX8"  # minimum 20 seats
TEAMS_ROOMS_PRO = "CFQ7TTC0QW5P"   # annual term only


@pytest.fixture
def customer(pc):
    return new_customer_ready_to_buy(pc, "buyerco")


def _errors(response):
    assert response.status_code == 201, response.text
    return [(item.get("error") or {}).get("errorCode") for item in response.json()["lineItems"]]


def test_cart_is_created_active_with_a_seven_day_expiry(pc, customer, sandbox_store):
    response = create_cart(pc, customer, [line(catalog_item(pc), 10)])
    assert response.status_code == 201
    cart = response.json()
    assert cart["status"] == "Active"
    assert cart["lineItems"][0]["catalogItemId"] == catalog_item(pc)
    assert "error" not in cart["lineItems"][0]
    created = cart["creationTimestamp"]
    assert cart["expirationTimestamp"][:10] == (
        sandbox_store.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    assert created
    assert pc.get(f"/v1/customers/{customer}/carts/{cart['id']}").status_code == 200
    sandbox_store.advance_clock(timedelta(days=7, minutes=1))
    assert pc.get(f"/v1/customers/{customer}/carts/{cart['id']}").status_code == 404


@pytest.mark.parametrize("make_line, code", [
    (lambda pc: line("CFQ7TTC0LCHC:0001:NOPE00000000"), 10001),
    (lambda pc: line(catalog_item(pc), 10, term="P1M", cycle="annual"), 10013),
    (lambda pc: line(catalog_item(pc), 301), 10015),
    (lambda pc: line(catalog_item(pc, DYNAMICS_FINANCE), 5), 10018),
    (lambda pc: line(catalog_item(pc), 0), 10010),
    (lambda pc: line(catalog_item(pc), 10, reseller="5550001"), 2072),
    (lambda pc: line(catalog_item(pc), 10, reseller="9999999"), 800015),
    (lambda pc: line(catalog_item(pc), 10, reseller="3456789"), 800016),
])
def test_cart_line_errors(pc, customer, make_line, code):
    assert _errors(create_cart(pc, customer, [make_line(pc)])) == [code]


def test_cart_without_attestation_flags_every_line(pc, customer):
    response = create_cart(pc, customer, [line(catalog_item(pc), 5), line(catalog_item(pc), 6, id=1)],
                           attested=False)
    assert _errors(response) == [10012, 10012]


def test_cart_update_revalidates_lines(pc, customer):
    cart = create_cart(pc, customer, [line(catalog_item(pc), 301)]).json()
    cart["lineItems"] = [line(catalog_item(pc), 30)]
    response = pc.put(f"/v1/customers/{customer}/carts/{cart['id']}", json=cart)
    assert response.status_code == 201
    assert response.json()["lineItems"][0]["quantity"] == 30
    assert "error" not in response.json()["lineItems"][0]


def test_checkout_needs_an_mca_attestation(pc):
    tenant_id = create_customer(pc, "nomca")["id"]
    cart = create_cart(pc, tenant_id, [line(catalog_item(pc), 3)]).json()
    response = pc.post(f"/v1/customers/{tenant_id}/carts/{cart['id']}/checkout")
    assert response.status_code == 403
    assert response.json()["code"] == 13605


def test_checkout_needs_the_current_mca_or_the_customers_own_acceptance(pc, http):
    """An attestation of the MCA's terms before 1 April 2023 no longer buys anything; a customer that
    accepted the MCA itself needs no attestation."""
    tenant_id = create_customer(pc, "oldmca")["id"]
    attested = pc.post(f"/v1/customers/{tenant_id}/agreements", json={
        "primaryContact": {"firstName": "Gena", "lastName": "Soto", "email": "gena@example.com"},
        "templateId": MCA_TEMPLATE, "dateAgreed": "2022-06-01T09:00:00Z", "type": "MicrosoftCustomerAgreement"})
    assert attested.status_code == 201, attested.text
    cart = create_cart(pc, tenant_id, [line(catalog_item(pc), 3)]).json()
    outdated = pc.post(f"/v1/customers/{tenant_id}/carts/{cart['id']}/checkout")
    assert outdated.status_code == 403 and outdated.json()["code"] == 13605

    own = create_customer(pc, "ownmca")["id"]
    assert http.post(f"https://api.partnercenter.microsoft.com/_sandbox/customers/{own}/mca",
                     json={"directSigned": True}).status_code == 200
    cart = create_cart(pc, own, [line(catalog_item(pc), 3)]).json()
    bought = pc.post(f"/v1/customers/{own}/carts/{cart['id']}/checkout")
    assert bought.status_code == 201, bought.text


def test_checkout_refused_while_the_customer_is_under_review(pc, customer, sandbox_store):
    cart = create_cart(pc, customer, [line(catalog_item(pc), 3)]).json()
    sandbox_store.set_under_review(customer, True)
    response = pc.post(f"/v1/customers/{customer}/carts/{cart['id']}/checkout")
    assert response.status_code == 403
    assert response.json()["code"] == 800073
    sandbox_store.set_under_review(customer, False)
    assert pc.post(f"/v1/customers/{customer}/carts/{cart['id']}/checkout").status_code == 201


def test_checkout_is_idempotent_and_a_new_request_id_is_refused(pc, customer, sandbox_store):
    cart = create_cart(pc, customer, [line(catalog_item(pc), 10)]).json()
    path = f"/v1/customers/{customer}/carts/{cart['id']}/checkout"
    first = pc.post(path, request_id="aaaaaaaa-0000-0000-0000-000000000001")
    retry = pc.post(path, request_id="aaaaaaaa-0000-0000-0000-000000000001")
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert len(sandbox_store.documents("order", customer)) == 1
    assert len(sandbox_store.calls(method="POST", path=path)) == 2

    again = pc.post(path, request_id="aaaaaaaa-0000-0000-0000-000000000002")
    assert again.status_code == 400
    assert again.json()["code"] == 800065
    assert len(sandbox_store.documents("order", customer)) == 1


def test_cart_creation_is_idempotent(pc, customer, sandbox_store):
    lines = [line(catalog_item(pc), 10)]
    first = create_cart(pc, customer, lines, request_id="bbbbbbbb-0000-0000-0000-000000000001")
    second = create_cart(pc, customer, lines, request_id="bbbbbbbb-0000-0000-0000-000000000001")
    assert first.json()["id"] == second.json()["id"]
    assert len(sandbox_store.documents("cart", customer)) == 1


def test_order_completes_after_the_delay_and_creates_subscriptions(pc, customer, sandbox_store):
    cart = create_cart(pc, customer, [
        line(catalog_item(pc), 10, friendlyName="Sales team"),
        line(catalog_item(pc, "CFQ7TTC0LH16"), 4, id=1),
        line(catalog_item(pc), 2, cycle="annual", id=2),
    ]).json()
    checkout = pc.post(f"/v1/customers/{customer}/carts/{cart['id']}/checkout")
    assert checkout.status_code == 201
    result = checkout.json()
    assert result["orderErrors"] == []
    assert sorted(o["billingCycle"] for o in result["orders"]) == ["annual", "monthly"]
    monthly = next(o for o in result["orders"] if o["billingCycle"] == "monthly")
    assert monthly["status"] == "pending"
    assert monthly["currencyCode"] == "USD"
    assert [(li["quantity"], li["partnerIdOnRecord"]) for li in monthly["lineItems"]] == [
        (10, "1234567"), (4, "1234567")]
    assert monthly["lineItems"][0]["offerId"] == catalog_item(pc)

    path = f"/v1/customers/{customer}/orders/{monthly['id']}"
    assert pc.get(path).json()["status"] == "pending"
    assert {i["status"] for i in pc.get(f"{path}/provisioningstatus").json()["items"]} == {
        "PrefulfillmentPending"}
    assert pc.get(f"/v1/customers/{customer}/subscriptions",
                  params={"order_id": monthly["id"]}).json()["totalCount"] == 0

    sandbox_store.advance_clock(timedelta(seconds=6))
    order = pc.get(path).json()
    assert order["status"] == "completed"
    assert {i["status"] for i in pc.get(f"{path}/provisioningstatus").json()["items"]} == {"Fulfilled"}
    subs = pc.get(f"/v1/customers/{customer}/subscriptions", params={"order_id": monthly["id"]}).json()
    assert subs["totalCount"] == 2
    by_id = {s["id"]: s for s in subs["items"]}
    assert {li["subscriptionId"] for li in order["lineItems"]} == set(by_id)
    sales = next(s for s in subs["items"] if s["friendlyName"] == "Sales team")
    assert sales["quantity"] == 10
    assert sales["status"] == "active"
    assert sales["termDuration"] == "P1Y"
    assert sales["billingCycle"] == "monthly"
    assert sales["orderId"] == monthly["id"]
    assert sales["partnerId"] == "1234567"
    assert sales["autoRenewEnabled"] is True
    assert sales["refundableQuantity"]["totalQuantity"] == 10
    assert pc.get(f"/v1/customers/{customer}/subscriptions").json()["totalCount"] == 3


def test_partly_invalid_cart_orders_the_valid_lines(pc, customer):
    cart = create_cart(pc, customer, [line(catalog_item(pc), 5), line(catalog_item(pc), 500, id=1)]).json()
    result = pc.post(f"/v1/customers/{customer}/carts/{cart['id']}/checkout").json()
    assert len(result["orders"]) == 1
    assert [e["code"] for e in result["orderErrors"]] == [10015]


def test_offer_not_available_in_the_customers_country(pc, sandbox_store):
    from tests.sandbox.sandbox_support import customer_body

    body = customer_body("gbshop", address={"country": "GB", "state": "", "postalCode": "SW1A 1AA",
                                           "city": "London", "phoneNumber": "+44 20 7946 0000"})
    tenant_id = pc.post("/v1/customers", json=body).json()["id"]
    from tests.sandbox.sandbox_support import attest_mca

    attest_mca(pc, tenant_id)
    cart = create_cart(pc, tenant_id, [line(catalog_item(pc), 3)]).json()
    response = pc.post(f"/v1/customers/{tenant_id}/carts/{cart['id']}/checkout")
    assert response.status_code == 400
    assert response.json()["code"] == 800070
