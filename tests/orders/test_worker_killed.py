"""The worker is killed mid-provisioning and restarted: exactly one customer, one order and the
right subscriptions in the sandbox, and the order completed.

The real worker (worker.py) runs in its own process group, sharing this test's database, Redis
and sandbox store (the same instance path). It is killed with SIGKILL in the middle of a slow
Partner Center call; a new worker is started, and the sweep re-enqueues the order whose job died
with the first worker.
"""
from __future__ import annotations

import pytest

from app.orders.models import Order
from tests.support.orders import EXCHANGE, assert_exactly_one_of_everything, line, place, reseller_request
from tests.support.waiting import wait_until
from tests.support.worker import kill_worker, start_worker, stop_worker

# The worker process reads what this test writes: committed, on a database file or server.
pytestmark = pytest.mark.commits


@pytest.fixture
def app_config(database):
    """A file database and a queue of our own, shared with the worker process. Microsoft fulfils
    orders at once: the restarted worker finishes in one run, without a repeat for the scheduler,
    whose lock the killed worker holds until it expires (a minute)."""
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0}, "RQ_QUEUE": "storefront-orders-worker-test",
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


def _start_worker(app, redis_url):
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
           "RQ_QUEUE": app.config["RQ_QUEUE"], "INSTANCE_PATH": app.instance_path,
           "SECRET_KEY": app.config["SECRET_KEY"], "SANDBOX_ORDER_DELAY_SECONDS": "0"}
    # Its own process group, so the kill takes everything it started (kill_worker also kills the work
    # horse, which RQ puts in a group of its own).
    return start_worker(env, own_process_group=True)


def test_the_worker_killed_mid_provisioning_and_restarted_resumes_without_duplicates(
        demo, db, sandbox_store, app, redis_url):
    from app.orders.sweep import sweep_orders

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///:memory:"):
        pytest.skip("the worker needs a database it can open")
    # Customer creation is processed at once but answered 8 s late: the worker is killed meanwhile.
    sandbox_store.inject_fault("POST", "/v1/customers", "slow", count=1, delay=8.0)
    first = _start_worker(app, redis_url)
    try:
        order = place(db, reseller_request(db, domain="killedworker.onmicrosoft.com",
                                           lines=[line(quantity=5), line(**EXCHANGE, quantity=2)]))
        assert wait_until(lambda: sandbox_store.calls(method="POST", path="/v1/customers"), 20), "the step never ran"
        db.session.expire_all()
        assert db.session.get(Order, order.id).step("create_customer").status == "running"
    finally:
        kill_worker(first)
    request_id = db.session.get(Order, order.id).step("create_customer").ms_request_id

    second = _start_worker(app, redis_url)
    try:
        # The job died "started" with the first worker. Either RQ noticed the dead worker and
        # scheduled a retry, or the sweep notices and enqueues the order again; never both.
        from app.orders.sweep import job_alive

        sweep_orders()
        assert job_alive(order.id)
        assert sweep_orders() == []

        def completed():
            db.session.expire_all()
            return db.session.get(Order, order.id).status in ("completed", "failed", "querying")

        assert wait_until(completed, 40), db.session.get(Order, order.id).steps
    finally:
        stop_worker(second)
    creations = sandbox_store.calls(method="POST", path="/v1/customers")
    assert len(creations) == 2 and {c["requestId"] for c in creations} == {request_id}
    assert_exactly_one_of_everything(db, sandbox_store, order, "killedworker.onmicrosoft.com",
                                      [("Exchange Online (Plan 1)", 2), ("Microsoft 365 Business Basic", 5)])
