"""A change sent through the storefront's change job carries the PATCH body the Partner Center client
builds (app.partner_center.subscription_patch_body): what Partner Center already holds for the next
term survives it."""
from __future__ import annotations

from datetime import timedelta

from app.orders.models import Order
from tests.helpers import soup
from tests.support.orders import run_job
from tests.support.subscriptions import form_data, remote


def test_a_scheduled_reduction_keeps_the_billing_plan_already_scheduled_in_partner_center(
        db, reseller_client, sandbox_store, pc_client, bought):
    from app.subscriptions.jobs import refresh_subscriptions

    sandbox_store.advance_clock(timedelta(days=8))  # outside the window: a reduction is scheduled
    # In Partner Center, someone switched the next term to annual billing.
    pc_client.update_subscription(bought.tenant_id, bought.ms_subscription_id, {
        "scheduledNextTermInstructions": {"product": {"billingCycle": "annual"}, "quantity": 10}})
    assert refresh_subscriptions()["changed"] == 1  # the storefront holds the current etag
    before = remote(sandbox_store, bought)["scheduledNextTermInstructions"]
    assert before["product"]["billingCycle"] == "annual"

    page = soup(reseller_client.get(f"/subscriptions/{bought.id}"))
    data = form_data(page, f"/subscriptions/{bought.id}/schedule")
    response = reseller_client.post(f"/subscriptions/{bought.id}/schedule", {**data, "schedule-quantity": "8"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    order = db.session.scalar(db.select(Order).where(Order.number == response.headers["Location"].rsplit("/", 1)[1]))
    assert run_job(order.id) == "completed"

    after = remote(sandbox_store, bought)
    assert after["scheduledNextTermInstructions"] == {"product": before["product"], "quantity": 8}
    assert after["quantity"] == 10 and after["billingCycle"] == "monthly"
    [patch] = sandbox_store.calls(method="PATCH")[-1:]
    assert patch["status"] == 200
