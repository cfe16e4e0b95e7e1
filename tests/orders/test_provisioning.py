"""The provisioning job against the sandbox: what Microsoft receives, and what the storefront records."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from rq.job import Job

from app import live
from app.accounts.models import Tenant
from app.audit.models import AuditEvent
from app.accounts.models import Notification
from app.orders.models import Order
from app.subscriptions.models import Agreement, Subscription
from tests.support.orders import (ADATUM_TENANT, EXCHANGE, existing_customer, line, place, reseller_request,
                                   customer_request, run_job, work)


def test_reseller_new_tenant_is_provisioned_end_to_end(demo, db, redis, sandbox_store):
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    order = place(db, reseller_request(db, domain="fabrikamcloud.onmicrosoft.com",
                                       lines=[line(quantity=5), line(**EXCHANGE, quantity=2, plan="annual")]))
    pubsub.subscribe(live.channel("order", order.id))
    work(redis)  # the real RQ worker code path, in this process
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "completed" and order.completed_at is not None
    assert [s.status for s in order.steps] == ["done"] * 6

    # Microsoft: one customer, associated with the reseller; the MCA attested; the reseller on record.
    tenants = [t for t in sandbox_store.documents("tenant") if t["domain"] == "fabrikamcloud.onmicrosoft.com"]
    assert len(tenants) == 1 and tenants[0]["associatedPartnerId"] == ADATUM_TENANT
    assert order.tenant_id == tenants[0]["id"]
    agreements = sandbox_store.documents("agreement", tenants[0]["id"])
    assert len(agreements) == 1 and agreements[0]["primaryContact"]["email"] == "it@fabrikam.example.com"
    carts = sandbox_store.documents("cart", tenants[0]["id"])
    assert len(carts) == 1
    assert [li["participants"] for li in carts[0]["lineItems"]] == [
        [{"key": "transaction_reseller", "value": "1234567"}]] * 2
    assert len(sandbox_store.documents("order", tenants[0]["id"])) == 2  # one per billing cycle

    # The storefront: subscriptions, one agreement per product line, the tenant, a notification.
    subs = db.session.scalars(db.select(Subscription).order_by(Subscription.product_title)).all()
    assert [(s.product_title, s.quantity, s.billing_plan, s.term_duration) for s in subs] == [
        ("Exchange Online (Plan 1)", 2, "annual", "P1Y"), ("Microsoft 365 Business Basic", 5, "monthly", "P1Y")]
    assert all(s.status == "active" and s.auto_renew and s.commitment_end_date for s in subs)
    assert {s.ms_subscription_id for s in subs} == {s["id"] for s in sandbox_store.documents("subscription", order.tenant_id)}
    families = {a.family: a for a in db.session.scalars(db.select(Agreement))}
    assert set(families) == {"Microsoft 365", "Exchange"}
    assert all(a.licensee_id == order.licensee_id and a.tenant_id == order.tenant_id for a in families.values())
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == "fabrikamcloud.onmicrosoft.com"))
    assert tenant.tenant_id == order.tenant_id and tenant.account_id == order.account_id
    assert tenant.licensee_id == order.licensee_id
    notes = db.session.scalars(db.select(Notification).order_by(Notification.id)).all()
    assert [n.title for n in notes] == [f"Order {order.number} placed", f"Order {order.number} completed"]
    note = notes[-1]
    assert note.user_id == order.user_id and note.category == "orders"
    assert note.link == f"/orders/{order.number}"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "order_completed")).subject == order.number
    assert order.admin_user_name and order.admin_password_encrypted  # returned once by Microsoft, kept encrypted
    # Each change was pushed to open pages.
    messages = [pubsub.get_message(timeout=0.2) for _ in range(5)]
    assert {"event": "progress"} in [json.loads(m["data"]) for m in messages if m]


def test_direct_customer_existing_tenant_has_no_reseller_on_record(demo, db, redis, sandbox_store, pc_client):
    tenant_id = existing_customer(pc_client, "tailspintoys", reseller=False)
    order = place(db, customer_request(db, domain="tailspintoys.onmicrosoft.com", tenant_id=tenant_id))
    assert run_job(order.id) == "completed"
    assert len(sandbox_store.calls(method="POST", path="/v1/customers")) == 1  # only the scene-setting one
    cart = sandbox_store.documents("cart", tenant_id)[0]
    assert cart["lineItems"][0]["participants"] == []
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 1
    assert db.session.scalar(db.select(Agreement)).licensee_id is None


def test_an_mca_already_attested_with_the_same_contact_counts_as_done(demo, db, sandbox_store, pc_client):
    tenant_id = existing_customer(pc_client, "attested")
    request = reseller_request(db, domain="attested.onmicrosoft.com", tenant_mode="existing", tenant_id=tenant_id)
    pc_client.attest_agreement(tenant_id, contact={k: request.mca[k] for k in ("firstName", "lastName", "email", "phoneNumber")},
                               template_id=request.mca["templateId"])
    order = place(db, request)
    assert run_job(order.id) == "completed"
    step = order.step("attest_mca")
    assert step.status == "done" and step.result["alreadyAttested"] is True and step.result["how"] == "current"
    # Read back, found current: nothing attested again.
    assert len(sandbox_store.calls(method="POST", path=f"/v1/customers/{tenant_id}/agreements")) == 1
    assert sandbox_store.calls(method="POST", path="/v1/attestations/enhanced") == []
    # Microsoft takes the order on the customer's own acceptance.
    assert len(sandbox_store.documents("order", tenant_id)) == 1


def test_the_mca_is_attested_with_the_enhanced_attestation(demo, db, sandbox_store):
    order = place(db, reseller_request(db, domain="enhancedmca.onmicrosoft.com"))
    assert run_job(order.id) == "completed"
    step = order.step("attest_mca")
    attestations = sandbox_store.documents("attestation")
    assert len(attestations) == 1 and step.result["attestationId"] == attestations[0]["attestationId"]
    assert attestations[0]["country"] == order.country and attestations[0]["companyName"] == order.company_name
    agreements = sandbox_store.documents("agreement", order.tenant_id)
    assert [a["attestationId"] for a in agreements] == [attestations[0]["attestationId"]]


def test_an_attestation_older_than_microsoft_accepts_is_renewed(demo, db, sandbox_store, pc_client):
    tenant_id = existing_customer(pc_client, "oldmca")
    request = reseller_request(db, domain="oldmca.onmicrosoft.com", tenant_mode="existing", tenant_id=tenant_id)
    contact = {k: request.mca[k] for k in ("firstName", "lastName", "email", "phoneNumber")}
    pc_client.attest_agreement(tenant_id, contact=contact, template_id=request.mca["templateId"],
                               date_agreed=datetime(2022, 6, 1, tzinfo=timezone.utc))
    order = place(db, request)
    assert run_job(order.id) == "completed"
    assert order.step("attest_mca").result["how"] == "renewed"
    dates = sorted(a["dateAgreed"][:4] for a in sandbox_store.documents("agreement", tenant_id))
    assert dates[0] == "2022" and dates[1] >= "2023"  # the renewal carries the buyer's acceptance date


def test_a_customer_who_accepted_the_mca_itself_is_not_attested(demo, db, sandbox_store, pc_client, app):
    from app.connections.services import in_process_sandbox

    tenant_id = existing_customer(pc_client, "selfsigned")
    # Microsoft's side: the customer accepted the MCA in the Microsoft 365 admin center.
    assert in_process_sandbox(app).test_client().post(f"/_sandbox/customers/{tenant_id}/mca", json={"directSigned": True}).status_code == 200
    order = place(db, reseller_request(db, domain="selfsigned.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id))
    run_job(order.id)
    step = order.step("attest_mca")
    assert step.status == "done" and step.result["how"] == "direct_signed"
    assert sandbox_store.documents("agreement", tenant_id) == []
    assert sandbox_store.calls(method="POST", path="/v1/attestations/enhanced") == []


def test_while_microsoft_fulfils_the_job_is_scheduled_again_not_sleeping(demo, db, redis, sandbox_store, app):
    app.extensions["partner_center_sandbox"].config["SANDBOX_ORDER_DELAY_SECONDS"] = 600
    order = place(db, reseller_request(db, domain="slowfulfil.onmicrosoft.com"))
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "processing"
    step = order.step("wait_fulfillment")
    assert step.status == "pending" and step.error == "Microsoft is still fulfilling the order."
    job = Job.fetch(f"provision-order-{order.id}", connection=redis)
    assert job.get_status() == "scheduled"  # the worker's scheduler runs it again in a few seconds
    sandbox_store.advance_clock(timedelta(minutes=11))
    assert run_job(order.id) == "completed"
    assert len(sandbox_store.documents("order", order.tenant_id)) == 1


def test_throttling_reschedules_after_retry_after(demo, db, redis, sandbox_store):
    order = place(db, reseller_request(db, domain="throttled.onmicrosoft.com"))
    # Retry-After beyond what the client waits itself: the job must reschedule.
    sandbox_store.inject_fault("POST", "/v1/customers", "429", count=1, retry_after=120)
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "processing" and order.step("create_customer").status == "pending"
    job = Job.fetch(f"provision-order-{order.id}", connection=redis)
    assert job.get_status() == "scheduled" and job.repeat_intervals == [120]
    assert run_job(order.id) == "completed"
    assert len([t for t in sandbox_store.documents("tenant") if t["domain"] == "throttled.onmicrosoft.com"]) == 1


@pytest.mark.parametrize("registration_id, expected", [
    (None, "requires a company registration ID"), ("12-34", "is not valid for customers in Poland. Microsoft expects 10 digits."),
])
def test_registration_id_problems_ask_for_a_change(demo, db, registration_id, expected):
    from tests.support.orders import licensee

    litware = licensee(db, "Litware, Inc.")
    order = place(db, reseller_request(
        db, domain="litwarepl.onmicrosoft.com", licensee_id=litware.id, company_name="Litware, Inc.", country="PL",
        registration_id=registration_id, phone="+48 22 555 0134",
        address={"addressLine1": "ul. Marszalkowska 100", "city": "Warszawa", "postalCode": "00-026", "country": "PL"},
        lines=[line(currency="PLN", price="25.00")]))
    assert run_job(order.id) == "querying"
    assert expected in order.reason and order.blocked_field == "registration_id"
    assert any("registration ID" in s for s in order.steps_to_take)


def test_an_unknown_reseller_makes_the_order_query(demo, db, sandbox_store, pc_client):
    from app.accounts.models import Account

    # The reseller's own partner ID, which Microsoft no longer accepts (its MPA lapsed for the region).
    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    adatum.partner_id = "3456789"
    db.session.commit()
    tenant_id = existing_customer(pc_client, "badpartner")
    order = place(db, reseller_request(db, domain="badpartner.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id, partner_id="3456789"))
    assert run_job(order.id) == "querying"
    assert order.reason_code == "partner_id_invalid" and "3456789" in order.reason
    assert order.step("create_cart").status == "blocked"


def test_a_refusal_nobody_can_fix_fails_the_order_in_plain_words(demo, db, pc_client):
    tenant_id = existing_customer(pc_client, "toomany")
    order = place(db, reseller_request(db, domain="toomany.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id, lines=[line(quantity=300000)]))
    assert run_job(order.id) == "failed"
    assert order.reason.startswith("Microsoft refused the cart: Microsoft 365 Business Basic: Quantity 300000 exceeds")
    titles = db.session.scalars(db.select(Notification.title).order_by(Notification.id)).all()
    assert titles == [f"Order {order.number} placed", f"Order {order.number} failed"]
