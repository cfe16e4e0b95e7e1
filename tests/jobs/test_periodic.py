from __future__ import annotations

from app.jobs import get_queue
from app.jobs.periodic import TASKS, PeriodicTask, enqueue_due
from app.jobs.ping import ping


def test_a_due_task_is_enqueued_once_per_interval(app, monkeypatch):
    monkeypatch.setitem(TASKS, "ping-every-minute", PeriodicTask("ping-every-minute", ping, 60))
    monkeypatch.setattr("app.jobs.periodic.PERIODIC_MODULES", [])
    for name in [n for n in TASKS if n != "ping-every-minute"]:
        monkeypatch.delitem(TASKS, name)
    assert enqueue_due(now=1_000.0) == ["ping-every-minute"]
    assert enqueue_due(now=1_030.0) == []          # within the interval: nothing
    assert get_queue().job_ids == ["periodic-ping-every-minute"]
    get_queue().empty()
    assert enqueue_due(now=1_061.0) == ["ping-every-minute"]  # next period
