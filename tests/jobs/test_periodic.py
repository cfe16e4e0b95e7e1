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


def _only(monkeypatch, task: PeriodicTask) -> None:
    monkeypatch.setattr("app.jobs.periodic.PERIODIC_MODULES", [])
    for name in list(TASKS):
        monkeypatch.delitem(TASKS, name)
    monkeypatch.setitem(TASKS, task.name, task)


def test_a_task_with_nothing_due_is_not_enqueued_until_something_is(app, redis, monkeypatch):
    work = []
    _only(monkeypatch, PeriodicTask("ping-when-due", ping, 1, due=lambda: bool(work)))
    assert [enqueue_due(now=1_000.0 + second) for second in range(30)] == [[]] * 30
    assert get_queue().job_ids == []
    assert redis.get("periodic:last:ping-when-due") is None  # nothing enqueued, so no period started
    work.append("something")
    assert enqueue_due(now=1_030.0) == ["ping-when-due"]
    assert get_queue().job_ids == ["periodic-ping-when-due"]


def test_a_due_check_that_fails_falls_back_to_the_interval(app, monkeypatch):
    def broken():
        raise ConnectionError("the database is unreachable")

    _only(monkeypatch, PeriodicTask("ping-unsure", ping, 60, due=broken))
    assert enqueue_due(now=1_000.0) == ["ping-unsure"]
    assert enqueue_due(now=1_030.0) == []  # still once per interval, as without a check
    assert get_queue().job_ids == ["periodic-ping-unsure"]
