"""admin > Tools > Customer import: read the operator's Partner Center customers (a job, its progress
pushed or polled), list those the storefront does not know (filtered, paged, CSV), and import each into
the account the operator chooses. Operator members read."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app import live
from app.extensions import db
from app.tools import bp, run_pages
from app.tools import customer_import as rules
from app.tools.customer_import_jobs import LIVE_KIND, open_run, start_run
from app.tools.importing import ImportRefused
from app.tools.models import CustomerImportRun, ImportCandidate
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import render


def _run_or_404(run_id: int) -> CustomerImportRun:
    run = db.session.get(CustomerImportRun, run_id)
    if run is None:
        abort(404)
    return run


def _filters() -> dict:
    args = request.args
    state = args.get("state", "pending")
    kind = args.get("kind")
    return {"state": state if state in rules.STATES else "pending", "kind": kind if kind in ("direct", "indirect") else None,
            "q": (args.get("q") or "").strip()[:100]}


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _context(run: CustomerImportRun, *, polls: bool | None = None, **extra) -> dict:
    streams = not run.done and live.may_stream(current_user.id)
    filters = _filters()
    candidates, page, pages, total = [], 1, 1, 0
    if run.done:
        query = rules.candidates_query(run, **filters)
        total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
        pages = max(1, -(-total // rules.PAGE_SIZE))
        page = min(_page(), pages)
        candidates = db.session.scalars(query.offset((page - 1) * rules.PAGE_SIZE).limit(rules.PAGE_SIZE)).all()
    return {"run": run, "streams": streams, "polls": (not run.done and not streams) if polls is None else polls,
            "filters": filters, "filter_args": {k: v for k, v in filters.items() if v}, "candidates": candidates,
            "page_number": page, "pages": pages, "total": total, "states": rules.STATES, "targets_for": rules.targets_for,
            **extra}


@bp.route("/customer-import", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.TOOLS_RUN)
def customer_import():
    if request.method == "POST":
        running = open_run()
        if running is not None:
            flash(f"Customer import {running.id} is still reading Partner Center; follow it below.", "error")
            return redirect(url_for("tools.customer_import_run", run_id=running.id), code=303)
        run = start_run(actor=current_user, origin=request_origin())
        flash(run.message if run.done else f"Customer import {run.id} is reading Partner Center's customers.",
              "error" if run.done else "success")
        return redirect(url_for("tools.customer_import_run", run_id=run.id), code=303)
    return render("tools/customer_import.html", runs=rules.latest_runs())


@bp.route("/customer-import/runs/<int:run_id>")
@allow(Permission.ADMIN_VIEW)
def customer_import_run(run_id: int):
    return render("tools/customer_import_run.html", **_context(_run_or_404(run_id)))


@bp.route("/customer-import/runs/<int:run_id>/progress")
@allow(Permission.ADMIN_VIEW)
def customer_import_progress(run_id: int):
    return run_pages.progress(_run_or_404(run_id), page="tools/customer_import_run.html",
                              fragment="tools/_customer_import_progress.html", context=_context)


@bp.route("/customer-import/runs/<int:run_id>/events")
@allow(Permission.ADMIN_VIEW)
def customer_import_events(run_id: int):
    _run_or_404(run_id)
    return run_pages.events(CustomerImportRun, run_id, kind=LIVE_KIND, fragment="tools/_customer_import_progress.html",
                            context=_context)


@bp.route("/customer-import/runs/<int:run_id>/customers.csv")
@allow(Permission.ADMIN_VIEW)
def customer_import_csv(run_id: int):
    run = _run_or_404(run_id)
    candidates = db.session.scalars(rules.candidates_query(run, **_filters())).all()
    return run_pages.csv_download(f"customer-import-{run.id}.csv", rules.CSV_HEADER, rules.csv_rows(candidates))


@bp.route("/customer-import/runs/<int:run_id>/customers/<int:candidate_id>/import", methods=["POST"])
@allow(Permission.TOOLS_RUN)
def import_customer(run_id: int, candidate_id: int):
    run = _run_or_404(run_id)
    candidate = db.session.get(ImportCandidate, candidate_id)
    if candidate is None or candidate.run_id != run.id:
        abort(404)
    back = url_for("tools.customer_import_run", run_id=run.id, **{k: v for k, v in _filters().items() if v})
    try:
        message = rules.import_candidate(candidate, request.form.get("target", ""), actor=current_user,
                                         origin=request_origin())
    except ImportRefused as refused:
        db.session.rollback()
        flash(f"{candidate.company_name}: {refused}", "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(message, "success")
    return redirect(back, code=303)
