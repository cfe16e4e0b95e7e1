"""What every tool run's pages share (reconciliation, customer import): the progress fragment that
the page polls when it has no stream, the event stream that pushes that fragment while the run
goes on, and the CSV export of its result. Each tool gives its model, its templates and its page
context (`context(run, polls=..., **extra)`)."""
from __future__ import annotations

from typing import Callable, Iterable

from flask import Response, render_template, stream_with_context
from flask_login import current_user

from app import live
from app.extensions import db
from app.web.csv_export import csv_stream
from app.web.rendering import is_htmx, poll_status, render


def progress(run, *, page: str, fragment: str, context: Callable[..., dict]):
    """What the run's page polls when it has no stream; 286 stops the polling once the run has ended.
    Without htmx (a reload of the URL), the whole page."""
    if not is_htmx():
        return render(page, **context(run))
    return render(fragment, status=poll_status(run.done), **context(run, polls=not run.done))


def events(model, run_id: int, *, kind: str, fragment: str, context: Callable[..., dict]) -> Response:
    """Server-sent events for an open run page until the run ends: then the last fragment and `done`."""

    def fresh():
        db.session.expire_all()
        return db.session.get(model, run_id)

    def render_event(event: str, polls: bool = False):
        if event != "progress":
            return None
        run = fresh()
        return render_template(fragment, **context(run, polls=polls and not run.done, streams=False))

    # initial: the run as it is once the stream listens, which may be further on than the page that
    # opened it (steps published before it listened; a stream reopened after the previous one ended).
    body = live.stream(kind, run_id, render_event, user_id=current_user.id, final="progress",
                       finished=lambda: fresh().done, initial=["progress"])
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def csv_download(filename: str, header: list[str], rows: Iterable) -> Response:
    # Read the rows now: the response streams after the request's database session is gone, and a
    # row's account or licensee (an imported customer, a corrected finding) would be loaded from it.
    rows = list(rows)
    return Response(csv_stream(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
