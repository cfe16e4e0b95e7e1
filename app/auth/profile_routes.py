"""My profile (/profile): name, email address (confirmed by a link mailed to the new one), password.

One page, one form per subject, each posting to its own address; an invalid form answers 422 with
the page and that form's messages next to its fields, the other forms as they were."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app.auth import bp
from app.auth import profile as svc
from app.auth.forms import EmailChangeForm, NameForm, PasswordChangeForm, PlainForm, TokenForm
from app.auth.link_pages import dead_link_page, render_private
from app.auth.passwords import say_password_problem
from app.auth.sessions import keep_this_browser_signed_in
from app.extensions import db
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import render


def _me():
    return current_user._get_current_object()


def _page(*, status: int = 200, name_form=None, email_form=None, password_form=None):
    user = _me()
    return render("auth/profile.html", status=status, user=user, pending=svc.pending_change(user),
                  name_form=name_form or NameForm(formdata=None, prefix="name", name=user.name),
                  email_form=email_form or EmailChangeForm(formdata=None, prefix="email"),
                  password_form=password_form or PasswordChangeForm(formdata=None, prefix="password"),
                  cancel_form=PlainForm(formdata=None, prefix="cancel"))


REFUSED = object()  # what _saved returns when the form or the rules refused the change


def _saved(form, change: Callable[[], object]):
    """`change()` (the service call) once `form` validates, committed: its result. REFUSED when the
    form does not validate or the rules refuse (their message goes next to its field; what the
    refusal audited, a wrong password, is committed)."""
    if not form.validate_on_submit():
        return REFUSED
    try:
        result = change()
    except svc.ProfileError as refused:
        db.session.commit()  # the audit record of a wrong password stays
        form[refused.field].errors = [*form[refused.field].errors, refused.message]
        return REFUSED
    db.session.commit()
    return result


def _back(said: str | None = None):
    """Back to the profile page, saying `said` (what changed, if anything did)."""
    if said:
        flash(said, "success")
    return redirect(url_for("auth.profile"), code=303)


@bp.route("/profile")
@allow(Permission.PROFILE)
def profile():
    return _page()


@bp.route("/profile/name", methods=["POST"])
@allow(Permission.PROFILE)
@form_on("auth.profile")
def change_name():
    form = NameForm(prefix="name")
    changed = _saved(form, lambda: svc.rename(_me(), form.name.data, origin=request_origin()))
    if changed is REFUSED:
        return _page(status=422, name_form=form)
    return _back("Your name has been changed." if changed else None)


@bp.route("/profile/email", methods=["POST"])
@allow(Permission.PROFILE)
@form_on("auth.profile")
def change_email():
    form = EmailChangeForm(prefix="email")
    change = _saved(form, lambda: svc.request_email_change(_me(), new_email=form.new_email.data,
                                                           password=form.password.data, origin=request_origin()))
    if change is REFUSED:
        form.password.data = None
        return _page(status=422, email_form=form)
    return _back(f"We sent a link to {change.new_email}. Your email address changes when you open it "
                 f"(within {svc.EMAIL_CHANGE_HOURS} hours); until then, sign in with {_me().email}.")


@bp.route("/profile/email/cancel", methods=["POST"])
@allow(Permission.PROFILE)
@form_on("auth.profile")
def cancel_email_change():
    form = PlainForm(prefix="cancel")
    cancelled = form.validate_on_submit() and svc.cancel_email_change(_me(), origin=request_origin())
    if cancelled:
        db.session.commit()
    return _back("The change of your email address was cancelled; its link no longer works." if cancelled else None)


@bp.route("/profile/password", methods=["POST"])
@allow(Permission.PROFILE)
@form_on("auth.profile")
def change_password():
    form = PasswordChangeForm(prefix="password")
    user = _me()
    if _saved(form, lambda: svc.change_password(user, current=form.current_password.data, new=form.new_password.data,
                                                origin=request_origin())) is REFUSED:
        say_password_problem(form.new_password, email=user.email)  # with the current password's refusal
        form.current_password.data = form.new_password.data = None
        return _page(status=422, password_form=form)
    keep_this_browser_signed_in(user)
    return _back("Your password has been changed. Every other session of your user has been signed out.")


@bp.route(svc.CONFIRM_PATH, methods=["GET", "POST"])
@allow(Permission.PUBLIC)  # the link may be opened in any browser: the mailbox is the proof
def confirm_email():
    form = TokenForm()
    token = request.values.get("token")
    opened = svc.open_link(token)
    if opened.status != svc.VALID:
        return dead_link_page("auth/email_link.html", opened.status, unknown=svc.UNKNOWN,
                              hours=svc.EMAIL_CHANGE_HOURS)
    change = opened.row
    error = None
    if request.method == "GET":
        form.token.data = token
    elif form.validate_on_submit():
        try:
            user = svc.confirm_email_change(change, origin=request_origin())
        except svc.ProfileError as refused:
            error = refused.message
        else:
            db.session.commit()
            flash(f"Your email address is now {user.email}. Sign in with it from now on.", "success")
            signed_in_as_them = current_user.is_authenticated and current_user.id == user.id
            return redirect(url_for("auth.profile" if signed_in_as_them else "auth.sign_in"), code=303)
    return render_private("auth/confirm_email.html", form=form, change=change, error=error,
                          status=422 if request.method == "POST" else 200)
