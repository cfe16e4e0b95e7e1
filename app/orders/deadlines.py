"""Nothing waits forever: the deadlines of a processing order, and failing it at one.

Past FULFILLMENT_DEADLINE (Microsoft has not fulfilled the order) or ORDER_DEADLINE (still
processing: Partner Center keeps failing, or the job keeps disappearing) the job or the sweep fails
the order with the reason, notifies the operator's admins, and the stuck-work page (app/tools)
offers Retry, which resumes from the stored steps with the same request ids.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from app.accounts.notification_settings import ORDERS
from app.accounts.notifications import link_to, notify_operator_admins
from app.orders.models import FINISHED_STEPS, Order, OrderStatus, OrderStep, StepStatus
from app.orders.transitions import set_failed
from app.time import utcnow

# Microsoft usually fulfils an order in minutes; a day without it means someone must look.
FULFILLMENT_DEADLINE = timedelta(hours=24)
# The whole order, from when it (last) became processing: Partner Center failing for three days,
# or a job that keeps disappearing, is no longer something retrying will fix.
ORDER_DEADLINE = timedelta(hours=72)
DEADLINE_CODES = ("fulfillment_deadline", "order_deadline")
STUCK_WORK_PATH = "/admin/stuck"


def _hours(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 3600)} hours"


def current_step(order: Order) -> OrderStep | None:
    return next((s for s in order.steps if s.status not in FINISHED_STEPS), None)


def missed_deadline(order: Order, now: datetime | None = None) -> tuple[str, str] | None:
    """(code, reason in plain words) when a processing order has run past one of its deadlines."""
    if order.status != OrderStatus.PROCESSING:
        return None
    now = now or utcnow()
    wait = order.step("wait_fulfillment")
    if (wait is not None and wait.status in (StepStatus.PENDING, StepStatus.RUNNING) and wait.started_at is not None
            and now - wait.started_at > FULFILLMENT_DEADLINE):
        return "fulfillment_deadline", (
            f"Partner Center did not confirm the order within {_hours(FULFILLMENT_DEADLINE)}; it may still "
            "complete there. The operator has been told: it checks the order in Partner Center and retries it from "
            "Stuck work.")
    if now - (order.processing_since or order.created_at) > ORDER_DEADLINE:
        return "order_deadline", _order_deadline_reason(order)
    return None


def _order_deadline_reason(order: Order) -> str:
    step = current_step(order)
    reason = f"Provisioning did not finish within {_hours(ORDER_DEADLINE)}"
    if step is None:
        reason += "."
    elif not step.attempts:
        reason += f": the step “{step.label}” never ran (the worker may be stopped)."
    else:
        reason += (f": the step “{step.label}” was tried {step.attempts} time{'s' if step.attempts != 1 else ''} "
                   "without a definite answer from Partner Center.")
    return (reason + " Nothing more is tried automatically. The operator has been told: it checks the order in "
            "Partner Center and retries it from Stuck work (it resumes with the same request ids, so nothing is "
            "created twice).")


def stuck_work_url() -> str:
    return link_to("tools.stuck", STUCK_WORK_PATH)


def fail_for_deadline(order: Order, code: str, reason: str) -> None:
    """Fail the order at a deadline. The step it stopped at keeps its MS-RequestId: there was no
    definite answer, so Retry must send the same request again."""
    step = current_step(order)
    if step is not None:
        step.status = StepStatus.FAILED
        step.error = reason
    set_failed(order, reason, code=code)
    notify_operator_admins(f"Order {order.number} stopped at its deadline", reason, stuck_work_url(),
                           category=ORDERS)
