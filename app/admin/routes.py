from __future__ import annotations

from dataclasses import asdict, fields

from datetime import timedelta

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.forms import settings_form_class
from app.admin.settings import StorefrontSettings
from app.audit import services as audit
from app.audit.models import AuditEvent
from app.extensions import db
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import render


@bp.route("/options", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.OPTIONS_CHANGE)
def options():
    settings = StorefrontSettings.load()
    form = settings_form_class()(data=asdict(settings))
    if form.validate_on_submit():
        for f in fields(settings):
            setattr(settings, f.name, getattr(form, f.name).data)
        changed = settings.save(by=current_user)
        if changed:
            audit.record("storefront_options_changed", actor=current_user, subject="Storefront options",
                         details={k: {"from": v[0], "to": v[1]} for k, v in changed.items()},
                         origin=request_origin())
        db.session.commit()
        flash("Storefront options saved." if changed else "No options changed.", "success")
        return redirect(url_for("admin.options"))
    status = 422 if form.errors else 200
    groups: dict[str, list] = {}
    for f in StorefrontSettings.option_fields():
        groups.setdefault(f.metadata["group"], []).append(getattr(form, f.name))
    return render("admin/options.html", "admin/_options_form.html", form=form, groups=groups, status=status)


@bp.route("/audit")
@allow(Permission.ADMIN_VIEW)
def audit_log():
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.occurred_at.desc()).limit(200)).all()
    return render("admin/audit.html", events=events)


@bp.route("/mca")
@allow(Permission.ADMIN_VIEW)
def mca_log():
    """Every Microsoft Customer Agreement acceptance and confirmation, filterable, with a CSV export."""
    from app.checkout.models import McaAcceptance

    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    date_from, date_to = _date_arg("from"), _date_arg("to")
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
        # Read the rows now: the response streams after the request's database session is gone.
        return Response(_mca_csv(_mca_values(db.session.scalars(stmt))), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=mca-acceptances.csv"})
    rows = db.session.scalars(stmt.limit(500)).all()
    return render("admin/mca.html", rows=rows, q=q, kind=kind, date_from=request.args.get("from", ""),
                  date_to=request.args.get("to", ""))


def _date_arg(name):
    from datetime import datetime

    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d")
    except ValueError:
        return None


def _mca_csv(rows):
    from app.web.csv_export import csv_stream

    return csv_stream(["Accepted at (UTC)", "Kind", "Account", "Recorded by", "Customer", "Tenant",
                       "Signatory first name", "Signatory last name", "Email", "Phone", "Agreement template",
                       "IP address", "Browser", "Order"], rows)


def _mca_values(rows) -> list[list[str]]:
    return [[r.accepted_at.strftime("%Y-%m-%d %H:%M:%S"), r.kind, r.account.name, r.user.email, r.customer_name,
             r.tenant_domain or "", r.first_name, r.last_name, r.email, r.phone or "", r.template_id,
             r.ip_address or "", r.user_agent or "", r.order_number or ""] for r in rows]


# ---------------------------------------------------------------- stuck work


def _age(delta: timedelta) -> str:
    """"3 days 4 h", "5 h 20 min", "12 min": how long the work has been going on."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


@bp.route("/stuck")
@allow(Permission.ADMIN_VIEW)
def stuck_work():
    """Orders and catalog syncs that stopped at a deadline or have nobody working on them."""
    from app.accounts.models import utcnow
    from app.catalog.services import stuck_syncs
    from app.orders.jobs import stuck_orders

    now = utcnow()
    orders, queue_ok = stuck_orders(now)
    syncs = [(sync, reason, _age(now - sync.created_at)) for sync, reason in stuck_syncs(now)]
    return render("admin/stuck.html", orders=[(s.order, s.reason, _age(s.age(now))) for s in orders],
                  syncs=syncs, queue_ok=queue_ok)


@bp.route("/stuck/orders/<number>/retry", methods=["POST"])
@allow(Permission.TOOLS_RUN)
def retry_order(number: str):
    from app.orders.jobs import NotRetryable
    from app.orders.jobs import retry_order as retry
    from app.orders.models import Order

    order = db.session.scalar(db.select(Order).where(Order.number == number.upper()))
    if order is None:
        abort(404)
    try:
        enqueued = retry(order, actor=current_user, origin=request_origin())
    except NotRetryable as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.stuck_work"))
    if enqueued:
        flash(f"Order {order.number} is processing again; it resumes where it stopped.", "success")
    else:
        flash(f"Order {order.number} is processing again, but the job queue was not reachable: provisioning "
              "starts when the queue is back.", "error")
    return redirect(url_for("admin.stuck_work"))


@bp.route("/stuck/syncs/<int:sync_id>/retry", methods=["POST"])
@allow(Permission.TOOLS_RUN)
def retry_sync(sync_id: int):
    """A failed or stuck sync is retried as a new run (the old row keeps its history)."""
    from app.accounts.models import utcnow
    from app.catalog import services as catalog
    from app.catalog.jobs import start_sync
    from app.catalog.models import CatalogSync

    sync = db.session.get(CatalogSync, sync_id)
    if sync is None:
        abort(404)
    if sync.status in ("queued", "running"):
        reason = catalog.missed_sync_deadline(sync, utcnow())
        if reason is None:
            flash(f"Catalog sync {sync.id} is still within its deadline; follow it on the Catalog sync page.",
                  "error")
            return redirect(url_for("admin.stuck_work"))
        catalog.mark_sync_failed(sync, reason)
    elif sync.status != "failed":
        flash(f"Catalog sync {sync.id} finished: there is nothing to retry.", "error")
        return redirect(url_for("admin.stuck_work"))
    run = start_sync("manual", current_user)
    audit.record("catalog_sync_requested", actor=current_user, subject=f"Catalog sync {run.id}",
                 details={"retry_of": sync.id}, origin=request_origin())
    db.session.commit()
    if run.status == "failed":
        flash(run.message, "error")
        return redirect(url_for("admin.stuck_work"))
    flash(f"Catalog sync {run.id} is on its way; its progress is below.", "success")
    return redirect(url_for("catalog.sync"))
