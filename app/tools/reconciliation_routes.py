"""admin > Tools > Reconciliation: start a run (operator admins), follow its progress (pushed, or
polled when it cannot be), read its findings grouped by kind, filter them, export them as CSV, and
correct them one by one or all selected at once. Operator members read."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app import live
from app.extensions import db
from app.tools import bp, run_pages
from app.tools import reconciliation as rules
from app.tools import reconciliation_corrections as corrections
from app.tools.models import Correction, FindingKind, ReconciliationFinding, ReconciliationRun
from app.tools.reconciliation_jobs import LIVE_KIND, open_run, start_run
from app.web.access import Permission, allow
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import render


def _filters() -> dict:
    args = request.args
    state = args.get("state", "open")
    return {"kind": args.get("kind") or None, "state": state if state in rules.STATES else "open",
            "q": (args.get("q") or "").strip()[:100]}


def _run_context(run: ReconciliationRun, *, polls: bool | None = None, **extra) -> dict:
    streams = not run.done and live.may_stream(current_user.id)
    filters = _filters()
    findings = db.session.scalars(rules.findings_query(run, **filters).limit(500)).all() if run.done else []
    return {"run": run, "streams": streams, "polls": (not run.done and not streams) if polls is None else polls,
            "filters": filters, "filter_args": {k: v for k, v in filters.items() if v}, "findings": findings, "counts": rules.counts_by_kind(run) if run.done else [],
            "open_count": rules.open_findings_count(run) if run.done else 0, "kinds": list(FindingKind),
            "states": rules.STATES, "corrections_for": corrections.corrections_for, "Correction": Correction,
            "targets": corrections.import_targets(), **extra}


@bp.route("/reconciliation", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.TOOLS_RUN)
def reconciliation():
    """The tool's page: what to reconcile, the latest run, earlier runs. POST starts a run."""
    errors, typed = {}, {"scope": request.form.get("scope", "all"), "subscription": request.form.get("subscription", "")}
    if request.method == "POST":
        try:
            scope, scope_id, label = rules.parse_scope(typed["scope"], typed["subscription"])
        except rules.ScopeRefused as refused:
            errors[refused.field] = refused.message
        else:
            running = open_run()
            if running is not None:
                flash(f"Reconciliation {running.id} ({running.scope_label}) is still running; follow it below. "
                      "Start another when it has finished.", "error")
                return redirect(url_for("tools.reconciliation_run", run_id=running.id), code=303)
            run = start_run(scope, scope_id, label, actor=current_user, origin=request_origin())
            if run.done:
                flash(run.message, "error")
            else:
                flash(f"Reconciliation {run.id} has started.", "success")
            return redirect(url_for("tools.reconciliation_run", run_id=run.id), code=303)
    return render("tools/reconciliation.html", status=422 if errors else 200, errors=errors, typed=typed,
                  choices=rules.scope_choices(), latest=rules.latest_run(), runs=rules.recent_runs())


RUN_PAGES = run_pages.register(bp, "reconciliation", ReconciliationRun, LIVE_KIND, context=_run_context,
                               csv_file="findings.csv", csv_header=rules.CSV_HEADER, csv_rows=rules.csv_rows,
                               csv_query=lambda run: rules.findings_query(run, **_filters()))




@bp.route("/reconciliation/runs/<int:run_id>/corrections", methods=["POST"])
@allow(Permission.TOOLS_RUN)
@form_on("tools.reconciliation_run")
def reconciliation_correct(run_id: int):
    """One correction: a row's own button (apply=<finding id>:<correction>), or the one chosen below the
    table for every selected finding (apply=bulk)."""
    run = RUN_PAGES.run_or_404(run_id)
    pressed = request.form.get("apply", "")
    if pressed == "bulk":
        ids = [int(i) for i in request.form.getlist("finding") if i.isdigit()]
        chosen = request.form.get("correction", "")
    else:
        finding_id, _, chosen = pressed.partition(":")
        ids = [int(finding_id)] if finding_id.isdigit() else []
    back = url_for("tools.reconciliation_run", run_id=run.id, **{k: v for k, v in _filters().items() if v})
    try:
        correction = Correction(chosen)
    except ValueError:
        flash("Choose a correction to apply.", "error")
        return redirect(back, code=303)
    findings = db.session.scalars(db.select(ReconciliationFinding).where(
        ReconciliationFinding.run_id == run.id, ReconciliationFinding.id.in_(ids))).all() if ids else []
    if not findings:
        flash("Select the findings to correct.", "error")
        return redirect(back, code=303)
    pushed = [f for f in findings if Correction.PUSH_STOREFRONT in corrections.corrections_for(f)]
    if correction == Correction.PUSH_STOREFRONT and pushed and not confirmed():
        # Pushing places orders at Microsoft (fewer seats, a cancellation that cannot be undone), so
        # the operator reads what each one does and confirms; the other corrections stay one press.
        return render("tools/reconciliation_confirm_push.html", run=run, pushed=pushed, findings=findings,
                      pressed=pressed, correction=correction, back=back)
    outcomes = corrections.apply(findings, correction, actor=current_user, origin=request_origin(),
                                 target=request.form.get("target", corrections.MATCHING))
    done = [o for o in outcomes if o.done]
    for message in dict.fromkeys(o.message for o in done):
        flash(message, "success")
    for message in dict.fromkeys(o.message for o in outcomes if not o.done):
        flash(message, "error")
    return redirect(back, code=303)
