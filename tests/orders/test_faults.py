"""Faults during provisioning: each ends with exactly one customer, one order and the right subscriptions.

(The killed worker is in test_worker_killed.py.)
"""
from __future__ import annotations

import pytest

from app.orders.models import Order
from app.partner_center import PartnerCenterUnavailable
from tests.support.orders import (EXCHANGE, assert_exactly_one_of_everything, client_options, line, place,
                                  reseller_request, run_job)


@pytest.fixture
def one_attempt(app):
    """The client gives up after one attempt, so the JOB has to retry (and resume)."""
    client_options(app, max_attempts=1)


def test_checkout_answering_500_twice_then_succeeding_gives_one_order(demo, db, sandbox_store, one_attempt):
    order = place(db, reseller_request(db, domain="fivehundred.onmicrosoft.com"))
    # Attestation and cart creation pass; the next two POSTs under /v1/customers/ (checkout) fail.
    sandbox_store.inject_fault("POST", "/v1/customers/", "slow", count=2, delay=0.0)
    sandbox_store.inject_fault("POST", "/v1/customers/", "500", count=2)
    for _ in range(2):
        with pytest.raises(PartnerCenterUnavailable):
            run_job(order.id)  # the job fails; RQ would retry it (or the sweep re-enqueue it)
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == "processing"
        # It answered, with an error on its side: not "did not answer".
        assert db.session.get(Order, order.id).step("checkout").error == (
            "Partner Center answered with an error on Microsoft's side (HTTP 500); the step will be tried again "
            "with the same request.")
    assert run_job(order.id) == "completed"
    checkouts = [c for c in sandbox_store.calls(method="POST") if c["path"].endswith("/checkout")]
    assert [c["status"] for c in checkouts] == [500, 500, 201]
    assert len({c["requestId"] for c in checkouts}) == 1  # the same MS-RequestId every time
    order = assert_exactly_one_of_everything(db, sandbox_store, order, "fivehundred.onmicrosoft.com",
                                              [("Microsoft 365 Business Basic", 5)])
    assert order.step("checkout").attempts == 3


def test_checkout_500s_are_retried_by_the_client_with_the_same_request_id(demo, db, sandbox_store):
    order = place(db, reseller_request(db, domain="clientretry.onmicrosoft.com"))
    sandbox_store.inject_fault("POST", "/v1/customers/", "slow", count=2, delay=0.0)
    sandbox_store.inject_fault("POST", "/v1/customers/", "500", count=2)
    assert run_job(order.id) == "completed"
    checkouts = [c for c in sandbox_store.calls(method="POST") if c["path"].endswith("/checkout")]
    assert [c["status"] for c in checkouts] == [500, 500, 201] and len({c["requestId"] for c in checkouts}) == 1
    assert_exactly_one_of_everything(db, sandbox_store, order, "clientretry.onmicrosoft.com",
                                      [("Microsoft 365 Business Basic", 5)])


def test_a_timeout_on_customer_creation_is_retried_with_the_same_request_id(demo, db, sandbox_store, app, one_attempt):
    client_options(app, timeout=0.5)
    order = place(db, reseller_request(db, domain="timedout.onmicrosoft.com",
                                       lines=[line(quantity=5), line(**EXCHANGE, quantity=2)]))
    # Microsoft creates the customer, but answers after we stopped waiting.
    sandbox_store.inject_fault("POST", "/v1/customers", "slow", count=1, delay=1.0)
    with pytest.raises(PartnerCenterUnavailable):
        run_job(order.id)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    step = order.step("create_customer")
    assert order.status == "processing" and step.status == "pending" and step.attempts == 1
    assert step.error == "Partner Center did not answer in time; the step will be tried again with the same request."
    assert len([t for t in sandbox_store.documents("tenant") if t["domain"] == "timedout.onmicrosoft.com"]) == 1
    assert run_job(order.id) == "completed"
    creations = sandbox_store.calls(method="POST", path="/v1/customers")
    assert len(creations) == 2 and creations[0]["requestId"] == creations[1]["requestId"] == step.ms_request_id
    assert_exactly_one_of_everything(db, sandbox_store, order, "timedout.onmicrosoft.com",
                                      [("Exchange Online (Plan 1)", 2), ("Microsoft 365 Business Basic", 5)])


def test_the_sweep_re_enqueues_a_job_left_started_by_a_dead_worker_but_not_a_live_one(demo, db, redis):
    from rq import Worker
    from rq.job import Job

    from app.jobs import get_queue
    from app.orders.sweep import sweep_orders
    from tests.support.orders import work

    order = place(db, reseller_request(db, domain="sweepme.onmicrosoft.com"))
    job = Job.fetch(f"provision-order-{order.id}", connection=redis)
    alive = Worker([get_queue()], connection=redis, name="storefront-test-alive")
    alive.register_birth()
    try:
        job.set_status("started")
        job.worker_name = alive.name
        job.save()
        assert sweep_orders() == []  # its worker lives: leave it alone
    finally:
        alive.register_death()
    job.worker_name = "storefront-gone-4242"
    job.save()
    assert sweep_orders() == [order.number]
    assert Job.fetch(f"provision-order-{order.id}", connection=redis).get_status() == "queued"
    work(redis)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"
