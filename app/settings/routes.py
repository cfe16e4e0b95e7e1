"""Account settings: the entry page and the Users page (invite, change a role, deactivate, reactivate)."""
from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.auth import invitations
from app.auth.invitations import InvitationError, invite
from app.extensions import db
from app.settings import bp
from app.settings import users as svc
from app.settings.forms import InviteForm, RoleForm, UserActionForm
from app.web.access import Permission, allow
from app.web.changes import commit_and_redirect
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.rendering import redirect_to, render


def me():
    return current_user._get_current_object()


@bp.route("/settings")
@allow(Permission.ACCOUNT_SETTINGS)
def index():
    return render("settings/index.html", account=current_user.account)


# ---------------------------------------------------------------------------------------- users

def _users_page(form: InviteForm, *, status: int = 200, row_errors: dict | None = None, problem: str | None = None,
                whole: bool = False):
    """The page; `row_errors` go next to a user's or an invitation's row, `problem` above the lists.
    `whole`: the page for htmx too (a row's button swaps in its #main), not the invite form's fragment."""
    account = current_user.account
    return render("settings/users.html", None if whole else "settings/_invite_form.html", status=status, form=form,
                  account=account, users=svc.users_of(account), invitations=invitations.pending(account), role_labels=svc.ROLE_LABELS,
                  role_form=RoleForm(), action_form=UserActionForm(), row_errors=row_errors or {}, problem=problem)


@bp.route("/settings/users", methods=["GET", "POST"])
@allow(Permission.ACCOUNT_SETTINGS)
def users():
    form = InviteForm()
    if not form.is_submitted():
        return _users_page(form)
    valid = form.validate()
    if form.check_required() and valid:
        details = dict(email=form.email.data.strip().lower(), first_name=form.first_name.data.strip(),
                       last_name=form.last_name.data.strip(), role=form.role.data, invited_by=me())
        try:
            if invitations.just_sent(current_user.account, **details) is None:  # else Send pressed twice: sent once
                invite(current_user.account, **details, origin=request_origin())
        except InvitationError as error:
            db.session.rollback()
            if invitations.just_sent(current_user.account, **details) is not None:
                # Sent twice at once: the other post made it while this one looked (invite checks under the
                # address's lock), so this press was answered too.
                return commit_and_redirect(url_for("settings.users"), f"An invitation was sent to {details['email']}.")
            target = form[error.field] if error.field in ("first_name", "last_name", "email", "role") else form.email
            target.errors = [*target.errors, error.message]
        else:
            return commit_and_redirect(url_for("settings.users"), f"An invitation was sent to {details['email']}.")
    return _users_page(form, status=422)


def _user_or_404(user_id: int):
    return found_or_404(svc.user_of(current_user.account, user_id))


def _refused(user_id: int, message: str):
    db.session.rollback()
    return _users_page(InviteForm(formdata=None), status=422, row_errors={user_id: message}, whole=True)


@bp.route("/settings/users/<int:user_id>/role", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.users")
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _refused(user.id, "Choose Account admin or Member.")
    try:
        changed = svc.change_role(user, form.role.data, actor=me(), origin=request_origin())
    except svc.UserChangeRefused as refused:
        return _refused(user.id, refused.message)
    db.session.commit()
    role = "an account admin" if user.role == "admin" else "a member"
    if changed:
        flash(f"{user.name} is now {role}.", "success")
    else:  # the role chosen is the one they have: the button did nothing, and says so
        flash(f"{user.name} is already {role}; nothing changed.", "info")
    if user.id == current_user.id and user.role != "admin":
        return redirect(url_for("home.index"), code=303)  # no longer theirs to manage
    return redirect(url_for("settings.users"), code=303)


def _user_action(user_id: int, act, done: str):
    """Deactivate or reactivate a user; `done` (with {name}) is said when it changed something."""
    user = _user_or_404(user_id)
    if not UserActionForm().validate_on_submit():
        abort(400)
    try:
        changed = act(user, actor=me(), origin=request_origin())
    except svc.UserChangeRefused as refused:
        return _refused(user.id, refused.message)
    db.session.commit()
    if changed:
        flash(done.format(name=user.name), "success")
    return redirect_to(url_for("settings.users"))


# Deactivating signs the person out at once and stops them signing in, so it is asked first: with
# JavaScript the Deactivate button's hx-confirm asks and its post carries confirmed=yes (app/web/confirm.py); without, the post
# opens a page that asks, whose button carries it. What would be refused is said at once instead.


@bp.route("/settings/users/<int:user_id>/deactivate", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.users")
def deactivate(user_id: int):
    if not confirmed():
        user = _user_or_404(user_id)
        if not UserActionForm().validate_on_submit():
            abort(400)
        refusal = svc.deactivation_refusal(user, me())
        if refusal:
            return _refused(user.id, refusal)
        if user.is_active_user:
            return render("settings/confirm_deactivate.html", user=user, action_form=UserActionForm())
    return _user_action(user_id, svc.deactivate, "{name} was deactivated: they can no longer sign in.")


@bp.route("/settings/users/<int:user_id>/reactivate", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.users")
def reactivate(user_id: int):
    return _user_action(user_id, svc.reactivate, "{name} was reactivated and can sign in again.")


# ---------------------------------------------------------------------------------- invitations

def _invitation_action(invitation_id: int, act, done: str):
    invitation = found_or_404(invitations.invitation_of(current_user.account, invitation_id))
    if not UserActionForm().validate_on_submit():
        abort(400)
    try:
        act(invitation, by=me(), origin=request_origin())
    except InvitationError as error:
        db.session.rollback()
        listed = invitation in invitations.pending(current_user.account)
        return _users_page(InviteForm(formdata=None), status=422, problem=None if listed else error.message,
                           row_errors={f"invitation-{invitation.id}": error.message} if listed else None, whole=True)
    return commit_and_redirect(url_for("settings.users"), done.format(email=invitation.email))


@bp.route("/settings/invitations/<int:invitation_id>/resend", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.users")
def resend_invitation(invitation_id: int):
    resend = partial(invitations.resend, sends_seen=request.args.get("sent", type=int))  # as the page showed it
    return _invitation_action(invitation_id, resend,
                              "A new invitation was sent to {email}; the previous link no longer works.")


@bp.route("/settings/invitations/<int:invitation_id>/revoke", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.users")
def revoke_invitation(invitation_id: int):
    """Asked first, as Deactivate is: the person's link stops working at once. An invitation
    that is no longer pending goes straight on, to be answered with why."""
    if not confirmed():
        invitation = found_or_404(invitations.invitation_of(current_user.account, invitation_id))
        if not UserActionForm().validate_on_submit():
            abort(400)
        if invitation in invitations.pending(current_user.account):
            return render("settings/confirm_revoke.html", invitation=invitation, action_form=UserActionForm())
    return _invitation_action(invitation_id, invitations.revoke, "The invitation of {email} was revoked.")
