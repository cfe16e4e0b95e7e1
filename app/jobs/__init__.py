"""The RQ side: one enqueue wrapper, the queue, and the jobs.

Every job goes through `enqueue`, which applies a timeout, a retry policy and, when asked, a
deterministic job id so that enqueuing the same work twice (a double click, a sweep that
re-enqueues orphans) yields one job. Jobs run inside the worker's app context (worker.py).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app
from rq import Queue, Retry
from rq.job import Job

from app.extensions import get_redis

DEFAULT_TIMEOUT = 300  # seconds a job may run before RQ stops it
DEFAULT_RETRY = Retry(max=3, interval=[10, 30, 60])


def get_queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def unfinished(job_id: str) -> Job | None:
    """The job under `job_id` while it still waits or runs (what `enqueue` returns instead of a second one),
    else None: for a page that says so rather than look as if it started the work again."""
    existing = get_queue().fetch_job(job_id)
    if existing is not None and existing.get_status(refresh=True) in {"queued", "started", "scheduled", "deferred"}:
        return existing
    return None


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, timeout: int = DEFAULT_TIMEOUT,
            retry: Retry | None = DEFAULT_RETRY, at=None, description: str | None = None, **kwargs: Any) -> Job:
    """Put `func(*args, **kwargs)` on the queue.

    With `job_id`, a job that already waits or runs under that id is returned instead of a
    second one: the id names the work (e.g. "provision-order-42"), not the attempt.
    """
    queue = get_queue()
    if job_id is not None and (existing := unfinished(job_id)) is not None:
        return existing
    options = dict(job_id=job_id, job_timeout=timeout, retry=retry, description=description,
                   failure_ttl=7 * 24 * 3600, result_ttl=24 * 3600)
    if at is not None:
        return queue.enqueue_at(at, func, *args, **options, **kwargs)
    return queue.enqueue(func, *args, **options, **kwargs)
