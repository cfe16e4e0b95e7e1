"""Keeping provisioning going: the every-minute sweep that fails orders past a deadline and
re-enqueues those whose job was lost, and the stuck-work queries and Retry (app/tools shows them).
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db, get_redis
from app.jobs.periodic import periodic
from app.orders.deadlines import DEADLINE_CODES, fail_for_deadline, missed_deadline
from app.orders.engine import enqueue_provisioning, job_id_for
from app.orders.models import FINISHED_STEPS, Order, OrderStatus, StepStatus
from app.orders.transitions import publish_progress
from app.time import utcnow

log = logging.getLogger(__name__)

LIVE_JOB_STATUSES = {"queued", "scheduled", "deferred"}
HEARTBEAT_GRACE_SECONDS = 150  # RQ's heartbeat is every 30 s (+60 s TTL); longer silence = gone


def _worker_alive(worker_name: str | None) -> bool:
    from rq import Worker

    if not worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection=get_redis())
    if worker is None:
        return False
    if worker.hostname == socket.gethostname() and worker.pid:
        try:
            os.kill(worker.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    if worker.last_heartbeat is not None:
        beat = worker.last_heartbeat
        beat = beat if beat.tzinfo else beat.replace(tzinfo=timezone.utc)
        if (datetime.now(timezone.utc) - beat).total_seconds() > HEARTBEAT_GRACE_SECONDS:
            return False
    return True


def job_alive(order_id: int, *, repair: bool = True) -> bool:
    """Is a job for this order waiting, scheduled, or running in a worker that still lives?

    A job left "started" by a worker that was killed stays so in Redis until RQ notices (minutes);
    with `repair` it is deleted here so the order can be enqueued again at once (pages pass
    repair=False: a GET never writes).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id_for(order_id), connection=get_redis())
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    status = getattr(status, "value", status)
    if status in LIVE_JOB_STATUSES:
        return True
    if status == "started":
        if _worker_alive(job.worker_name):
            return True
        if repair:
            log.warning("job %s was left started by worker %s, which is gone; re-enqueuing", job.id, job.worker_name)
            job.delete()
    return False


@periodic("sweep-orders", interval_seconds=60, timeout=300)
def sweep_orders(limit: int = 500, now: datetime | None = None) -> list[str]:
    """Fail every processing order past a deadline; re-enqueue the others whose job is not queued,
    scheduled or running: orders placed while Redis or the worker was down, and jobs lost with a
    killed worker or out of retries. Returns the numbers of the orders re-enqueued."""
    now = now or utcnow()
    orders = db.session.scalars(db.select(Order).where(Order.status == OrderStatus.PROCESSING)
                                .order_by(Order.id).limit(limit)).all()
    enqueued, failed = [], []
    for order in orders:
        missed = missed_deadline(order, now)
        if missed is not None:
            fail_for_deadline(order, *missed)
            db.session.commit()
            publish_progress(order)
            failed.append(order.number)
        elif not job_alive(order.id) and enqueue_provisioning(order) is not None:
            enqueued.append(order.number)
    if failed:
        log.warning("sweep failed orders past their deadline: %s", ", ".join(failed))
    if enqueued:
        log.info("sweep re-enqueued orders: %s", ", ".join(enqueued))
    return enqueued


# ----------------------------------------------------------------------------------- stuck work

# The sweep re-enqueues an order without a job within a minute; still without one after this long,
# no worker (which also runs the sweep) is working, and the stuck-work page lists the order.
STUCK_AFTER = timedelta(minutes=15)
# How long an order failed at a deadline stays on the stuck-work page unless retried.
STUCK_LISTED_FOR = timedelta(days=30)


class NotRetryable(Exception):
    pass


def retry_order(order: Order, *, actor: User, origin: Origin) -> bool:
    """Retry from the stuck-work page: an order failed at a deadline goes back to processing, an
    order left processing without a job gets one. Both resume from their stored steps (same
    request ids) with fresh deadlines. Commits; returns False when the queue was not reachable
    (the order stays processing and the sweep enqueues it later)."""
    failed_at_deadline = order.status == OrderStatus.FAILED and order.reason_code in DEADLINE_CODES
    if not failed_at_deadline and order.status != OrderStatus.PROCESSING:
        raise NotRetryable(f"Order {order.number} is {order.status_label.lower()}: there is nothing to retry.")
    previous = {"status": order.status, "reason": order.reason, "code": order.reason_code}
    for step in order.steps:
        if step.status == StepStatus.FAILED:
            step.status = StepStatus.PENDING
            step.error = None
        if step.name == "wait_fulfillment" and step.status not in FINISHED_STEPS:
            step.started_at = None  # a new wait, with a new fulfilment deadline
    order.status = OrderStatus.PROCESSING
    order.processing_since = utcnow()
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_retried", actor=actor, account=order.account, subject=order.number, origin=origin,
                 details=previous)
    db.session.commit()  # before the enqueue: the job reads the order from the database
    job = enqueue_provisioning(order)
    publish_progress(order)
    return job is not None


@dataclass
class StuckOrder:
    order: Order
    reason: str
    since: datetime  # when the order (last) became processing

    def age(self, now: datetime) -> timedelta:
        return now - self.since


def stuck_orders(now: datetime | None = None, limit: int = 200) -> tuple[list[StuckOrder], bool]:
    """Orders failed at a deadline (recent ones), and processing orders older than STUCK_AFTER with
    no job queued, scheduled or running. Reads only. Returns (orders, whether the queue answered)."""
    now = now or utcnow()
    stuck: list[StuckOrder] = []
    failed = db.session.scalars(db.select(Order).where(
        Order.status == OrderStatus.FAILED, Order.reason_code.in_(DEADLINE_CODES),
        Order.updated_at >= now - STUCK_LISTED_FOR).order_by(Order.updated_at.desc()).limit(limit)).all()
    for order in failed:
        stuck.append(StuckOrder(order, order.reason or "", order.processing_since or order.created_at))
    processing = db.session.scalars(db.select(Order).where(
        Order.status == OrderStatus.PROCESSING, Order.processing_since < now - STUCK_AFTER)
        .order_by(Order.processing_since).limit(limit)).all()
    queue_ok = True
    for order in processing:
        if queue_ok:
            try:
                if job_alive(order.id, repair=False):
                    continue
            except Exception:  # Redis down: no order can have a job
                log.warning("stuck-work page: the job queue is not reachable", exc_info=True)
                queue_ok = False
        missed = missed_deadline(order, now)
        reason = ("No provisioning job is queued, scheduled or running for this order: the worker, which also "
                  "runs the every-minute sweep, seems to be stopped. Retry puts the job on the queue again.")
        if not queue_ok:
            reason = "The job queue is not reachable, so no provisioning job can run."
        if missed is not None:
            reason += " It is also past its deadline: " + missed[1]
        stuck.append(StuckOrder(order, reason, order.processing_since or order.created_at))
    return stuck, queue_ok
