from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.forms import SignInForm
from app.auth.services import AccountSuspended, SignInThrottled, ThrottleLimits, UserDeactivated, authenticate
from app.audit import services as audit
from app.extensions import db, get_redis
from app.web.access import Permission, allow
from app.web.errors import answers_a_stale_form
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import render

WRONG_CREDENTIALS = "The email or password is incorrect."


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _limits() -> ThrottleLimits:
    c = current_app.config
    return ThrottleLimits(c["LOGIN_MAX_FAILURES_PER_EMAIL"], c["LOGIN_MAX_FAILURES_PER_IP"],
                          c["LOGIN_FAILURE_WINDOW_SECONDS"])


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(Permission.PUBLIC)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    next_url = _safe_next(request.values.get("next"))
    error, headers = None, {}
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, r=get_redis(), limits=_limits(),
                                origin=request_origin())
        except SignInThrottled as throttled:
            # Said on the form, which keeps the email and offers Forgot password? (a new password lifts
            # the pause of the email address).
            error, status = throttled_message(throttled.retry_after), 429
            headers["Retry-After"] = str(throttled.retry_after)
        except AccountSuspended as refused:
            error, status = suspended_message(refused.user.account), 403
        except UserDeactivated as refused:
            error, status = (f"Your user of {refused.user.account.name} is deactivated, so you cannot sign in. Ask one of "
                             "its account admins to reactivate you."), 403
        else:
            if user is not None:
                login_user(user, remember=form.remember.data)
                flash(f"Welcome back, {user.name}.", "success")
                return redirect(next_url or url_for("home.index"))
            error = WRONG_CREDENTIALS
    form.password.data = None  # never echo a password back
    return render("auth/sign_in.html", "auth/_sign_in_form.html", form=form, error=error, next_url=next_url,
                  status=status, headers=headers)


STALE_SIGN_IN = ("This page had been open for a long time, so it could not be sent safely. Enter your password and "
                 "sign in again.")


@answers_a_stale_form("auth.sign_in")
def sign_in_again():
    """The sign-in form sent with a token that expired with its session (the page left open while the session
    cookie ended): shown again with the email typed and a fresh token, instead of the error page."""
    form = SignInForm(formdata=None, email=request.form.get("email", ""), remember=bool(request.form.get("remember")))
    return render("auth/sign_in.html", "auth/_sign_in_form.html", form=form, error=STALE_SIGN_IN,
                  next_url=_safe_next(request.values.get("next")), status=400)


def suspended_message(account) -> str:
    from app.accounts.identity import operator_identity

    operator = operator_identity()
    contact = operator["operator_name"] + (f" at {operator['support_email']}" if operator.get("support_email") else "")
    return (f"The account of {account.name} is suspended, so its users cannot sign in for now. "
            f"Contact {contact} to have it reactivated.")


def throttled_message(retry_after: int) -> str:
    minutes = max(1, round(retry_after / 60))
    return ("Too many failed sign-in attempts. For your security, sign-in is paused for this email address "
            f"or network. Please wait about {minutes} minute{'s' if minutes != 1 else ''} and try again. If you "
            "have forgotten your password, choose a new one with Forgot password? below.")


SIGNED_OUT = "You have been signed out."


@answers_a_stale_form("auth.sign_out")
def signed_out_already():
    """Sign out pressed on a page left open while the session ended: the person is signed out already, which is
    all the button asked (still signed in, by a remember-me cookie, it is the error page: press it again)."""
    if current_user.is_authenticated:
        return None
    flash(SIGNED_OUT, "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-out", methods=["POST"])
@allow(Permission.PUBLIC)  # signing out is harmless for anyone; the form still needs a CSRF token
@form_on("home.index")
def sign_out():
    if current_user.is_authenticated:
        audit.record("signed_out", actor=current_user._get_current_object(), subject=current_user.email,
                     origin=request_origin())
        db.session.commit()
    logout_user()
    flash(SIGNED_OUT, "info")
    return redirect(url_for("auth.sign_in"))
