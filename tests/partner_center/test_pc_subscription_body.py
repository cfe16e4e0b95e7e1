"""The PATCH body of a subscription change (subscription_patch_body): the whole resource as Partner
Center gave it, with the change applied under the casing the resource uses."""

from app.partner_center import Subscription, subscription_patch_body

OFFER = "CFQ7TTC0LH18:0001:CFQ7TTC0211C"


def resource(**overrides):
    raw = {"id": "sub-1", "offerId": OFFER, "quantity": 10, "friendlyName": "Sales", "autoRenewEnabled": True,
           "billingCycle": "monthly", "termDuration": "P1Y", "status": "active",
           "scheduledNextTermInstructions": {"product": {"productId": "CFQ7TTC0LH18", "skuId": "0001",
                                                         "availabilityId": "CFQ7TTC0211C", "billingCycle": "annual",
                                                         "termDuration": "P1Y"}, "quantity": 10},
           "attributes": {"etag": "e1", "objectType": "Subscription"}}
    raw.update(overrides)
    return Subscription.from_json(raw)


def test_a_change_keeps_every_other_field_including_the_scheduled_instructions():
    current = resource()
    body = subscription_patch_body(current, friendly_name="Finance")
    assert body == {**current.raw, "friendlyName": "Finance"}
    assert subscription_patch_body(current, quantity=12)["scheduledNextTermInstructions"] == \
        current.raw["scheduledNextTermInstructions"]


def test_pascal_case_fields_are_replaced_not_doubled():
    current = Subscription.from_json({"Id": "sub-1", "OfferId": OFFER, "Quantity": 10, "AutoRenewEnabled": False,
                                      "Status": "active"})
    body = subscription_patch_body(current, quantity=12, auto_renew=True, status="deleted")
    assert body == {"Id": "sub-1", "OfferId": OFFER, "Quantity": 12, "AutoRenewEnabled": True, "Status": "deleted"}


def test_a_next_term_quantity_keeps_what_is_already_scheduled_and_turns_auto_renew_on():
    body = subscription_patch_body(resource(autoRenewEnabled=False), next_term_quantity=8)
    assert body["autoRenewEnabled"] is True
    assert body["scheduledNextTermInstructions"] == {
        "product": {"productId": "CFQ7TTC0LH18", "skuId": "0001", "availabilityId": "CFQ7TTC0211C",
                    "billingCycle": "annual", "termDuration": "P1Y"},
        "quantity": 8}
    # Nothing scheduled yet: the current product, term and billing cycle.
    fresh = subscription_patch_body(resource(scheduledNextTermInstructions=None), next_term_quantity=8)
    assert fresh["scheduledNextTermInstructions"]["product"]["billingCycle"] == "monthly"

