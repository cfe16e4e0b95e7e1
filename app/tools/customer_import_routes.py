"""admin > Tools > Customer import: read the operator's Partner Center customers (a job, its progress
pushed or polled), list those the storefront does not know (filtered, paged, CSV), and import each into
the account the operator chooses among those Partner Center allows (a refusal is shown at the customer's
Import field). Operator members read."""
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
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.query import page_of, requested_page
from app.web.rendering import render


def _filters() -> dict:
    args = request.args
    state = args.get("state", "pending")
    kind = args.get("kind")
    return {"state": state if state in rules.STATES else "pending", "kind": kind if kind in ("direct", "indirect") else None,
            "q": (args.get("q") or "").strip()[:100]}


def _context(run: CustomerImportRun, *, polls: bool | None = None, **extra) -> dict:
    streams = not run.done and live.may_stream(current_user.id)
    filters = _filters()
    candidates, page, pages, total = [], 1, 1, 0
    if run.done:
        query = rules.candidates_query(run, **filters)
        found = page_of(query, requested_page(request.args), rules.PAGE_SIZE)
        candidates, page, pages, total = found.rows, found.page, found.pages, found.total
    return {"run": run, "streams": streams, "polls": (not run.done and not streams) if polls is None else polls,
            "filters": filters, "filter_args": {k: v for k, v in filters.items() if v}, "candidates": candidates,
            "page_number": page, "pages": pages, "total": total, "states": rules.STATES, "targets_for": rules.targets_for,
            "not_offered": rules.not_offered, "partner_centers_reseller": rules.partner_centers_reseller, "namesakes_words": rules.namesakes_words, "import_errors": {}, "chosen": {}, **extra}


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


RUN_PAGES = run_pages.register(bp, "customer_import", CustomerImportRun, LIVE_KIND, context=_context,
                               csv_file="customers.csv", csv_header=rules.CSV_HEADER, csv_rows=rules.csv_rows,
                               csv_query=lambda run: rules.candidates_query(run, **_filters()))


@bp.route("/customer-import/runs/<int:run_id>/customers/<int:candidate_id>/import", methods=["POST"])
@allow(Permission.TOOLS_RUN)
@form_on("tools.customer_import_run")
def import_customer(run_id: int, candidate_id: int):
    run = RUN_PAGES.run_or_404(run_id)
    candidate = db.session.get(ImportCandidate, candidate_id)
    if candidate is None or candidate.run_id != run.id:
        abort(404)
    back = url_for("tools.customer_import_run", run_id=run.id, **{k: v for k, v in _filters().items() if v},
                   **({"page": requested_page(request.args)} if requested_page(request.args) > 1 else {}))
    choice = request.form.get("target", "")
    try:
        message = rules.import_candidate(candidate, choice, actor=current_user, origin=request_origin())
    except ImportRefused as refused:
        # Refused at the customer's Import field, its choice kept; the page as it was (filters, page).
        db.session.rollback()
        context = _context(run, import_errors={candidate.id: str(refused)}, chosen={candidate.id: choice})
        if candidate not in context["candidates"]:
            flash(f"{candidate.company_name}: {refused}", "error")
        return render(RUN_PAGES.page, status=422, **context)
    db.session.commit()
    flash(message, "success")
    return redirect(back, code=303)
