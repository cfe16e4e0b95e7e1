"""An uploaded migration file is imported by a job (a file of many accounts takes longer than a
request should), and the CLI runs the same function in its own process."""
from __future__ import annotations

import logging
from datetime import timedelta

from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.jobs import enqueue
from app.migration.importer import import_content
from app.migration.layout import LayoutError
from app.migration.models import FAILED, FINISHED, QUEUED, RUNNING, ImportRun
from app.time import utcnow

log = logging.getLogger(__name__)
IMPORT_TIMEOUT = 1800
QUEUE_UNREACHABLE = ("The job queue is not reachable, so the import did not start. Nothing was imported; upload "
                     "the file again in a minute.")


def job_id_for(run_id: int) -> str:
    return f"migration-import-{run_id}"


def new_run(*, filename: str, content: bytes, source: str, requested_by=None) -> ImportRun:
    run = ImportRun(filename=filename[:255] or "migration.json", content=content, source=source, status=QUEUED,
                    requested_by=requested_by, created_at=utcnow())
    db.session.add(run)
    db.session.flush()
    return run


# An upload of the same file by the same person this soon after the last is the same press twice (a double
# submit, Back and Import again), not a new import.
SAME_PRESS = timedelta(seconds=10)


def same_upload(content: bytes, requested_by) -> ImportRun | None:
    """The import of this very file that `requested_by` started and that is still queued or running, or began a
    moment ago: sending it again would import it twice (the page would show the second run, all "unchanged")."""
    return db.session.scalar(db.select(ImportRun).where(
        ImportRun.requested_by_id == requested_by.id, ImportRun.source == "upload",
        db.or_(ImportRun.status.in_((QUEUED, RUNNING)), ImportRun.created_at > utcnow() - SAME_PRESS),
        ImportRun.content == content).order_by(ImportRun.id.desc()).limit(1))


def start_import(run: ImportRun) -> ImportRun:
    """Enqueue a recorded run (the caller committed it, so the worker finds it). A queue that cannot
    be reached fails the run at once, saying so."""
    try:
        enqueue(run_import, run.id, job_id=job_id_for(run.id), timeout=IMPORT_TIMEOUT, retry=None,
                description=f"Import migration file {run.filename}")
    except Exception:
        log.exception("could not enqueue migration import %s", run.id)
        run.status, run.error, run.finished_at = FAILED, QUEUE_UNREACHABLE, utcnow()
        db.session.commit()
    return run


LOST_AFTER = timedelta(minutes=2)
LOST = ("Its job is no longer on the queue (Redis may have restarted, or the worker stopped it), so this import "
        "will not finish. Importing is safe to repeat: upload the file again.")


def lost_job(run: ImportRun) -> str | None:
    """Why an uploaded run that is still queued or running will never finish (its job is gone), or
    None. Only read: the result page says so and stops polling; nothing is written on a GET."""
    if run.status not in (QUEUED, RUNNING) or run.source != "upload" or utcnow() - run.created_at < LOST_AFTER:
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.extensions import get_redis

    try:
        status = Job.fetch(job_id_for(run.id), connection=get_redis()).get_status()
    except NoSuchJobError:
        return LOST
    except Exception:  # the queue is unreachable: keep waiting, it may come back
        return None
    return None if getattr(status, "value", status) in ("queued", "started", "deferred", "scheduled") else LOST


def run_import(run_id: int, origin: Origin = SYSTEM) -> dict:
    """Import one run's file and keep the report on the run; audited as `migration_imported`."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status not in (QUEUED, RUNNING):
        return {"status": getattr(run, "status", None)}
    run.status = RUNNING
    db.session.commit()
    # A write first, so the import's savepoints (one per record) nest inside one transaction on SQLite
    # too: pysqlite opens a transaction only at a write, and a SAVEPOINT outside one commits on release.
    db.session.execute(db.update(ImportRun).where(ImportRun.id == run_id).values(status=RUNNING))
    actor = run.requested_by
    try:
        report = import_content(run.content, actor=actor, origin=origin)
    except LayoutError as unusable:
        db.session.rollback()
        run.status, run.error, run.report = FAILED, str(unusable), None
    except Exception:
        db.session.rollback()
        log.exception("migration import %s failed", run_id)
        run.status, run.error = FAILED, "The import stopped on an unexpected error; nothing of it was kept. The " \
                                        "worker log has the details."
    else:
        run.status, run.report = FINISHED, report.as_dict()
    run.finished_at = utcnow()
    audit.record("migration_imported", actor=actor, subject=f"Migration import {run.id} ({run.filename})",
                 origin=origin, details={"status": run.status, "counts": run.counts, "error": run.error,
                                         "source": run.source})
    db.session.commit()
    return {"status": run.status, "counts": run.counts}
