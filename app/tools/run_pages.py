"""The pages every tool run has (reconciliation, customer import), registered for each tool by
`register`: the run's page; the progress fragment that the page polls when it has no stream; the
event stream that pushes that fragment while the run goes on; and the CSV export of its result.
Each tool gives its model, its page context (`context(run, polls=..., **extra)`) and its CSV: the
query of the rows it exports and how it writes them. Operator members read them all."""
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
    """A tool's run pages, named after the tool (`name`, e.g. "customer_import"): at
    /customer-import/runs/<run_id>[/progress|/events|/<csv_file>], endpoints customer_import_run,
    _progress, _events and _csv; the page templates/tools/customer_import_run.html and its progress
    fragment templates/tools/_customer_import_progress.html; the CSV downloads as customer-import-<run id>.csv."""

    name: str
    model: type
    live_kind: str
    context: Callable[..., dict]
    csv_file: str
    csv_header: list[str]
    csv_rows: Callable[[list], Iterable]  # the CSV rows of the items csv_query selects
    csv_query: Callable[[object], object]  # a run's exported items (a select)

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    @property
    def page(self) -> str:
        return f"tools/{self.name}_run.html"

    @property
    def fragment(self) -> str:
        return f"tools/_{self.name}_progress.html"

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
        rows = list(self.csv_rows(db.session.scalars(self.csv_query(run)).all()))
        return Response(csv_stream(self.csv_header, rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{self.slug}-{run.id}.csv"'})


def register(bp: Blueprint, name: str, model, live_kind: str, **pages) -> RunPages:
    """Register a tool's run pages on `bp` (their arguments: RunPages); operator members read them."""
    pages = RunPages(name, model, live_kind, **pages)
    runs = f"/{pages.slug}/runs/<int:run_id>"
    for rule, suffix, view in ((runs, "run", pages.show), (f"{runs}/progress", "progress", pages.progress),
                               (f"{runs}/events", "events", pages.events),
                               (f"{runs}/{pages.csv_file}", "csv", pages.csv)):
        bp.add_url_rule(rule, f"{pages.name}_{suffix}", allow(Permission.ADMIN_VIEW)(view))
    return pages
