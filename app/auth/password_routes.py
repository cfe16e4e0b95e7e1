"""Forgot password: ask for a link (the answer never tells whether the address has a user), and
choose a new password from the link."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from app.auth import bp
from app.auth import recovery as svc
from app.auth.forms import ForgotPasswordForm, ResetPasswordForm
from app.auth.link_pages import dead_link_page, render_private
from app.auth.services import clear_failures
from app.extensions import db, get_redis
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import render


@bp.route(svc.FORGOT_PATH, methods=["GET", "POST"])
@allow(Permission.PUBLIC)
def forgot_password():
    # Opened from a refused sign-in, the address typed there is filled in.
    form = ForgotPasswordForm(email=request.args.get("email", "")[:254]) if request.method == "GET" else ForgotPasswordForm()
    if form.validate_on_submit():
        svc.request_reset(form.email.data, origin=request_origin())
        return render("auth/forgot_password_sent.html", email=form.email.data.strip().lower(),
                      minutes=svc.RESET_MINUTES)
    return render("auth/forgot_password.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route(svc.RESET_PATH, methods=["GET", "POST"])
@allow(Permission.PUBLIC)
def reset_password():
    form = ResetPasswordForm()
    token = request.values.get("token")
    opened = svc.open_link(token)
    if opened.status != svc.VALID:
        return dead_link_page("auth/reset_link.html", opened.status, unknown=svc.UNKNOWN, minutes=svc.RESET_MINUTES)
    reset = opened.row
    user = reset.user
    if request.method == "GET":
        form.token.data = token
    elif form.validate_on_submit():
        try:
            svc.reset_password(reset, form.password.data, origin=request_origin())
        except svc.ResetError as refused:
            form.password.errors = [*form.password.errors, refused.message]
        else:
            db.session.commit()
            # Whoever used the link owns the mailbox: earlier failures no longer pause their sign-in.
            clear_failures(user.email, r=get_redis())
            flash("Your password has been changed, and every session of your user has been signed out. "
                  "Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"), code=303)
    form.password.data = None
    return render_private("auth/reset_password.html", form=form, user=user,
                          status=422 if request.method == "POST" else 200)
