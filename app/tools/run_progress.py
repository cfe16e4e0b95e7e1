"""The progress of a tool run in the worker (a reconciliation, a customer import reading): marking it
running and telling its open pages that it moved (app/live.py; they poll when they cannot be pushed to).
"""
from __future__ import annotations

import logging

from app import live
from app.extensions import db
from app.time import utcnow
from app.tools.models import OPEN_RUN_STATUSES, RunStatus

log = logging.getLogger(__name__)


def publish(kind: str, run) -> None:
    """Tell the run's open pages that it moved (after the commit that moved it)."""
    try:
        live.publish(kind, run.id, "progress")
    except Exception:  # no pushes without Redis: the pages poll
        log.debug("could not publish %s %s progress", kind, run.id, exc_info=True)


def begin(model, run_id: int, kind: str):
    """The run of this id, marked running (committed and published); None when it is gone or has
    ended already (a job enqueued twice)."""
    run = db.session.get(model, run_id)
    if run is None or run.status not in OPEN_RUN_STATUSES:
        return None
    run.status, run.started_at = RunStatus.RUNNING, utcnow()
    db.session.commit()
    publish(kind, run)
    return run
