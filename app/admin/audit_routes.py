"""admin > Audit log: every event, filtered by actor, account, action and date range, with each
event's details and a CSV download of what the filters select. Reads only."""
from __future__ import annotations

from flask import Response, abort, request, stream_with_context, url_for
from wtforms.fields.choices import SelectChoice

from app.admin import audit_log as log
from app.admin import bp
from app.admin.forms import AuditFilterForm
from app.audit.labels import action_label
from app.web.access import Permission, allow
from app.web.csv_export import csv_stream
from app.web.query import applied, requested_page, unapplied
from app.web.rendering import render


def _form_and_filters() -> tuple[AuditFilterForm, log.AuditFilters, bool]:
    form = AuditFilterForm(request.args)
    form.account.choices = [SelectChoice("", "All accounts")] + [SelectChoice(str(i), n) for i, n in log.accounts()]
    form.action.choices = [SelectChoice("", "All actions")] + sorted(
        (SelectChoice(a, action_label(a)) for a in log.actions()), key=lambda choice: choice.label)
    valid = not request.args or form.validate()
    filters = log.AuditFilters(actor=(form.actor.data or "").strip()[:200], account=applied(form.account) or "",
                               action=applied(form.action) or "",
                               date_from=applied(form.date_from), date_to=applied(form.date_to),
                               page=requested_page(request.args))
    return form, filters, valid


@bp.route("/audit")
@allow(Permission.ADMIN_VIEW)
def audit_log():
    form, filters, valid = _form_and_filters()
    result = log.search(filters)
    clean = url_for("admin.audit_log", **filters.args(page=result.page))
    return render("admin/audit.html", "admin/_audit_log.html", status=200 if valid else 422, form=form,
                  filters=filters, result=result, unapplied=unapplied(form),
                  csv_url=url_for("admin.audit_csv", **filters.args(page=1)),
                  headers={"HX-Push-Url": clean} if valid else None)


@bp.route("/audit/<int:event_id>")
@allow(Permission.ADMIN_VIEW)
def audit_event(event_id: int):
    event = log.find(event_id)
    if event is None:
        abort(404)
    return render("admin/audit_event.html", event=event, details=sorted((event.details or {}).items()),
                  details_text=log.details_text(event))


@bp.route("/audit.csv")
@allow(Permission.ADMIN_VIEW)
def audit_csv():
    form, filters, valid = _form_and_filters()
    if not valid:
        abort(400)
    return Response(stream_with_context(csv_stream(log.CSV_HEADER, log.csv_rows(filters))), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
