"""The RQ worker, configured like the web app, with the scheduler on.

Jobs run in the app context pushed here. RQ forks a work horse per job; the forked child must
not reuse the parent's database connections, so it drops them (keeping the parent's intact).
"""
from __future__ import annotations

import logging
import os
import sys
import threading

from rq import Worker

from app import create_app
from app.extensions import db, get_redis


class StorefrontWorker(Worker):
    def main_work_horse(self, *args, **kwargs):
        db.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)


TICK_SECONDS = 1  # the authorization watch wants second-level reaction


def _periodic_ticker(app, stop: threading.Event) -> None:
    """Enqueue due periodic tasks every few seconds, for as long as the worker runs."""
    from app.jobs.periodic import enqueue_due

    while not stop.wait(TICK_SECONDS):
        try:
            with app.app_context():
                enqueue_due()
        except Exception:  # a Redis hiccup must not kill the ticker; the next tick retries
            logging.getLogger("worker").exception("periodic tick failed")


def main(argv: list[str]) -> None:
    app = create_app()
    stop = threading.Event()
    if "--burst" not in argv:
        threading.Thread(target=_periodic_ticker, args=(app, stop), daemon=True, name="periodic").start()
    with app.app_context():
        connection = get_redis()
        worker = StorefrontWorker([app.config["RQ_QUEUE"]], connection=connection,
                                  name=f"storefront-{os.uname().nodename}-{os.getpid()}")
        try:
            # WARNING: RQ's INFO lines would repeat every second for the periodic tick.
            worker.work(with_scheduler=True, burst="--burst" in argv, logging_level="WARNING")
        finally:
            stop.set()


if __name__ == "__main__":
    main(sys.argv[1:])
