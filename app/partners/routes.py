"""admin > Accounts: the operator's resellers and direct customers. Operator members read the list
and the accounts; operator admins onboard, edit, check, suspend and reactivate. Plain forms
throughout (htmx swaps the list in place, and a new reseller's markets as its country is chosen), so
everything works with JavaScript off."""
from __future__ import annotations

from functools import partial

from flask import abort, flash, request, url_for
from wtforms.fields.choices import SelectChoice
from flask_login import current_user

from app.accounts.countries import country_name
from app.accounts.markets import market_for
from app.auth import invitations
from app.catalog.pricing import MARKET_NAMES
from app.extensions import db
from app.partners import bp, services
from app.settings import users
from app.connections.services import UnknownInstance, connection_for, instance_names
from app.partners.forms import (AccountFilterForm, ActionForm, ConnectionForm, CustomerForm, InviteAdminForm,
                                NewCustomerForm, NewResellerForm, ResellerForm, SuspendForm, tick_markets_of_country)
from app.web.access import Permission, allow
from app.web.changes import commit_and_redirect
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.query import applied, requested_page, unapplied
from app.web.rendering import redirect_to, render

NEW_FORMS = {"reseller": NewResellerForm, "customer": NewCustomerForm}
EDIT_FORMS = {"reseller": ResellerForm, "customer": CustomerForm}
KIND_WORDS = {"reseller": "reseller", "customer": "direct customer"}


bp.add_app_template_global(country_name, "country_name")
bp.add_app_template_global(MARKET_NAMES, "market_names")


@bp.route("/")
@allow(Permission.ADMIN_VIEW)
def accounts():
    form = AccountFilterForm(request.args)
    valid = not request.args or form.validate()
    filters = services.AccountFilters(
        q=form.q.data or "", kind=applied(form.kind) or "", status=applied(form.status) or "",
        country=applied(form.country) or "", created_from=applied(form.created_from),
        created_to=applied(form.created_to), page=requested_page(request.args))
    result = services.search_accounts(filters)
    return render("partners/accounts.html", "partners/_accounts.html", status=200 if valid else 422, form=form,
                  filters=filters, result=result, unapplied=unapplied(form))


def _account_url(account) -> str:
    return url_for("partners.account", account_id=account.id)


def _to_account_page(account):
    """After a change: the account's page (see redirect_to)."""
    return redirect_to(_account_url(account))


def _account_or_404(account_id: int):
    return found_or_404(services.find_account(account_id))


def _show_error(form, error: services.OnboardingError) -> None:
    for name, message in {error.field: error.message, **error.more}.items():
        field = getattr(form, name, None) or form.name
        if message not in field.errors:
            field.errors = [*field.errors, message]


def _details(form) -> dict:
    return {name: field.data for name, field in form._fields.items()}


def _save_details(form, save):
    """Create or update an account from the form: `save(details, actor=, origin=)` is committed and
    what it returns is returned; None when it refuses (its message goes next to the field, nothing
    is kept)."""
    try:
        saved = save(_details(form), actor=current_user._get_current_object(), origin=request_origin())
    except services.OnboardingError as error:
        db.session.rollback()
        _show_error(form, error)
        return None
    db.session.commit()
    return saved


@bp.route("/new/<kind>", methods=["GET", "POST"])
@allow(Permission.ACCOUNTS_MANAGE)
def new(kind: str):
    if kind not in NEW_FORMS:
        abort(404)
    form = NEW_FORMS[kind]()
    status = 200
    sent_default = request.form.get("markets_default") if kind == "reseller" and form.is_submitted() else None
    if sent_default is not None:
        # Without JavaScript nothing swapped the markets in as the country was chosen: markets still as the form
        # ticked them by itself follow the country sent (those the operator ticked stand).
        sent_default = tick_markets_of_country(form, sent_default)
    if form.is_submitted():
        status = 422
        valid = form.validate()
        # An address that already is a user's is said with the other fields' errors, not after them
        # (a valid form still goes on, so Partner Center's answer is said with it too).
        taken = None if form.admin_email.errors else services.taken_email(form.admin_email.data)
        if taken:
            form.admin_email.errors = [*form.admin_email.errors, taken]
        if valid:
            admin = services.FirstAdmin(form.admin_first_name.data, form.admin_last_name.data, form.admin_email.data)
            # The form sent twice (a double press without JavaScript): the second press is answered as the first.
            account = (services.just_created(kind, form.name.data, admin, actor=current_user._get_current_object())
                       or _save_details(form, lambda details, **by: services.create_account(kind, details, admin,
                                                                                              **by)))
            if account is not None:
                flash(_created_message(account, admin), "success")
                return _to_account_page(account)
    # A refused form keeps the markets the operator ticked (and what the form had ticked by itself).
    markets_default = None
    if kind == "reseller":
        markets_default = ((sent_default or "") if form.is_submitted() else tick_markets_of_country(form, None))
    return render("partners/new.html", form=form, kind=kind, kind_word=KIND_WORDS[kind], status=status,
                  state_known=_label_state(form), markets_default=markets_default)


@bp.route("/new/<kind>/markets", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.new")
def new_reseller_markets(kind: str):
    """A new reseller's markets for the country just chosen (htmx posts the form when the Country changes;
    the partner request's conversion too): its country's market while the operator has ticked none of
    their own. Reads only."""
    if kind != "reseller":
        abort(404)
    form = NewResellerForm()
    markets_default = tick_markets_of_country(form, request.form.get("markets_default", ""))
    return render("partners/_markets_field.html", form=form, markets_default=markets_default)


def _label_state(form) -> bool:
    """A direct customer's state label follows its country's rules, as a licensee's does."""
    from app.settings.licensees import label_state_field

    return label_state_field(form) if hasattr(form, "state") else True


def _created_message(account, admin: services.FirstAdmin) -> str:
    message = f"{account.name} was created, and {admin.email} was invited to be its admin."
    if account.kind == "reseller":
        message += (" Partner Center: READY." if account.partner_status == "ready"
                    else f" Partner Center: INQUIRING. {account.partner_status_reason}")
    return message


def _connection_form(account, **kwargs) -> ConnectionForm:
    form = ConnectionForm(**kwargs)
    try:
        by_market = connection_for(market=market_for(account))  # what serves it unpinned
    except UnknownInstance:
        by_market = None
    form.connection.choices = [SelectChoice("", f"By market ({by_market})" if by_market else "By market"),
                               *(SelectChoice(name, name) for name in instance_names())]
    if kwargs.get("formdata", True) is None:
        form.connection.data = account.partner_center_connection or ""
    return form


def _account_page(account, *, suspend_form=None, invite_form=None, connection_form=None, status: int = 200,
                  invitation_errors: dict | None = None, user_errors: dict | None = None, problem: str | None = None):
    """The account's page; `invitation_errors` and `user_errors` go next to an invitation's or a user's row
    (id -> message), a `problem` about an invitation no longer listed above the users."""
    return render("partners/account.html", account=account, history=services.history(account),
                  users=users.users_of(account), user_errors=user_errors or {},
                  connection_form=connection_form or _connection_form(account, formdata=None),
                  invitations=invitations.pending(account), invitation_errors=invitation_errors or {}, problem=problem,
                  role_labels=invitations.ROLE_LABELS, suspend_form=suspend_form or SuspendForm(),
                  invite_form=invite_form or InviteAdminForm(formdata=None), action_form=ActionForm(), status=status)


@bp.route("/<int:account_id>")
@allow(Permission.ADMIN_VIEW)
def account(account_id: int):
    return _account_page(_account_or_404(account_id))


@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@allow(Permission.ACCOUNTS_MANAGE)
def edit(account_id: int):
    account = _account_or_404(account_id)
    form = EDIT_FORMS[account.kind](obj=account)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            changed = _save_details(form, lambda details, **by: services.update_account(account, details, **by))
            if changed is not None:
                flash(f"{account.name} was saved." if changed else "Nothing was changed.", "success")
                return _to_account_page(account)
    return render("partners/edit.html", form=form, account=account, status=status, state_known=_label_state(form))


@bp.route("/<int:account_id>/check", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def check(account_id: int):
    account = _account_or_404(account_id)
    if account.kind != "reseller" or not ActionForm().validate_on_submit():
        abort(400)
    problem = services.check_partner(account, actor=current_user._get_current_object(), origin=request_origin())
    db.session.commit()
    if problem:
        flash(problem, "warning")
    else:
        flash(f"Partner Center: {account.partner_status.upper()}." + (
            f" {account.partner_status_reason}" if account.partner_status_reason else ""),
            "success" if account.partner_status == "ready" else "warning")
    return _to_account_page(account)


@bp.route("/<int:account_id>/connection", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def pin_connection(account_id: int):
    """Pin the account to a Partner Center connection, or back to its market's."""
    account = _account_or_404(account_id)
    form = _connection_form(account)
    if not form.validate_on_submit():
        return _account_page(account, connection_form=form, status=422)
    chosen = form.connection.data or None
    if chosen == account.partner_center_connection:
        flash("Nothing was changed.", "info")
        return _to_account_page(account)
    services.pin_connection(account, chosen, actor=current_user._get_current_object(), origin=request_origin())
    return commit_and_redirect(_account_url(account),
                               f"{account.name} is now served by connection {chosen}." if chosen
                               else f"{account.name} is now served by its market's connection.")


# Suspending signs every user of the account out at once and stops its orders, so it is asked first:
# with JavaScript the button's hx-confirm asks and its post carries confirmed=yes; without, the post
# opens a page that asks (with the reason typed), whose button carries it.


@bp.route("/<int:account_id>/suspend", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def suspend(account_id: int):
    account = _account_or_404(account_id)
    form = SuspendForm()
    if not form.validate_on_submit():
        return _account_page(account, suspend_form=form, status=422)
    if not confirmed() and not account.is_suspended:
        return render("partners/confirm_suspend.html", account=account, form=form,
                      active_users=sum(1 for u in account.users if u.is_active_user))
    changed = services.suspend(account, form.reason.data, actor=current_user._get_current_object(),
                               origin=request_origin())
    return _status_changed(account, changed, done="is suspended: its users cannot sign in or order until it is "
                                                  "reactivated.", already="was already suspended.")


@bp.route("/<int:account_id>/reactivate", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def reactivate(account_id: int):
    account = _account_or_404(account_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = services.reactivate(account, actor=current_user._get_current_object(), origin=request_origin())
    return _status_changed(account, changed, done="is active again: its users can sign in and order.",
                           already="was not suspended.")


def _status_changed(account, changed: bool, *, done: str, already: str):
    """Commit a suspension or reactivation that changed something, say what happened, back to the account."""
    if changed:
        db.session.commit()
    flash(f"{account.name} {done if changed else already}", "success" if changed else "info")
    return _to_account_page(account)


# ----------------------------------------------------------------------------------- invitations
# A new account has no admin yet to resend its first admin's invitation: the operator does it here.

def _invitation_action(account_id: int, invitation_id: int, act, done: str):
    account = _account_or_404(account_id)
    invitation = found_or_404(invitations.invitation_of(account, invitation_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        act(invitation, by=current_user._get_current_object(), origin=request_origin())
    except invitations.InvitationError as error:
        db.session.rollback()
        if invitation in invitations.pending(account):
            return _account_page(account, status=422, invitation_errors={invitation.id: error.message})
        return _account_page(account, status=422, problem=error.message)  # accepted or revoked meanwhile
    return commit_and_redirect(_account_url(account), done.format(email=invitation.email))


@bp.route("/<int:account_id>/invitations", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def invite_admin(account_id: int):
    """Invite another account admin: the first admin's address was wrong, or the account's admins left."""
    account = _account_or_404(account_id)
    form = InviteAdminForm()
    if form.validate_on_submit():
        details = dict(email=form.admin_email.data, first_name=form.admin_first_name.data,
                       last_name=form.admin_last_name.data, role="admin", invited_by=current_user._get_current_object())
        invited = (f"{form.admin_email.data.strip().lower()} was invited to be an admin of {account.name}.")
        try:
            if invitations.just_sent(account, **details) is None:  # else Send pressed twice: sent once
                invitations.invite(account, **details, origin=request_origin())
        except invitations.InvitationError as refused:
            db.session.rollback()
            if invitations.just_sent(account, **details) is not None:  # sent twice at once: the other post made it
                return commit_and_redirect(_account_url(account), invited)
            field = getattr(form, f"admin_{refused.field}", None) or form.admin_email
            field.errors = [*field.errors, refused.message]
        else:
            return commit_and_redirect(_account_url(account), invited)
    return _account_page(account, invite_form=form, status=422)


@bp.route("/<int:account_id>/invitations/<int:invitation_id>/resend", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def resend_invitation(account_id: int, invitation_id: int):
    resend = partial(invitations.resend, sends_seen=request.args.get("sent", type=int))  # as the page showed it
    return _invitation_action(account_id, invitation_id, resend,
                              "A new invitation was sent to {email}; the previous link no longer works.")


# Revoking stops the invitee's link at once, so it is asked first, as under Settings > Users: with
# JavaScript the Revoke button's hx-confirm asks and its post carries confirmed=yes; without, the post
# opens a page that asks. An invitation no longer pending goes straight on, to be answered with why.


@bp.route("/<int:account_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def revoke_invitation(account_id: int, invitation_id: int):
    if not confirmed():
        account = _account_or_404(account_id)
        invitation = found_or_404(invitations.invitation_of(account, invitation_id))
        if not ActionForm().validate_on_submit():
            abort(400)
        pending = invitations.pending(account)
        if invitation in pending:
            return render("partners/confirm_revoke.html", account=account, invitation=invitation,
                          action_form=ActionForm(), last_way_in=not account.users and len(pending) == 1)
    return _invitation_action(account_id, invitation_id, invitations.revoke, "The invitation of {email} was revoked.")


# ----------------------------------------------------------------------------------- users
# The account's users, as its own admins manage them under Settings > Users (app/settings/users.py, the same
# rules: the last active admin stays), deactivated and reactivated by the operator's admins. Deactivating signs
# the person out at once, so it is asked first: hx-confirm with JavaScript, without it a page that asks.

def _user_action(account_id: int, user_id: int, act, done: str):
    account = _account_or_404(account_id)
    user = found_or_404(users.user_of(account, user_id))  # another account's user: not found
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        changed = act(user, actor=current_user._get_current_object(), origin=request_origin())
    except users.UserChangeRefused as refused:
        db.session.rollback()
        return _account_page(account, status=422, user_errors={user.id: refused.message})
    if not changed:
        return _to_account_page(account)
    return commit_and_redirect(_account_url(account), done.format(name=user.name))


@bp.route("/<int:account_id>/users/<int:user_id>/deactivate", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def deactivate_user(account_id: int, user_id: int):
    if not confirmed():
        account = _account_or_404(account_id)
        user = found_or_404(users.user_of(account, user_id))
        if not ActionForm().validate_on_submit():
            abort(400)
        refusal = users.deactivation_refusal(user, current_user._get_current_object())
        if refusal:
            return _account_page(account, status=422, user_errors={user.id: refusal})
        if user.is_active_user:
            return render("partners/confirm_deactivate_user.html", account=account, user=user, action_form=ActionForm())
    return _user_action(account_id, user_id, users.deactivate, "{name} was deactivated: they can no longer sign in.")


@bp.route("/<int:account_id>/users/<int:user_id>/reactivate", methods=["POST"])
@allow(Permission.ACCOUNTS_MANAGE)
@form_on("partners.account")
def reactivate_user(account_id: int, user_id: int):
    return _user_action(account_id, user_id, users.reactivate, "{name} was reactivated and can sign in again.")
