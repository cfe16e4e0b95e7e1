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


def count_a_run() -> None:
    """A periodic task whose every run leaves a mark in Redis."""
    from app.extensions import get_redis

    get_redis().incr("test:periodic-runs")


def test_two_workers_ticking_at_once_run_a_task_once_per_period(app, redis, monkeypatch):
    """Worker B reads the task's last run, then worker A's whole tick happens (enqueue, its job runs,
    the lock is released) before B takes the lock: B must see that the period is taken."""
    from rq import SimpleWorker

    def work():
        SimpleWorker([get_queue()], connection=redis).work(burst=True)

    ticks_inside = []
    checks = []

    def due():
        checks.append(1)
        if len(checks) == 1:  # B's tick, between its read of `last` and its lock: A ticks now
            ticks_inside.append(enqueue_due(now=1_000.5))
            work()
        return True

    _only(monkeypatch, PeriodicTask("count-every-minute", count_a_run, 60, due=due))
    b = enqueue_due(now=1_000.0)
    work()
    assert ticks_inside == [["count-every-minute"]] and b == []
    assert int(redis.get("test:periodic-runs")) == 1
    # The next period runs once more.
    assert enqueue_due(now=1_061.0) == ["count-every-minute"]
    work()
    assert int(redis.get("test:periodic-runs")) == 2


def test_the_period_is_measured_on_the_redis_servers_clock(app, redis, monkeypatch):
    """Workers on machines whose clocks disagree share one clock: Redis's."""
    _only(monkeypatch, PeriodicTask("ping-every-hour", ping, 3600))
    monkeypatch.setattr("time.time", lambda: 0.0)  # a worker whose clock says 1970
    assert enqueue_due() == ["ping-every-hour"]
    seconds, _ = redis.time()
    assert abs(float(redis.get("periodic:last:ping-every-hour")) - seconds) < 5
