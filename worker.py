"""The RQ worker, configured like the web app, with the scheduler on.

Jobs run in the app context pushed here. RQ forks a work horse per job; the forked child must
not reuse the parent's database connections, so it drops them (keeping the parent's intact).
"""
from __future__ import annotations

import logging
import os
import sys
import threading

import redis
from rq import Worker

from app import create_app
from app.connections.services import warm_for_work_horses
from app.extensions import db, get_redis


# Held by the ticker during a tick and by the worker while it forks a work horse. A tick's due
# checks use the database (SQLAlchemy's pool and statement cache have locks of their own): forking
# while the ticker thread held one of those would leave it held forever in the child, which would
# hang on its first query. With this lock a fork happens only between ticks.
TICK_LOCK = threading.Lock()


class StorefrontWorker(Worker):
    def fork_work_horse(self, *args, **kwargs):
        with TICK_LOCK:
            return super().fork_work_horse(*args, **kwargs)

    def main_work_horse(self, *args, **kwargs):
        db.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)


TICK_SECONDS = 1  # the authorization watch wants second-level reaction

# One worker's scheduler moves scheduled jobs (retries, provisioning waits) to the queue; the others
# try to take its lock at each maintenance. RQ's default of 10 minutes would leave scheduled work
# waiting that long after the worker holding the lock died; every 30 s, another worker takes over
# as soon as the dead one's lock expires (a minute).
MAINTENANCE_SECONDS = 30


def _periodic_ticker(app, stop: threading.Event) -> None:
    """Enqueue due periodic tasks every second, for as long as the worker runs.

    The tick itself forks nothing: a task's `due` check (app/jobs/periodic.py) runs here, and only
    a task with work gets a job (and so a work horse). Each tick gets its own app context, whose end
    closes the session a due check used: between ticks no transaction is open, and the connection
    waits in the pool."""
    from app.jobs import periodic

    log = logging.getLogger("worker")
    redis_away = False
    while not stop.wait(TICK_SECONDS):
        try:
            with TICK_LOCK, app.app_context():
                periodic.enqueue_due()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            # Said once, not a traceback a second for as long as Redis is away; the next tick retries.
            if not redis_away:
                log.warning("Redis is not reachable (%s); the periodic tasks wait for it and try again every "
                            "second.", error)
            redis_away = True
            continue
        except Exception:  # nothing must kill the ticker; the next tick retries
            log.exception("periodic tick failed")
            continue
        if redis_away:
            log.warning("Redis is reachable again; the periodic tasks go on.")
            redis_away = False


def main(argv: list[str]) -> None:
    app = create_app()
    warm_for_work_horses(app)
    stop = threading.Event()
    if "--burst" not in argv:
        threading.Thread(target=_periodic_ticker, args=(app, stop), daemon=True, name="periodic").start()
    with app.app_context():
        connection = get_redis()
        worker = StorefrontWorker([app.config["RQ_QUEUE"]], connection=connection,
                                  name=f"storefront-{os.uname().nodename}-{os.getpid()}",
                                  maintenance_interval=MAINTENANCE_SECONDS)
        try:
            # WARNING: RQ's INFO lines would repeat every second for the periodic tick.
            worker.work(with_scheduler=True, burst="--burst" in argv, logging_level="WARNING")
        finally:
            stop.set()


if __name__ == "__main__":
    main(sys.argv[1:])
