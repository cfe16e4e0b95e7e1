"""The seed's customers that only Partner Center knows (for the operator's tools), and changing a
subscription in Partner Center itself from the controls (what makes the storefront drift)."""
from __future__ import annotations

from bs4 import BeautifulSoup

from tests.sandbox.sandbox_support import hidden_fields

WWI_TENANT = "9d4c1a7e-3b2f-4e6d-8a5c-7f1e2d3c4b5a"
ALPINE_TENANT = "2a7b3c9d-5e1f-4a2b-8c3d-4e5f6a7b8c9d"
ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
CONTROLS = "https://api.partnercenter.microsoft.com/_sandbox"


def test_the_seed_has_a_direct_and_an_indirect_customer_with_a_subscription_each(pc):
    customers = {c["companyProfile"]["domain"]: c for c in pc.get("/v1/customers").json()["items"]}
    assert set(customers) == {"wideworldimporters.onmicrosoft.com", "alpineskihouse.onmicrosoft.com"}
    assert customers["wideworldimporters.onmicrosoft.com"]["companyProfile"]["companyName"] == "Wide World Importers"
    [wwi] = pc.get(f"/v1/customers/{WWI_TENANT}/subscriptions").json()["items"]
    assert (wwi["offerName"], wwi["quantity"], wwi["status"], wwi["autoRenewEnabled"]) == (
        "Microsoft 365 Business Standard", 12, "active", True)
    assert wwi["refundableQuantity"]["totalQuantity"] == 0  # bought 40 days ago: outside its 7-day window
    [alpine] = pc.get(f"/v1/customers/{ALPINE_TENANT}/subscriptions").json()["items"]
    assert (alpine["offerName"], alpine["quantity"], alpine["partnerId"]) == ("Microsoft 365 Business Premium", 8,
                                                                              "1234567")
    resellers = pc.get(f"/v1/customers/{ALPINE_TENANT}/relationships").json()["items"]
    assert [r["id"] for r in resellers] == [ADATUM_TENANT]
    assert pc.get(f"/v1/customers/{WWI_TENANT}/relationships").json()["items"] == []
    by_reseller = pc.get("/v1/customers", params={"filter": '{"Field": "IndirectReseller", "Value": "%s", '
                                                         '"Operator": "starts_with"}' % ADATUM_TENANT}).json()
    assert [c["id"] for c in by_reseller["items"]] == [ALPINE_TENANT]


def test_the_controls_change_seats_and_auto_renewal_in_partner_center(sandbox_app, sandbox_store, pc):
    [before] = pc.get(f"/v1/customers/{WWI_TENANT}/subscriptions").json()["items"]
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        form = page.select_one("#subscription-drift form")
        options = [o.get_text() for o in form.select("#drift-subscription option")]
        assert "Wide World Importers: Microsoft 365 Business Standard (12 seats, auto-renewal on)" in options
        response = browser.post(form["action"], data={**hidden_fields(form), "subscriptionId": before["id"],
                                                      "quantity": "15", "autoRenewEnabled": "false"},
                                follow_redirects=True)
        assert "now has 15 seats, auto-renewal off" in response.get_data(as_text=True)
        refused = browser.post(form["action"], data={**hidden_fields(form), "subscriptionId": before["id"],
                                                     "quantity": "0", "autoRenewEnabled": ""}, follow_redirects=True)
        assert "Nothing changed: seats must be between 1 and 300." in refused.get_data(as_text=True)
        again = BeautifulSoup(refused.data, "html.parser")  # said at the field, what was typed kept
        assert again.select_one("#drift-quantity-error").get_text() == "Nothing changed: seats must be between 1 and 300."
        assert again.select_one("#drift-quantity")["value"] == "0"
        assert again.select_one("#drift-subscription option[selected]")["value"] == before["id"]
        # Neither seats nor an auto-renewal: said at the form, the subscription left as it is (its etag too).
        unchanged = pc.get(f"/v1/customers/{WWI_TENANT}/subscriptions/{before['id']}").json()
        nothing = browser.post(form["action"], data={**hidden_fields(form), "subscriptionId": before["id"],
                                                    "quantity": "", "autoRenewEnabled": ""})
        assert nothing.status_code == 422
        assert BeautifulSoup(nothing.data, "html.parser").select_one("#drift-quantity-error").get_text() == (
            "Nothing changed: give the seats, an auto-renewal, or both.")
        assert pc.get(f"/v1/customers/{WWI_TENANT}/subscriptions/{before['id']}").json() == unchanged
        without_token = browser.post(form["action"], data={"subscriptionId": before["id"], "quantity": "3"})
        assert without_token.status_code == 400
    after = pc.get(f"/v1/customers/{WWI_TENANT}/subscriptions/{before['id']}").json()
    assert (after["quantity"], after["autoRenewEnabled"]) == (15, False)
    assert after["attributes"]["etag"] != before["attributes"]["etag"]  # a change the storefront has not seen
    assert after["refundableQuantity"]["totalQuantity"] == 3  # the added seats are a new batch of today


def test_the_json_control_changes_a_subscription(http, pc):
    [sub] = pc.get(f"/v1/customers/{ALPINE_TENANT}/subscriptions").json()["items"]
    answer = http.post(f"{CONTROLS}/subscriptions/{sub['id']}", json={"quantity": 6, "autoRenewEnabled": False})
    assert answer.status_code == 200 and answer.json()["quantity"] == 6
    assert pc.get(f"/v1/customers/{ALPINE_TENANT}/subscriptions/{sub['id']}").json()["autoRenewEnabled"] is False
    assert http.post(f"{CONTROLS}/subscriptions/no-such-subscription", json={"quantity": 2}).status_code == 404
