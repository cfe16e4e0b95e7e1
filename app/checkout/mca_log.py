"""admin > MCA acceptances: every Microsoft Customer Agreement acceptance and confirmation the
checkout recorded, filterable, with a CSV export. The checkout's own data, so the checkout serves it."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, request

from app.checkout.models import McaAcceptance
from app.extensions import db
from app.web.access import Permission, allow
from app.web.csv_export import csv_stream
from app.web.rendering import render

# Its own blueprint: the checkout's pages live under /checkout, this one under /admin.
bp = Blueprint("mca", __name__)


@bp.route("/admin/mca")
@allow(Permission.ADMIN_VIEW)
def log():
    """Every Microsoft Customer Agreement acceptance and confirmation, filterable, with a CSV export."""
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    date_from, date_to = _date_arg("from"), _date_arg("to")
    # A date that is not one is said at its field (and not applied), rather than silently showing everything.
    errors = {name: "Enter a date like 2026-01-31." for name, value in (("from", date_from), ("to", date_to))
              if value is None and (request.args.get(name) or "").strip()}
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The end date must be on or after the start date."
        date_to = None
    stmt = db.select(McaAcceptance).order_by(McaAcceptance.accepted_at.desc())
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(db.or_(db.func.lower(McaAcceptance.customer_name).like(like),
                                 db.func.lower(McaAcceptance.email).like(like),
                                 db.func.lower(McaAcceptance.tenant_domain).like(like)))
    if kind in ("accepted", "confirmed"):
        stmt = stmt.where(McaAcceptance.kind == kind)
    if date_from:
        stmt = stmt.where(McaAcceptance.accepted_at >= date_from)
    if date_to:
        stmt = stmt.where(McaAcceptance.accepted_at < date_to + timedelta(days=1))
    if request.args.get("format") == "csv":
        if errors:
            abort(400)
        # Read the rows now: the response streams after the request's database session is gone.
        return Response(_mca_csv(_mca_values(db.session.scalars(stmt))), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=mca-acceptances.csv"})
    rows = db.session.scalars(stmt.limit(500)).all()
    return render("checkout/mca_log.html", rows=rows, q=q, kind=kind, date_from=request.args.get("from", ""),
                  date_to=request.args.get("to", ""), errors=errors, status=422 if errors else 200)


def _date_arg(name):
    try:
        return datetime.strptime((request.args.get(name) or "").strip(), "%Y-%m-%d")
    except ValueError:
        return None


def _mca_csv(rows):
    return csv_stream(["Accepted at (UTC)", "Kind", "Account", "Recorded by", "Customer", "Tenant",
                       "Signatory first name", "Signatory last name", "Email", "Phone", "Agreement template",
                       "IP address", "Browser", "Order"], rows)


def _mca_values(rows) -> list[list[str]]:
    return [[r.accepted_at.strftime("%Y-%m-%d %H:%M:%S"), r.kind, r.account.name, r.user.email, r.customer_name,
             r.tenant_domain or "", r.first_name, r.last_name, r.email, r.phone or "", r.template_id,
             r.ip_address or "", r.user_agent or "", r.order_number or ""] for r in rows]
