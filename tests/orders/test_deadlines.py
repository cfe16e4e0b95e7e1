"""No order waits forever: past the fulfilment or the order deadline it fails with the reason, the
operator's admins are notified, and Retry on the stuck-work page resumes it with the same request ids.

Time: the deadlines compare the storefront's clock with stored times, so the tests pass `now` to
the sweep (or set a stored start back); Microsoft's side moves with the sandbox clock.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job

from app.accounts.models import User, utcnow
from app.audit.models import AuditEvent
from app.orders.deadlines import FULFILLMENT_DEADLINE, ORDER_DEADLINE
from app.orders.engine import provision_order
from app.orders.sweep import sweep_orders
from app.accounts.models import Notification
from app.orders.models import Order
from app.partner_center import PartnerCenterUnavailable
from tests.helpers import soup, text_of
from tests.support.orders import client_options, place, reseller_request, work

FULFILLMENT_REASON = ("Partner Center did not confirm the order within 24 hours; it may still complete there. "
                      "The operator has been told: it checks the order in Partner Center and retries it from "
                      "Stuck work.")


@pytest.fixture
def app_config():
    # Microsoft keeps new orders pending for four days (sandbox clock) unless a test moves its clock.
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 4 * 24 * 3600},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


def _order(db, order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _notifications(db, email):
    user = db.session.scalar(db.select(User).where(User.email == email))
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def _retry(operator_client, order):
    page = operator_client.get("/admin/stuck")
    form = soup(page).select_one(f"#stuck-order-{order.number} form")
    assert form is not None and form["method"] == "post", "a plain form: Retry works without JavaScript"
    return operator_client.post(form["action"], {})


def test_an_order_microsoft_does_not_fulfil_within_24_hours_fails_and_retry_completes_it(
        demo, db, redis, sandbox_store, operator_client):
    order = place(db, reseller_request(db, domain="slowfulfil.onmicrosoft.com"))
    assert provision_order(order.id) == "waiting"
    waiting_since = _order(db, order.id).step("wait_fulfillment").started_at

    assert sweep_orders(now=waiting_since + FULFILLMENT_DEADLINE - timedelta(minutes=1)) == []
    assert _order(db, order.id).status == "processing"

    sweep_orders(now=waiting_since + FULFILLMENT_DEADLINE + timedelta(minutes=1))
    order = _order(db, order.id)
    assert (order.status, order.reason_code, order.reason) == ("failed", "fulfillment_deadline", FULFILLMENT_REASON)
    assert order.step("wait_fulfillment").status == "failed"
    # Every operator admin is told, with a link to the stuck-work page; the buyer sees the failure.
    told = _notifications(db, "admin@example.com")
    assert [(n.title, n.body, n.link) for n in told] == [
        (f"Order {order.number} stopped at its deadline", FULFILLMENT_REASON, "/admin/stuck")]
    assert [n.title for n in _notifications(db, "reseller@example.com")] == [f"Order {order.number} placed",
                                                                           f"Order {order.number} failed"]
    assert not _notifications(db, "operator-member@example.com")

    page = operator_client.get("/admin/stuck")
    row = soup(page).select_one(f"#stuck-order-{order.number}")
    assert row is not None and row.select_one(".stuck-reason").get_text(strip=True) == FULFILLMENT_REASON
    assert row.select_one(".stuck-age").get_text(strip=True).endswith("min")  # placed a moment ago

    assert _retry(operator_client, order).status_code == 302
    order = _order(db, order.id)
    assert order.status == "processing" and order.reason is None
    assert order.step("wait_fulfillment").status == "pending"
    retried = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "order_retried"))
    assert retried.subject == order.number and retried.actor.email == "admin@example.com"
    assert retried.details["code"] == "fulfillment_deadline"

    sandbox_store.advance_clock(timedelta(days=5))  # Microsoft fulfils it at last
    work(redis)
    order = _order(db, order.id)
    assert order.status == "completed", order.reason
    assert len(sandbox_store.documents("order", order.tenant_id)) == 1
    checkouts = [c for c in sandbox_store.calls(method="POST") if c["path"].endswith("/checkout")]
    assert len(checkouts) == 1, "the retry waited for the same order; it did not buy again"
    assert soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-order-{order.number}") is None


def test_an_order_partner_center_keeps_failing_stops_at_the_order_deadline_and_resumes_with_the_same_request(
        demo, db, redis, app, sandbox_store, operator_client):
    client_options(app, max_attempts=1)
    order = place(db, reseller_request(db, domain="alwaysfivehundred.onmicrosoft.com"))
    sandbox_store.inject_fault("POST", "/v1/customers", "500", count=100)
    for _ in range(3):
        with pytest.raises(PartnerCenterUnavailable):
            provision_order(order.id)
    since = _order(db, order.id).processing_since

    Job.fetch(f"provision-order-{order.id}", connection=redis).delete()  # the job keeps disappearing
    assert sweep_orders(now=since + ORDER_DEADLINE - timedelta(minutes=1)) == [order.number]
    assert sweep_orders(now=since + ORDER_DEADLINE + timedelta(minutes=1)) == [], "not re-enqueued past it"
    order = _order(db, order.id)
    assert (order.status, order.reason_code) == ("failed", "order_deadline")
    assert order.reason == (
        "Provisioning did not finish within 72 hours: the step “Create the customer tenant” was tried 3 times "
        "without a definite answer from Partner Center. Nothing more is tried automatically. The operator has been "
        "told: it checks the order in Partner Center and retries it from Stuck work (it resumes with the same "
        "request ids, so nothing is created twice).")
    assert [n.body for n in _notifications(db, "admin@example.com")] == [order.reason]
    assert sweep_orders(now=since + ORDER_DEADLINE + timedelta(hours=1)) == []

    sandbox_store.clear_faults()
    assert _retry(operator_client, order).status_code == 302
    work(redis)  # up to the wait for Microsoft
    sandbox_store.advance_clock(timedelta(days=5))
    assert provision_order(order.id) == "completed"
    order = _order(db, order.id)
    creations = sandbox_store.calls(method="POST", path="/v1/customers")
    assert [c["status"] for c in creations] == [500, 500, 500, 201]
    assert {c["requestId"] for c in creations} == {order.step("create_customer").ms_request_id}
    assert len([t for t in sandbox_store.documents("tenant") if t["domain"] == order.domain]) == 1


def test_the_job_itself_fails_an_order_past_the_fulfilment_deadline(demo, db, sandbox_store):
    order = place(db, reseller_request(db, domain="latejob.onmicrosoft.com"))
    assert provision_order(order.id) == "waiting"
    step = _order(db, order.id).step("wait_fulfillment")
    step.started_at = utcnow() - FULFILLMENT_DEADLINE - timedelta(minutes=1)  # it has waited a day already
    db.session.commit()
    calls = len(sandbox_store.calls())
    assert provision_order(order.id) == "failed"
    assert _order(db, order.id).reason == FULFILLMENT_REASON
    assert len(sandbox_store.calls()) == calls, "no more calls once the deadline has passed"


def test_time_spent_querying_does_not_count_against_the_order_deadline(demo, db, sandbox_store):
    from app.audit.services import Origin
    from app.orders.querying import process
    from app.orders.transitions import set_querying

    order = place(db, reseller_request(db, domain="waitedforaperson.onmicrosoft.com"))
    set_querying(order, code="mca_missing", reason="The customer has not accepted the MCA.", steps=[])
    order.processing_since = utcnow() - timedelta(days=5)  # it has waited five days for a person
    db.session.commit()
    process(order, actor=db.session.scalar(db.select(User).where(User.email == "reseller@example.com")),
            origin=Origin("127.0.0.1", "pytest"))
    assert utcnow() - _order(db, order.id).processing_since < timedelta(minutes=1)
    sweep_orders(now=utcnow() + timedelta(hours=1))
    assert _order(db, order.id).status == "processing"


def test_an_order_left_without_a_job_is_listed_and_retry_enqueues_it(
        demo, db, redis, sandbox_store, operator_client, operator_member_client, reseller_client):
    order = place(db, reseller_request(db, domain="nojob.onmicrosoft.com"))
    Job.fetch(f"provision-order-{order.id}", connection=redis).delete()  # lost with Redis, no sweep since
    order.processing_since = utcnow() - timedelta(minutes=20)
    db.session.commit()

    page = operator_client.get("/admin/stuck")
    row = soup(page).select_one(f"#stuck-order-{order.number}")
    assert row is not None and "No provisioning job is queued, scheduled or running" in row.get_text()
    assert row.select_one(".stuck-age").get_text(strip=True) == "20 min"

    # Operator members read the page but cannot retry; buyers do not see it at all.
    member_page = operator_member_client.get("/admin/stuck")
    assert member_page.status_code == 200
    assert soup(member_page).select_one(f"#stuck-order-{order.number}") is not None
    assert soup(member_page).select_one(f"#stuck-order-{order.number} form") is None
    assert operator_member_client.post(f"/admin/stuck/orders/{order.number}/retry", {}).status_code == 403
    assert reseller_client.get("/admin/stuck").status_code == 403
    assert reseller_client.post(f"/admin/stuck/orders/{order.number}/retry", {}).status_code == 403
    # Retry is a POST with the CSRF token.
    assert operator_client.post(f"/admin/stuck/orders/{order.number}/retry", {}, csrf=False).status_code == 400
    assert _order(db, order.id).processing_since < utcnow() - timedelta(minutes=15)

    response = _retry(operator_client, order)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/stuck")
    assert f"Order {order.number} is processing again" in text_of(operator_client.get("/admin/stuck"))
    assert Job.fetch(f"provision-order-{order.id}", connection=redis).get_status() == "queued"
    work(redis)  # the worker ran it up to the wait for Microsoft, and scheduled itself again
    assert _order(db, order.id).step("checkout").status == "done"
    sandbox_store.advance_clock(timedelta(days=5))
    assert provision_order(order.id) == "completed"


def test_the_page_never_cleans_the_queue_itself(demo, db, redis, operator_client):
    """A GET never writes: a job left 'started' by a dead worker is only reported (the sweep removes it)."""
    order = place(db, reseller_request(db, domain="deadworker.onmicrosoft.com"))
    job = Job.fetch(f"provision-order-{order.id}", connection=redis)
    job.set_status("started")
    job.worker_name = "storefront-gone-4242"
    job.save()
    order.processing_since = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-order-{order.number}") is not None
    assert Job.fetch(f"provision-order-{order.id}", connection=redis).get_status() == "started"


def test_other_failed_orders_are_not_stuck_work(demo, db, operator_client):
    from app.orders.transitions import set_failed

    order = place(db, reseller_request(db, domain="refused.onmicrosoft.com"))
    set_failed(order, "Microsoft refused the order: the offer is not available.", code="800070")
    db.session.commit()
    assert soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-order-{order.number}") is None
    response = operator_client.post(f"/admin/stuck/orders/{order.number}/retry", {})
    assert response.status_code == 302
    assert _order(db, order.id).status == "failed"
    assert "there is nothing to retry" in text_of(operator_client.get("/admin/stuck"))
