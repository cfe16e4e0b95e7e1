"""The RQ worker, configured like the web app, with the scheduler on.

Jobs run in the app context pushed here. RQ forks a work horse per job; the forked child must
not reuse the parent's database connections, so it drops them (keeping the parent's intact).
"""
from __future__ import annotations

import os
import sys

from rq import Worker

from app import create_app
from app.extensions import db, get_redis


class StorefrontWorker(Worker):
    def main_work_horse(self, *args, **kwargs):
        db.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)


def main(argv: list[str]) -> None:
    app = create_app()
    with app.app_context():
        connection = get_redis()
        worker = StorefrontWorker([app.config["RQ_QUEUE"]], connection=connection,
                                  name=f"storefront-{os.uname().nodename}-{os.getpid()}")
        worker.work(with_scheduler=True, burst="--burst" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
