"""The enqueue wrapper and a real worker (SimpleWorker, burst) against real Redis."""
from __future__ import annotations

from rq import SimpleWorker

from app.audit.models import AuditEvent
from app.jobs import enqueue, get_queue
from app.jobs.ping import ping


def test_deterministic_job_id_gives_one_job(app):
    first = enqueue(ping, "hello", job_id="ping-hello")
    second = enqueue(ping, "hello", job_id="ping-hello")
    assert first.id == second.id == "ping-hello"
    assert get_queue().count == 1
    assert first.timeout == 300 and first.retries_left == 3


def test_worker_runs_the_job_in_the_app_context(app, db, redis):
    job = enqueue(ping, "from-test", job_id="ping-from-test")
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "pong: from-test"
    assert db.session.scalars(db.select(AuditEvent.subject).where(AuditEvent.action == "worker_ping")).all() == ["from-test"]
    # Once finished, the same id may be enqueued again (new work, not a duplicate).
    again = enqueue(ping, "from-test", job_id="ping-from-test")
    assert again.get_status() == "queued"
