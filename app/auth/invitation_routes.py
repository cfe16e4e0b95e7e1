"""The invitee's pages: accept an invitation (name and password, then signed in), or, from a link
that no longer works, ask the account's admins for a new one."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth import invitations as svc
from app.auth.forms import AcceptInvitationForm, TokenForm
from app.auth.passwords import say_password_problem
from app.auth.link_pages import GONE_STATUS, UNKNOWN_STATUS, render_private
from app.auth.routes import suspended_message
from app.extensions import db
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.origin import request_origin

# The invitee may ask for a new invitation from these (a used one leads to sign-in instead).
RENEWABLE = (svc.EXPIRED, svc.REVOKED, "replaced")
# The address carries no link at all (a refused ask's address reloaded leads here): open the email's again.
MISSING = "missing"


@bp.route(svc.ACCEPT_PATH, methods=["GET", "POST"])
@allow(Permission.PUBLIC)
def accept_invitation():
    token = request.values.get("token")
    opened = svc.open_link(token) if token else svc.Opened(None, MISSING)
    if opened.status != svc.PENDING:
        return _dead_link(opened, token)
    invitation = opened.invitation
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.token.data, form.name.data = token, invitation.name
    elif form.validate_on_submit():
        try:
            user = svc.accept(invitation, name=form.name.data, password=form.password.data, origin=request_origin())
        except svc.AcceptError as refused:
            form[refused.field].errors = [*form[refused.field].errors, refused.message]
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()  # someone else was signed in on this browser
            login_user(user)
            flash(_welcome(user), "success")
            return redirect(url_for("home.index"), code=303)
    else:
        say_password_problem(form.password, email=invitation.email)  # the name refused: the password's rules too
    form.password.data = None  # never echo a password back
    return render_private("auth/accept_invitation.html", form=form, invitation=invitation,
                          status=422 if request.method == "POST" else 200)


def _welcome(user) -> str:
    """An account's new admin is told where its settings are: a first admin finds nobody else there."""
    message = f"Welcome, {user.name}. Your user is ready, and you are signed in."
    if user.role != "admin":
        return message
    if user.account.kind == "reseller":
        return message + (" As an account admin you invite colleagues under Settings > Users and add the customers "
                          "you resell to under Settings > Licensees.")
    return message + " As an account admin you invite colleagues under Settings > Users."


@bp.route(f"{svc.ACCEPT_PATH}/ask", methods=["POST"])
@allow(Permission.PUBLIC)
@form_on("auth.accept_invitation")  # without the link's token: the page says to open the email's link again
def ask_for_invitation():
    """From an expired or withdrawn link: tell the account's admins the invitee would like a new one."""
    form = TokenForm()
    token = form.token.data
    opened = svc.open_link(token)
    if not form.validate_on_submit() or opened.status not in RENEWABLE:
        if opened.status == svc.PENDING:
            return redirect(url_for("auth.accept_invitation", token=token), code=303)
        return _dead_link(opened, token)
    told_now = svc.ask_for_new_link(opened.invitation, origin=request_origin())
    db.session.commit()
    answerer, own_admins = svc.answered_by(opened.invitation)
    return render_private("auth/invitation_asked.html", invitation=opened.invitation, told_now=told_now,
                          answerer=answerer, own_admins=own_admins)


def _dead_link(opened: svc.Opened, token: str | None):
    status = {svc.UNKNOWN: UNKNOWN_STATUS, MISSING: UNKNOWN_STATUS, svc.SUSPENDED: 403}.get(opened.status, GONE_STATUS)
    invitation = opened.invitation
    answerer, own_admins = svc.answered_by(invitation) if opened.status in RENEWABLE else (None, True)
    return render_private("auth/invitation_link.html", status=status, link_status=opened.status, invitation=invitation,
                          answerer=answerer, own_admins=own_admins,
                          ask_form=TokenForm(formdata=None, token=token) if opened.status in RENEWABLE else None,
                          suspended=suspended_message(invitation.account) if opened.status == svc.SUSPENDED else None,
                          days=svc.INVITATION_DAYS)
