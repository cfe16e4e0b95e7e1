"""worker.py: what the worker's log says while Redis is away."""
from __future__ import annotations

import logging
import threading

import redis

import worker

UNREACHABLE = "Error 2 connecting to /tmp/instance/redis.socket. No such file or directory."


def test_the_worker_says_once_that_redis_is_unreachable_and_once_that_it_is_back(app, monkeypatch, caplog):
    """With the embedded Redis stopped, the periodic ticker logged a 40-line traceback every second ("periodic
    tick failed"), burying everything else the terminal of `make run` said."""
    stop = threading.Event()
    ticks = []

    def enqueue_due():
        ticks.append(1)
        if len(ticks) <= 5:
            raise redis.exceptions.ConnectionError(UNREACHABLE)
        if len(ticks) == 8:
            stop.set()

    monkeypatch.setattr("app.jobs.periodic.enqueue_due", enqueue_due)
    monkeypatch.setattr(worker, "TICK_SECONDS", 0.01)
    with caplog.at_level(logging.INFO, logger="worker"):
        worker._periodic_ticker(app, stop)
    said = [record for record in caplog.records if record.name == "worker"]
    assert [record.getMessage() for record in said] == [
        f"Redis is not reachable ({UNREACHABLE}); the periodic tasks wait for it and try again every second.",
        "Redis is reachable again; the periodic tasks go on.",
    ]
    assert not any(record.exc_info for record in said)
