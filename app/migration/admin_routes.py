"""admin > Migration: upload a migration file (imported by a job, with a result page), announce an
existing account's migration, complete a scheduled one, and edit the onboarding webinars."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from app.accounts.models import Account
from app.extensions import db
from app.migration import bp
from app.migration import jobs
from app.migration import services as svc
from app.migration.forms import (MAX_UPLOAD_BYTES, MigrateNowForm, RemoveWebinarForm, ScheduleForm, UploadForm,
                                 WebinarForm)
from app.migration.models import FAILED, FINISHED, QUEUED, RUNNING, ImportRun, OnboardingWebinar
from app.web.access import Permission, allow
from app.web.changes import commit_and_redirect
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.rendering import is_htmx, poll_status, redirect_to, render

RECENT_RUNS = 10


def _schedule_form(formdata=None) -> ScheduleForm:
    form = ScheduleForm(formdata=formdata) if formdata is not None else ScheduleForm()
    form.account.choices = [("", "Choose an account")] + [
        (str(a.id), f"{a.name} ({a.kind_label.lower()})") for a in svc.accounts_to_schedule()]
    return form


def _page(upload: UploadForm | None = None, schedule: ScheduleForm | None = None, status: int = 200):
    runs = db.session.scalars(db.select(ImportRun).order_by(ImportRun.id.desc()).limit(RECENT_RUNS)).all()
    accounts = [(m, [(person, svc.invitation_status(person)) for person in m.users]) for m in svc.migrated_accounts()]
    return render("migration/admin.html", upload=upload or UploadForm(formdata=None),
                  schedule=schedule or _schedule_form(formdata=None), runs=runs, accounts=accounts,
                  migrate_form=MigrateNowForm(formdata=None), status=status)


@bp.route("/admin/migration", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.MIGRATION_RUN)
def admin_index():
    """The Migration page; POST uploads a file, which a job imports (its result page follows it)."""
    if request.method == "GET":
        return _page()
    form = UploadForm()
    if form.validate_on_submit():
        content = form.file.data.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            form.file.errors = [f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it by account."]
        elif not content.strip():
            form.file.errors = ["The file is empty."]
        elif (earlier := jobs.same_upload(content, current_user)) is not None:
            flash("This file is being imported already: its report is below." if earlier.status in (QUEUED, RUNNING)
                  else "This file was imported a moment ago: its report is below.", "info")
            return redirect_to(url_for("migration.admin_run", run_id=earlier.id))
        else:
            run = jobs.new_run(filename=form.file.data.filename, content=content, source="upload",
                               requested_by=current_user)
            db.session.commit()  # the worker may pick the job up before this request ends
            jobs.start_import(run)
            return redirect_to(url_for("migration.admin_run", run_id=run.id))
    return _page(upload=form, status=422)


@bp.route("/admin/migration/runs/<int:run_id>")
@allow(Permission.ADMIN_VIEW)
def admin_run(run_id: int):
    """An import's progress and report; htmx polls it until the run ends (286 stops polling)."""
    run = found_or_404(db.session.get(ImportRun, run_id))
    lost = jobs.lost_job(run)
    ended = run.status in (FINISHED, FAILED) or lost is not None
    return render("migration/run.html", "migration/_run.html", run=run, lost=lost,
                  status=poll_status(ended and is_htmx()))


@bp.route("/admin/migration/schedule", methods=["POST"])
@allow(Permission.MIGRATION_RUN)
@form_on("migration.admin_index")
def admin_schedule():
    """Announce an existing account's migration: its users see the banner until it is migrated."""
    form = _schedule_form()
    if form.validate_on_submit():
        account = db.session.get(Account, int(form.account.data)) if form.account.data.isdigit() else None
        try:
            migrated = svc.schedule(account, legacy_id=form.legacy_id.data, scheduled_for=form.scheduled_for.data,
                                    actor=current_user, origin=request_origin())
        except svc.MigrationError as refused:
            form[refused.field].errors = [*form[refused.field].errors, refused.message]
        else:
            return commit_and_redirect(url_for("migration.admin_index"),
                                       f"{migrated.account.name} is scheduled for migration: its users see a banner "
                                       "saying so.")
    return _page(schedule=form, status=422)


# Migrating mails every legacy user of the account an invitation, which cannot be called back, so it
# is asked first: with JavaScript the button's hx-confirm asks and its post carries confirmed=yes;
# without, the post opens a page that asks (and lists who is mailed), whose button carries it.


@bp.route("/admin/migration/accounts/<int:migrated_id>/migrate", methods=["POST"])
@allow(Permission.MIGRATION_RUN)
@form_on("migration.admin_index")
def admin_migrate(migrated_id: int):
    """Complete a scheduled account's migration: its legacy users are mailed and invited."""
    migrated = found_or_404(svc.migrated_account_by_id(migrated_id))
    if not MigrateNowForm().validate_on_submit():
        abort(400)
    if not confirmed() and migrated.state == "scheduled":
        return render("migration/confirm_migrate.html", migrated=migrated, form=MigrateNowForm(),
                      to_invite=[p for p in migrated.users if p.invitation_id is None and p.user_id is None])
    problems = svc.complete_migration(migrated, actor=current_user, origin=request_origin())
    db.session.commit()
    invited = sum(1 for person in migrated.users if person.invitation_id is not None)
    message = f"{migrated.account.name} is migrated; {invited} of its users {'is' if invited == 1 else 'are'} invited."
    if problems:
        flash(message + " Not invited: " + "; ".join(f"{k}: {v}" for k, v in problems.items()), "error")
    else:
        flash(message, "success")
    return redirect_to(url_for("migration.admin_index"))


@bp.route("/admin/migration/webinars", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.MIGRATION_RUN)
def admin_webinars():
    """The onboarding webinars migrated accounts are told about (dates and links)."""
    form = WebinarForm() if request.method == "POST" else WebinarForm(formdata=None)
    if request.method == "POST" and form.validate_on_submit():
        svc.add_webinar(title=form.title.data, starts_at=form.starts_at.data, url=form.url.data, actor=current_user,
                        origin=request_origin())
        return commit_and_redirect(url_for("migration.admin_webinars"),
                                   f"The webinar {form.title.data} is announced to migrated accounts.")
    return render("migration/webinars.html", form=form, webinars=svc.all_webinars(),
                  remove_form=RemoveWebinarForm(formdata=None), status=422 if request.method == "POST" else 200)


@bp.route("/admin/migration/webinars/<int:webinar_id>", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.MIGRATION_RUN)
def admin_edit_webinar(webinar_id: int):
    """One webinar's title, time and link, to change (a webinar moved or its link changed)."""
    webinar = found_or_404(db.session.get(OnboardingWebinar, webinar_id))
    form = WebinarForm() if request.method == "POST" else WebinarForm(formdata=None, obj=webinar)
    if request.method == "POST" and form.validate_on_submit():
        svc.change_webinar(webinar, title=form.title.data, starts_at=form.starts_at.data, url=form.url.data,
                           actor=current_user, origin=request_origin())
        return commit_and_redirect(url_for("migration.admin_webinars"), f"The webinar {webinar.title} is saved.")
    return render("migration/edit_webinar.html", webinar=webinar, form=form,
                  status=422 if request.method == "POST" else 200)


@bp.route("/admin/migration/webinars/<int:webinar_id>/remove", methods=["POST"])
@allow(Permission.MIGRATION_RUN)
@form_on("migration.admin_edit_webinar")
def admin_remove_webinar(webinar_id: int):
    """Asked first (it cannot be undone, only added again): with JavaScript the Remove button's
    hx-confirm asks and its post carries confirmed=yes; without, the post opens a page that asks."""
    webinar = found_or_404(db.session.get(OnboardingWebinar, webinar_id))
    if not RemoveWebinarForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return render("migration/confirm_remove_webinar.html", webinar=webinar, form=RemoveWebinarForm())
    title = webinar.title
    svc.remove_webinar(webinar, actor=current_user, origin=request_origin())
    return commit_and_redirect(url_for("migration.admin_webinars"), f"The webinar {title} is removed.")
