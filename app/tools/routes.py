"""Stuck work: orders and catalog syncs that stopped at a deadline or have nobody working on them,
each with a Retry for operator admins (operator members read)."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, url_for
from flask_login import current_user

from app.audit import services as audit
from app.extensions import db
from app.time import utcnow
from app.tools import bp
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import render

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
def stuck():
    """Orders and catalog syncs that stopped at a deadline or have nobody working on them."""
    from app.catalog.sync import stuck_syncs
    from app.orders.sweep import stuck_orders

    now = utcnow()
    orders, queue_ok = stuck_orders(now)
    syncs = [(sync, reason, _age(now - sync.created_at)) for sync, reason in stuck_syncs(now)]
    return render("tools/stuck.html", orders=[(s.order, s.reason, _age(s.age(now))) for s in orders],
                  syncs=syncs, queue_ok=queue_ok)


@bp.route("/stuck/orders/<number>/retry", methods=["POST"])
@allow(Permission.TOOLS_RUN)
@form_on("tools.stuck")
def retry_order(number: str):
    from app.orders.sweep import NotRetryable
    from app.orders.sweep import retry_order as retry
    from app.orders.models import Order

    order = db.first_or_404(db.select(Order).where(Order.number == number.upper()))
    try:
        enqueued = retry(order, actor=current_user, origin=request_origin())
    except NotRetryable as refused:
        flash(str(refused), "error")
        return redirect(url_for("tools.stuck"))
    if enqueued:
        flash(f"Order {order.number} is processing again; it resumes where it stopped.", "success")
    else:
        flash(f"Order {order.number} is processing again, but the job queue was not reachable: provisioning "
              "starts when the queue is back.", "error")
    return redirect(url_for("tools.stuck"))


@bp.route("/stuck/syncs/<int:sync_id>/retry", methods=["POST"])
@allow(Permission.TOOLS_RUN)
@form_on("tools.stuck")
def retry_sync(sync_id: int):
    """A failed or stuck sync is retried as a new run (the old row keeps its history)."""
    from app.catalog import sync as catalog
    from app.catalog.jobs import start_sync
    from app.catalog.models import OPEN_SYNC_STATUSES, CatalogSync, SyncStatus, SyncTrigger

    sync = db.get_or_404(CatalogSync, sync_id)
    if sync.status in OPEN_SYNC_STATUSES:
        reason = catalog.missed_sync_deadline(sync, utcnow())
        if reason is None:
            flash(f"Catalog sync {sync.id} is still within its deadline; follow it on the Catalog sync page.",
                  "error")
            return redirect(url_for("tools.stuck"))
        catalog.mark_sync_failed(sync, reason)
    elif sync.status != SyncStatus.FAILED:
        flash(f"Catalog sync {sync.id} finished: there is nothing to retry.", "error")
        return redirect(url_for("tools.stuck"))
    run = start_sync(SyncTrigger.MANUAL, current_user)
    audit.record("catalog_sync_requested", actor=current_user, subject=f"Catalog sync {run.id}",
                 details={"retry_of": sync.id}, origin=request_origin())
    db.session.commit()
    if run.status == SyncStatus.FAILED:
        flash(run.message, "error")
        return redirect(url_for("tools.stuck"))
    flash(f"Catalog sync {run.id} is on its way; its progress is below.", "success")
    return redirect(url_for("catalog.sync"))
