"""The provisioning engine runs each step by the runner registered for its kind (never by guessing
from the step's name), and any area's runner ends a step with the engine's public outcomes."""
from __future__ import annotations

import os

import pytest

from app.orders import engine
from app.orders.engine import Fail, NeedsAction, Wait
from app.orders.models import Order, OrderStatus, OrderStep, StepStatus
from app.partner_center import PartnerCenterError, new_request_id
from tests.support.orders import place, reseller_request, run_job


@pytest.fixture
def kinds():
    """Register step kinds for one test only."""
    added = []

    def register(name, run, explain=None):
        engine.register_step_kind(name, run, explain or (lambda order, step, error: Fail(f"refused: {error.code}")))
        added.append(name)

    yield register
    for name in added:
        engine.STEP_KINDS.pop(name, None)


def _order_with_steps(db, *steps: tuple[str, str], domain="enginetest", draft_id=1) -> Order:
    """A placed order whose steps are replaced by (name, kind) pairs."""
    order = place(db, reseller_request(db, domain=f"{domain}.onmicrosoft.com", draft_id=draft_id))
    order.steps.clear()
    db.session.flush()
    for position, (name, kind) in enumerate(steps):
        order.steps.append(OrderStep(position=position, name=name, kind=kind, status=StepStatus.PENDING,
                                     ms_request_id=new_request_id()))
    db.session.commit()
    return order


def test_a_step_runs_by_its_kind_not_by_its_name(demo, db, kinds):
    ran = []
    kinds("test_echo", lambda order, step, client: ran.append(step.name) or {"echo": step.name})
    # "change_1" is the name the engine once sent to subscriptions' change runner by its prefix.
    order = _order_with_steps(db, ("change_1", "test_echo"), ("second", "test_echo"))

    assert run_job(order.id) == "completed"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert ran == ["change_1", "second"]
    assert order.status == OrderStatus.COMPLETED
    assert [s.result["echo"] for s in order.steps] == ["change_1", "second"]
    assert all(s.status == StepStatus.DONE and s.result["requestId"] == s.ms_request_id for s in order.steps)


def test_needs_action_makes_the_order_querying_with_the_steps_to_take(demo, db, kinds):
    def blocked(order, step, client):
        raise NeedsAction("phone_missing", "Microsoft requires a phone number.", ["Enter it.", "Press Process."],
                          blocked_field="phone")

    kinds("test_blocked", blocked)
    order = _order_with_steps(db, ("ask", "test_blocked"))
    request_id = order.steps[0].ms_request_id

    assert run_job(order.id) == "querying"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.reason_code, order.reason) == ("querying", "phone_missing",
                                                               "Microsoft requires a phone number.")
    assert order.steps_to_take == ["Enter it.", "Press Process."] and order.blocked_field == "phone"
    step = order.steps[0]
    assert step.status == StepStatus.BLOCKED
    # A definite answer: the next attempt sends a new request id.
    assert step.result["lastRequestId"] == request_id and step.ms_request_id != request_id


def test_fail_and_wait_end_a_step_as_they_say(demo, db, kinds):
    kinds("test_wait", lambda order, step, client: (_ for _ in ()).throw(Wait(5, "Still fulfilling.")))
    waiting = _order_with_steps(db, ("wait", "test_wait"))
    assert run_job(waiting.id, times=1) == "waiting"
    db.session.expire_all()
    step = db.session.get(Order, waiting.id).steps[0]
    assert (step.status, step.error) == (StepStatus.PENDING, "Still fulfilling.")
    assert db.session.get(Order, waiting.id).status == OrderStatus.PROCESSING

    kinds("test_fail", lambda order, step, client: (_ for _ in ()).throw(Fail("Microsoft cancelled it.", "x1")))
    failing = _order_with_steps(db, ("fail", "test_fail"), domain="enginefail", draft_id=2)
    assert run_job(failing.id) == "failed"
    db.session.expire_all()
    failing = db.session.get(Order, failing.id)
    assert (failing.status, failing.reason, failing.reason_code) == ("failed", "Microsoft cancelled it.", "x1")
    assert failing.steps[0].status == StepStatus.FAILED


def test_a_partner_center_refusal_is_put_in_words_by_the_kind_of_the_step(demo, db, kinds):
    def refused(order, step, client):
        raise PartnerCenterError(400, "12345", "Bad request")

    kinds("test_refused", refused, explain=lambda order, step, error: NeedsAction(
        "custom", f"{step.name} was refused with {error.code}.", ["Fix it."]))
    order = _order_with_steps(db, ("ask", "test_refused"))

    assert run_job(order.id) == "querying"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.reason_code, order.reason) == ("custom", "ask was refused with 12345.")
    assert order.steps[0].result["code"] == "12345"


def test_a_step_of_a_kind_nobody_registered_stops_the_job_and_changes_nothing(demo, db):
    order = _order_with_steps(db, ("mystery", "no_such_kind"))

    with pytest.raises(LookupError, match="no_such_kind"):
        run_job(order.id)
    db.session.rollback()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.PROCESSING and order.steps[0].status == StepStatus.PENDING
    assert order.steps[0].attempts == 0


def test_the_areas_register_every_kind_their_orders_use(app):
    """Purchases (orders) and changes (subscriptions) find their runners once the app is built."""
    from app.orders.models import PURCHASE_STEPS
    from app.subscriptions.steps import CHANGE_STEP

    assert set(PURCHASE_STEPS) | {CHANGE_STEP} <= set(engine.STEP_KINDS)


def test_a_second_run_while_another_provisions_the_order_leaves_it_alone(demo, db, kinds):
    """The job id can sit on the queue twice (the sweep and a Process press enqueue at once), and a
    second worker then takes it while the first is in the middle of a step: the second run must not
    run that step (a Partner Center call) again, nor complete the order a second time."""
    calls, second_run = [], []

    def slow_call(order, step, client):
        calls.append(step.name)
        if len(calls) == 1:  # the first run is inside its Partner Center call: another worker starts
            second_run.append(engine.provision_order(order.id))
        return {}

    kinds("test_slow_call", slow_call)
    order = _order_with_steps(db, ("create", "test_slow_call"), ("check_out", "test_slow_call"),
                              domain="twoworkers")
    assert engine.provision_order(order.id) == "completed"
    assert second_run == ["busy"]
    assert calls == ["create", "check_out"]
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert [s.attempts for s in order.steps] == [1, 1]
    # The claim ended with the run: the next run (say an RQ retry) is not turned away.
    assert engine.provision_order(order.id) == "completed"


def test_a_claim_left_by_a_process_that_died_is_taken_over(demo, db, kinds, redis):
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    kinds("test_echo", lambda order, step, client: {"echo": step.name})
    order = _order_with_steps(db, ("only", "test_echo"), domain="deadclaim")
    redis.set(engine.claim_key(order.id), f"{socket.gethostname()}|{dead.pid}||x", ex=600)
    assert engine.provision_order(order.id) == "completed"
    assert redis.get(engine.claim_key(order.id)) is None

    # A live holder (this very process) keeps the order to itself.
    other = _order_with_steps(db, ("only", "test_echo"), domain="liveclaim", draft_id=2)
    redis.set(engine.claim_key(other.id), f"{socket.gethostname()}|{os.getpid()}||y", ex=600)
    assert engine.provision_order(other.id) == "busy"
    db.session.expire_all()
    assert db.session.get(Order, other.id).status == OrderStatus.PROCESSING
