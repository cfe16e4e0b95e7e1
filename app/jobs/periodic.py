"""Periodic work: each task runs every `interval`, enqueued by whichever worker notices first.

worker.py runs `enqueue_due` every few seconds in a background thread. A Redis key per task
holds the time it was last enqueued; `SET NX` on a short lock key makes the check-and-enqueue
atomic across several workers (the time is read again once the lock is held), so a task is never
enqueued twice for one period. The time is the Redis server's, so workers on machines whose clocks
disagree still agree on the periods. Areas
register their tasks with `periodic(...)` at import (see PERIODIC_MODULES).

A task may also declare `due`, a cheap "is there anything to do?" check that the ticker asks in
its own thread: RQ forks a work horse per job, so a task with a short interval that usually finds
nothing (the authorization watch, every second) would otherwise fork a process every second for
nothing. The task is enqueued only when its interval has passed *and* `due()` says yes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from app.extensions import get_redis
from app.jobs import enqueue

log = logging.getLogger(__name__)

# Modules that register periodic tasks; imported by the worker before its first tick.
PERIODIC_MODULES: list[str] = ["app.checkout.jobs", "app.catalog.jobs", "app.orders.sweep", "app.subscriptions.jobs",
                               "app.mail.outbox", "app.orders.gdap", "app.tools.reconciliation_jobs"]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    func: Callable[..., Any]
    interval: float  # seconds
    timeout: int = 600
    due: Callable[[], bool] | None = None  # None: always due once the interval has passed


TASKS: dict[str, PeriodicTask] = {}


def periodic(name: str, interval_seconds: float, timeout: int = 600, due: Callable[[], bool] | None = None):
    """Decorator: run the function as a job every `interval_seconds` (only while `due()`, when given)."""

    def register(func):
        TASKS[name] = PeriodicTask(name, func, interval_seconds, timeout, due)
        return func

    return register


def _has_work(task: PeriodicTask) -> bool:
    if task.due is None:
        return True
    try:
        return bool(task.due())
    except Exception:
        # The check could not tell (say the database is unreachable): behave as before the check
        # existed and enqueue at the task's interval, so no work is ever skipped for a broken check.
        log.exception("periodic task %s: the due check failed; enqueuing it anyway", task.name)
        return True


def enqueue_due(now: float | None = None) -> list[str]:
    """Enqueue every task whose interval has passed; return the names enqueued."""
    import importlib

    for module in PERIODIC_MODULES:
        importlib.import_module(module)
    r = get_redis()
    if now is None:
        seconds, microseconds = r.time()
        now = seconds + microseconds / 1_000_000
    enqueued = []
    for task in TASKS.values():
        last = r.get(f"periodic:last:{task.name}")
        if last is not None and now - float(last) < task.interval:
            continue
        if not _has_work(task):
            continue  # nothing to do: no job, no forked work horse
        if not r.set(f"periodic:lock:{task.name}", "1", nx=True, ex=30):
            continue
        try:
            # Read again under the lock: another worker may have enqueued the task, set `last` and
            # released the lock since this tick read it, and the period is then already taken.
            last = r.get(f"periodic:last:{task.name}")
            if last is not None and now - float(last) < task.interval:
                continue
            enqueue(task.func, job_id=f"periodic-{task.name}", timeout=task.timeout, retry=None)
            r.set(f"periodic:last:{task.name}", str(now))
            enqueued.append(task.name)
        finally:
            r.delete(f"periodic:lock:{task.name}")
    if enqueued:
        log.debug("periodic tasks enqueued: %s", ", ".join(enqueued))  # every second: not for INFO
    return enqueued
