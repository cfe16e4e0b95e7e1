"""The provisioning engine: one RQ job per order (`provision_order`) that runs the order's steps in
turn, each by the runner registered for its kind.

Step kinds are registered by the areas that own them (`register_step_kind`): orders registers the
purchase steps (app/orders/purchase_steps.py), subscriptions the step that records what a purchase
created and the change step (app/subscriptions/steps.py). The engine knows no kind by name; each
OrderStep row says its kind.

Every step stores its outcome on its OrderStep row. The step's MS-RequestId exists before the call
(it is written when the order is placed, or when a definite answer made a new request necessary),
and every attempt of the step sends it: after a crash, a timeout or a retry, Partner Center
recognises the repeated request and answers it once (customer creation, cart creation and checkout
are idempotent under the request id), so no second tenant, cart or order is ever created.

A runner returns what the step produced (stored as its result) or raises one of the outcomes
below. The job never sleeps: while Microsoft is still fulfilling the order (`Wait`), or after a
429, it asks RQ to run the same job (same id) again later through RQ's Repeat mechanism; the
worker's scheduler does the waiting. A 5xx or a timeout, after the client's own retries, fails the
job: RQ retries it, and when retries run out the periodic sweep (app/orders/sweep.py) enqueues it
again, since the order is still `processing`.

One run at a time per order, whatever the number of workers: the same job id can sit on the queue
twice (the sweep and a Process press enqueuing at the same moment both find no job and both push
it), and two workers would then each take one. A run first claims the order in Redis
(`provisioning:<order id>`, SET NX, expiring after the job timeout); a run that finds the order
claimed by a live process returns "busy" without touching it, and the claim is released when the
run ends. A claim left by a process that died (SIGKILL, the machine lost) is taken over once that
process is seen dead: on its own host at once, elsewhere when its RQ worker stops heartbeating, and
in any case when the claim expires.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.connections.services import get_client
from app.extensions import db, get_redis
from app.orders.deadlines import fail_for_deadline, missed_deadline
from app.orders.models import FINISHED_STEPS, Order, OrderStatus, OrderStep, StepStatus
from app.orders.transitions import complete, publish_progress, set_failed, set_querying
from app.partner_center import PartnerCenterError, PartnerCenterUnavailable, Throttled, new_request_id
from app.time import utcnow

log = logging.getLogger(__name__)

PROVISION_TIMEOUT = 600


# ----------------------------------------------------------------------------------- outcomes

class StepOutcome(Exception):
    """How a step ended, other than done: raised by its runner, or returned by its `explain`."""


class Wait(StepOutcome):
    """Not yet: run the job again in `seconds` (e.g. Microsoft is still fulfilling the order)."""

    def __init__(self, seconds: float, note: str):
        self.seconds, self.note = seconds, note
        super().__init__(note)


class NeedsAction(StepOutcome):
    """Someone can fix it: the order becomes `querying` with the reason and the steps to take
    (`blocked_field`: the ordering parameter to change, if any)."""

    def __init__(self, code: str, reason: str, steps: list[str], blocked_field: str | None = None):
        self.code, self.reason, self.steps, self.blocked_field = code, reason, steps, blocked_field
        super().__init__(reason)


class Fail(StepOutcome):
    """Nothing to retry: the order fails, with the reason in plain words."""

    def __init__(self, reason: str, code: str | None = None):
        self.reason, self.code = reason, code
        super().__init__(reason)


# ----------------------------------------------------------------------------------- step kinds

Runner = Callable[[Order, OrderStep, object], "dict | None"]
Explainer = Callable[[Order, OrderStep, PartnerCenterError], "NeedsAction | Fail"]


@dataclass(frozen=True)
class StepKind:
    name: str
    run: Runner          # (order, step, client) -> the step's result; raises a StepOutcome
    explain: Explainer   # a definite Partner Center refusal of this step, in words


STEP_KINDS: dict[str, StepKind] = {}


def register_step_kind(name: str, run: Runner, explain: Explainer) -> StepKind:
    kind = StepKind(name, run, explain)
    STEP_KINDS[name] = kind
    return kind


def step_kind(step: OrderStep) -> StepKind:
    try:
        return STEP_KINDS[step.kind]
    except KeyError:
        raise LookupError(f"No runner is registered for steps of kind {step.kind!r} (the area that registers "
                          "it is imported with the app).") from None


# ----------------------------------------------------------------------------------- the job

def job_id_for(order_id: int) -> str:
    return f"provision-order-{order_id}"


def enqueue_provisioning(order: Order):
    """Put the order's provisioning job on the queue; None (logged) when Redis is unreachable —
    the order stays `processing` and the periodic sweep enqueues it when Redis is back. The order
    must be committed first: the job reads it from the database."""
    from rq import Retry

    from app.jobs import enqueue

    try:
        return enqueue(provision_order, order.id, job_id=job_id_for(order.id), timeout=PROVISION_TIMEOUT,
                       retry=Retry(max=3, interval=[5, 20, 60]), description=f"Provision order {order.number}")
    except Exception:  # Redis down, or anything else on the way to it: the sweep catches up
        log.exception("could not enqueue provisioning of order %s; the sweep will", order.number)
        return None


CLAIM_SECONDS = PROVISION_TIMEOUT + 60  # RQ stops a run after PROVISION_TIMEOUT: the claim outlives it
BUSY = "busy"  # what a run returns when another live process is provisioning the order

# Take the claim over from a dead holder only if it is still that holder's (KEYS[1] the claim;
# ARGV: the dead holder's token, ours, the expiry in seconds); release only our own (ARGV[1]).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def claim_key(order_id: int) -> str:
    return f"provisioning:{order_id}"


def _holder_token() -> str:
    """host|pid|RQ worker name|random: enough to tell later whether the holder still lives."""
    from rq import get_current_job

    job = get_current_job()
    worker_name = (job.worker_name if job is not None else None) or ""
    return f"{socket.gethostname()}|{os.getpid()}|{worker_name}|{uuid.uuid4().hex}"


def _holder_alive(token: str) -> bool:
    host, pid, worker_name, _ = (token.split("|") + ["", "", "", ""])[:4]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    if worker_name:
        from app.orders.sweep import _worker_alive

        return _worker_alive(worker_name)
    return True  # another host, not a worker: wait for the claim to expire


@contextmanager
def claimed(order_id: int) -> Iterator[bool]:
    """Claim the order's provisioning for the duration of the block; yields False when another
    live process holds it."""
    r = get_redis()
    key, token = claim_key(order_id), _holder_token()
    mine = bool(r.set(key, token, nx=True, ex=CLAIM_SECONDS))
    if not mine:
        holder = r.get(key)
        holder = holder.decode() if isinstance(holder, bytes) else holder
        if holder is None:  # released meanwhile
            mine = bool(r.set(key, token, nx=True, ex=CLAIM_SECONDS))
        elif not _holder_alive(holder):
            log.warning("order %s: the process that was provisioning it (%s) is gone; taking over", order_id, holder)
            mine = bool(r.eval(_TAKE_OVER, 1, key, holder, token, CLAIM_SECONDS))
    try:
        yield mine
    finally:
        if mine:
            r.eval(_RELEASE, 1, key, token)


def provision_order(order_id: int) -> str:
    """Run (or resume) the provisioning of one order; returns the order's status afterwards
    ("waiting" when it asked to be run again later, "busy" when another process is running it)."""
    with claimed(order_id) as mine:
        if not mine:
            log.info("order %s is being provisioned by another process; this run leaves it", order_id)
            return BUSY
        return _provision(order_id)


def _provision(order_id: int) -> str:
    db.session.expire_all()  # read what other processes committed, never a cached copy
    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    if order.status != OrderStatus.PROCESSING:
        return order.status
    missed = missed_deadline(order)
    if missed is not None:  # an RQ retry or a rescheduled wait that came too late
        fail_for_deadline(order, *missed)
        db.session.commit()
        publish_progress(order)
        return OrderStatus.FAILED
    client = get_client(order.partner_center_instance)
    step: OrderStep | None = None
    try:
        for step in order.steps:
            if step.status in FINISHED_STEPS:
                continue
            kind = step_kind(step)  # before the step begins: an unknown kind changes nothing
            _begin(order, step)
            _finish(order, step, kind.run(order, step, client))
        complete(order)
        return _end(order, OrderStatus.COMPLETED)
    except Wait as wait:
        return _wait(order, step, wait.note, wait.seconds)
    except Throttled as error:
        return _wait(order, step, "Partner Center asked us to slow down; trying again shortly.",
                     error.retry_after or 30)
    except (NeedsAction, Fail) as outcome:
        return _conclude(order, step, outcome)
    except PartnerCenterUnavailable as error:
        # No definite answer: keep the request id, leave the order processing, let RQ retry.
        step.status = StepStatus.PENDING
        step.error = (f"Partner Center answered with an error on Microsoft's side (HTTP {error.status}); the step "
                      "will be tried again with the same request." if error.status else
                      "Partner Center did not answer in time; the step will be tried again with the same request.")
        db.session.commit()
        publish_progress(order)
        log.warning("order %s step %s: %s", order.number, step.name, error)
        raise
    except PartnerCenterError as error:
        return _conclude(order, step, step_kind(step).explain(order, step, error), error)


def _end(order: Order, status: str) -> str:
    db.session.commit()
    publish_progress(order)
    return status


def _wait(order: Order, step: OrderStep, note: str, seconds: float) -> str:
    step.status = StepStatus.PENDING
    step.error = note
    _end(order, "waiting")
    _run_again_in(order, seconds)
    return "waiting"


def _conclude(order: Order, step: OrderStep, outcome: NeedsAction | Fail,
              error: PartnerCenterError | None = None) -> str:
    """A definite answer that stops the order: querying (someone can act) or failed."""
    if isinstance(outcome, NeedsAction):
        _rotate(step, StepStatus.BLOCKED, outcome.reason, error)
        set_querying(order, code=outcome.code, reason=outcome.reason, steps=outcome.steps,
                     blocked_field=outcome.blocked_field)
        return _end(order, OrderStatus.QUERYING)
    _rotate(step, StepStatus.FAILED, outcome.reason, error)
    set_failed(order, outcome.reason, code=outcome.code)
    return _end(order, OrderStatus.FAILED)


def _begin(order: Order, step: OrderStep) -> None:
    if not step.ms_request_id:
        step.ms_request_id = new_request_id()
    step.status = StepStatus.RUNNING
    step.attempts += 1
    step.started_at = step.started_at or utcnow()
    step.error = None
    db.session.commit()  # the request id is durable before the call goes out
    publish_progress(order)


def _finish(order: Order, step: OrderStep, result: dict | None) -> None:
    step.status = StepStatus.DONE
    step.result = {**(result or {}), "requestId": step.ms_request_id}
    step.finished_at = utcnow()
    step.error = None
    db.session.commit()
    publish_progress(order)


def _rotate(step: OrderStep, status: StepStatus, message: str, error: PartnerCenterError | None = None) -> None:
    """A definite answer: record it, and draw a new request id for the next attempt (the old one
    would replay the same answer)."""
    step.status = status
    step.error = message
    step.result = {**(step.result or {}), "lastRequestId": step.ms_request_id,
                   **({"code": error.code, "description": error.description} if error else {})}
    step.ms_request_id = new_request_id()


def _run_again_in(order: Order, seconds: float) -> None:
    """Ask RQ to run this very job (same id) again after `seconds`. Outside a worker (a direct
    call) nothing is scheduled: the caller, or the sweep, runs it again."""
    from rq import get_current_job

    job = get_current_job()
    if job is None or job.id != job_id_for(order.id):
        return
    job.repeats_left = 1
    job.repeat_intervals = [max(1, int(math.ceil(seconds)))]
