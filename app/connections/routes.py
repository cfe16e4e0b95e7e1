from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import redis
from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from rq.job import Job
from rq.exceptions import NoSuchJobError

from app.audit import services as audit
from app.connections import bp
from app.connections.consent import HEADLINE as MFA_HEADLINE
from app.connections.consent import STEPS as MFA_STEPS
from app.connections.consent import mfa_consent_needed
from app.accounts.markets import MARKET_NAMES
from app.accounts.models import Account
from app.connections.forms import CheckForm, InstanceForm, markets_form
from app.connections.jobs import check_connection
from app.connections import webhooks
from app.connections.models import PartnerCenterInstance, PartnerCenterWebhook
from app.connections.services import (SANDBOX_INSTANCE, assign_markets, connection_sandbox_url, default_instance_name,
                                      holders, instance_names, market_connections, remove_instance, sandbox_mode,
                                      sandbox_url, save_instance, UnknownInstance)
from app.extensions import db, get_redis
from app.jobs import enqueue, unfinished
from app.partner_center.clouds import CLOUDS
from app.time import waited
from app.web.access import Permission, allow, may
from app.web.changes import commit_and_redirect
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import is_htmx, poll_status, redirect_to, render

log = logging.getLogger(__name__)


@bp.route("/", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.CONNECTIONS_CHANGE)
def index():
    form = InstanceForm()
    if form.is_submitted():
        valid = form.validate()
        existing = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == form.name.data))
        if existing is None and not form.client_secret.data:
            form.client_secret.errors = [*form.client_secret.errors, "Enter the client secret of the new connection."]
            valid = False
        if valid and sandbox_mode() and form.name.data == SANDBOX_INSTANCE:
            form.name.errors = [*form.name.errors, f"{SANDBOX_INSTANCE} is the built-in sandbox's name: choose another."]
            valid = False
        if valid:
            save_instance(name=form.name.data, cloud=form.cloud.data, tenant_id=form.tenant_id.data,
                          client_id=form.client_id.data, client_secret=form.client_secret.data,
                          refresh_token=form.refresh_token.data,
                          make_default=form.make_default.data and not sandbox_mode())
            audit.record("partner_center_instance_saved", actor=current_user, subject=form.name.data,
                         details={"cloud": form.cloud.data, "made_default": bool(form.make_default.data)},
                         origin=request_origin())
            db.session.commit()
            flash(f"Connection {form.name.data} saved.", "success")
            return redirect(url_for("connections.index"))
    return _page(form=form, status=422 if form.errors else 200)


def _page(*, form=None, markets=None, status: int = 200):
    instances = db.session.scalars(db.select(PartnerCenterInstance).order_by(PartnerCenterInstance.name)).all()
    try:
        serving, no_default = default_instance_name(), None
    except UnknownInstance as problem:
        serving, no_default = None, str(problem)
    assigned = market_connections()
    served_markets: dict[str, list[str]] = {}  # explicitly assigned; the default connection serves the others
    for market, name in assigned.items():
        served_markets.setdefault(name, []).append(market)
    pinned = dict(db.session.execute(db.select(Account.partner_center_connection, db.func.count())
                                     .where(Account.partner_center_connection.is_not(None))
                                     .group_by(Account.partner_center_connection)).all())
    names = instance_names()  # read once: the page lists them in three places
    mfa_needed = {name: flag for name in names if (flag := mfa_consent_needed(name))}
    webhook_rows = {row.connection: row for row in db.session.scalars(db.select(PartnerCenterWebhook))}
    webhook_waits = {name: wait for name, row in webhook_rows.items()
                     if row.status == "registering" and (wait := _registration_waited(name))}
    return render("connections/index.html", form=form or InstanceForm(formdata=None), check_form=CheckForm(),
                  instances=instances, served_markets=served_markets, pinned=pinned, market_names=MARKET_NAMES,
                  markets_form=markets or markets_form(names, assigned, serving, formdata=None),
                  connection_sandbox_url=connection_sandbox_url,
                  mfa_needed=mfa_needed, mfa_headline=MFA_HEADLINE, mfa_steps=MFA_STEPS,
                  names=names, sandbox=sandbox_mode(), sandbox_url=sandbox_url(), clouds=CLOUDS,
                  serving=serving, no_default=no_default if instances else None,
                  sandbox_instance=SANDBOX_INSTANCE, check=_page_check(request.args.get("check")), status=status,
                  webhook_rows=webhook_rows, webhook_waits=webhook_waits, public_url=current_app.config["PUBLIC_URL"],
                  held=holders([i.name for i in instances]) if may(current_user, Permission.CONNECTIONS_CHANGE) else {})


@bp.route("/markets", methods=["POST"])
@allow(Permission.CONNECTIONS_CHANGE)
@form_on("connections.index")
def markets():
    """Which connection serves each market; accounts pinned to a connection keep theirs."""
    try:
        serving = default_instance_name()
    except UnknownInstance:
        serving = None
    before = market_connections()
    form = markets_form(instance_names(), before, serving)
    if not form.validate_on_submit():
        return _page(markets=form, status=422)
    chosen = {market: field.data or None for market, field in form.market_fields}
    assign_markets(chosen)
    changed = {market: name or "default connection" for market, name in chosen.items() if before.get(market) != name}
    if changed:
        audit.record("partner_center_markets_assigned", actor=current_user, subject="Markets", details=changed,
                     origin=request_origin())
    db.session.commit()
    flash("Markets saved: " + ", ".join(f"{MARKET_NAMES[m]} is served by {n}" for m, n in changed.items()) + "."
          if changed else "Nothing was changed.", "success")
    return redirect(url_for("connections.index") + "#markets-heading", code=303)


def _posted_to_connection(name: str) -> None:
    """A button of a connection's row: 404 when there is no such connection, 400 without the form's token."""
    if name not in instance_names():
        abort(404)
    if not CheckForm().validate_on_submit():
        abort(400)


@bp.route("/<name>/check", methods=["POST"])
@allow(Permission.TOOLS_RUN)
@form_on("connections.index")
def check(name: str):
    _posted_to_connection(name)
    job_id = f"partner-center-check-{name}"
    try:
        running = unfinished(job_id)
        job = running or enqueue(check_connection, name, job_id=job_id, timeout=120, retry=None)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        log.warning("connection check of %s not started: Redis is unreachable", name, exc_info=True)
        flash("The job queue is not reachable right now, so the connection check could not start. Nothing was "
              "lost; please try again in a minute.", "error")
        return redirect(url_for("connections.index"))
    if running:  # a second press shows the first check's answer: say why, lest it look like a new one's
        flash(f"A check of {name} is already running, so no second one was started: its answer shows below.", "info")
    return redirect(url_for("connections.index", check=job.id))


@bp.route("/<name>/remove", methods=["POST"])
@allow(Permission.CONNECTIONS_CHANGE)
@form_on("connections.index")
def remove(name: str):
    """A connection nothing holds (added by mistake, or under a mistyped name), asked first: with JavaScript
    the Remove button's hx-confirm asks and its post carries confirmed=yes; without, the post opens a page that
    asks. One that serves the storefront or that a row names stays, and the page says what holds it."""
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None or (sandbox_mode() and name == SANDBOX_INSTANCE):
        abort(404)
    if not CheckForm().validate_on_submit():
        abort(400)
    held = holders([name])[name]
    if held:  # held since the page was drawn (its button is offered only to a connection nothing holds)
        flash(f"The connection {name} cannot be removed: {'; '.join(held)}.", "error")
        return redirect_to(url_for("connections.index"))
    if not confirmed():
        return render("connections/confirm_remove.html", connection=row, form=CheckForm(),
                      webhook=db.session.scalar(db.select(PartnerCenterWebhook)
                                                .where(PartnerCenterWebhook.connection == name)))
    remove_instance(name)
    audit.record("partner_center_instance_removed", actor=current_user, subject=name, details={"cloud": row.cloud},
                 origin=request_origin())
    return commit_and_redirect(url_for("connections.index"), f"Connection {name} removed.")


def _registration_job_id(name: str) -> str:
    return f"partner-center-webhooks-{name}"


def _registration_waited(name: str) -> str | None:
    """How long a webhook registration no worker has taken yet has waited (as for a check), or None."""
    try:
        job = Job.fetch(_registration_job_id(name), connection=get_redis())
        if job.get_status(refresh=False) not in ("queued", "scheduled", "deferred"):
            return None
    except (NoSuchJobError, redis.exceptions.RedisError):
        return None
    return _waited_for_a_worker(job)


@bp.route("/<name>/webhooks", methods=["POST"])
@allow(Permission.CONNECTIONS_CHANGE)
@form_on("connections.index")
def register_webhooks(name: str):
    """Register (or update) the connection's Partner Center webhook: a job, since it waits on Microsoft."""
    _posted_to_connection(name)
    webhooks.start_registration(name)
    audit.record("partner_center_webhooks_register_asked", actor=current_user, subject=name, origin=request_origin())
    db.session.commit()
    try:
        enqueue(webhooks.register_webhooks, name, job_id=_registration_job_id(name), timeout=120, retry=None)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        log.warning("webhook registration of %s not started: Redis is unreachable", name, exc_info=True)
        row = webhooks.row_for(name)
        row.status, row.problem = "failed", "The job queue was not reachable, so the registration did not start."
        db.session.commit()
        flash("The job queue is not reachable right now, so the registration could not start. Please try again "
              "in a minute.", "error")
        return redirect(url_for("connections.index"))
    flash(f"Registering the webhooks of {name}: the status below changes when Partner Center has answered "
          "(reload the page).", "success")
    return redirect(url_for("connections.index") + "#webhooks-heading")


@bp.route("/checks/<job_id>")
@allow(Permission.ADMIN_VIEW)
def check_status(job_id: str):
    """The result of a connection check; htmx polls it until the job ends (286 stops polling)."""
    if not job_id.startswith("partner-center-check-"):
        abort(404)
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        abort(404)
    state = _check_state(job)
    ended = state["job_status"] in ENDED
    return render("connections/check_status.html", "connections/_check_status.html", **state,
                  status=poll_status(ended and is_htmx()))


ENDED = ("finished", "failed", "stopped", "canceled")


# A check still waiting this long for a worker is said so: the page would otherwise say "Checking the
# connection…" for as long as the worker is stopped.
WORKER_WAIT = timedelta(seconds=30)


def _check_state(job: Job) -> dict:
    """What connections/_check_status.html shows of a connection check's job."""
    job_status = job.get_status(refresh=True)
    return {"job_id": job.id, "job_status": job_status,
            "result": job.return_value() if job_status == "finished" else None,
            "error": "The check could not run. The worker log has the details." if job_status == "failed" else None,
            "waiting": _waited_for_a_worker(job) if job_status in ("queued", "scheduled", "deferred") else None}


def _waited_for_a_worker(job: Job) -> str | None:
    """How long a check no worker has taken yet has waited, in words, once that is longer than WORKER_WAIT."""
    if job.enqueued_at is None:
        return None
    enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=timezone.utc)
    so_far = datetime.now(timezone.utc) - enqueued
    return waited(so_far) if so_far >= WORKER_WAIT else None


def _page_check(job_id: str | None) -> dict | None:
    """The check the page was sent back with (?check=), as it stands now: a reload after it ended shows its
    answer, not "Checking…" again. Still queued, or Redis not answering, it is shown as waiting (the page
    polls it with JavaScript; its link shows the answer without)."""
    if not job_id or not job_id.startswith("partner-center-check-"):
        return None
    try:
        return _check_state(Job.fetch(job_id, connection=get_redis()))
    except NoSuchJobError:
        return None
    except redis.exceptions.RedisError:
        return {"job_id": job_id, "job_status": "queued", "result": None, "error": None, "waiting": None}
