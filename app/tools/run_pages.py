"""The pages every tool run has (reconciliation, customer import), registered for each tool by
`add_routes`: the run's page; the progress fragment that the page polls when it has no stream; the
event stream that pushes that fragment while the run goes on; and the CSV export of its result.
Each tool gives its model, its templates, its page context (`context(run, polls=..., **extra)`) and
its CSV rows. Operator members read them all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from flask import Blueprint, Response

from app import live
from app.extensions import db
from app.web.access import Permission, allow
from app.web.csv_export import csv_stream
from app.web.rendering import is_htmx, poll_status, render


@dataclass(frozen=True)
class RunPages:
    """A tool's run pages: at /<slug>/runs/<run_id>[/progress|/events|/<csv_file>], endpoints
    <name>_run, <name>_progress, <name>_events and <name>_csv; the CSV downloads as <slug>-<run id>.csv."""

    name: str
    slug: str
    model: type
    live_kind: str
    page: str
    fragment: str
    context: Callable[..., dict]
    csv_file: str
    csv_header: list[str]
    csv_rows: Callable[[object], Iterable]

    def run_or_404(self, run_id: int):
        return db.get_or_404(self.model, run_id)

    def show(self, run_id: int):
        return render(self.page, **self.context(self.run_or_404(run_id)))

    def progress(self, run_id: int):
        """What the run's page polls when it has no stream; 286 stops the polling once the run has ended.
        Without htmx (a reload of the URL), the whole page."""
        run = self.run_or_404(run_id)
        if not is_htmx():
            return render(self.page, **self.context(run))
        return render(self.fragment, status=poll_status(run.done), **self.context(run, polls=not run.done))

    def events(self, run_id: int) -> Response:
        """Server-sent events for an open run page until the run ends: then the last fragment and `done`."""
        self.run_or_404(run_id)
        return live.row_events(self.live_kind, self.model, run_id, event="progress", fragment=self.fragment,
                               context=lambda run, polls: self.context(run, polls=polls, streams=False),
                               finished=lambda run: run.done)

    def csv(self, run_id: int) -> Response:
        run = self.run_or_404(run_id)
        # Read the rows now: the response streams after the request's database session is gone, and a
        # row's account or licensee (an imported customer, a corrected finding) would be loaded from it.
        rows = list(self.csv_rows(run))
        return Response(csv_stream(self.csv_header, rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{self.slug}-{run.id}.csv"'})


def add_routes(bp: Blueprint, pages: RunPages) -> None:
    """Register a tool's run pages on `bp`."""
    runs = f"/{pages.slug}/runs/<int:run_id>"
    for rule, suffix, view in ((runs, "run", pages.show), (f"{runs}/progress", "progress", pages.progress),
                               (f"{runs}/events", "events", pages.events),
                               (f"{runs}/{pages.csv_file}", "csv", pages.csv)):
        bp.add_url_rule(rule, f"{pages.name}_{suffix}", allow(Permission.ADMIN_VIEW)(view))
