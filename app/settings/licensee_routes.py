"""The Licensees page of a reseller: list and search, add, edit, archive, restore, delete.

Only resellers have licensees: for the operator and direct customers these pages do not exist (404).
"""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.accounts.countries import country_name
from app.extensions import db
from app.settings import bp
from app.settings import licensees as svc
from app.settings.forms import LicenseeActionForm, LicenseeForm, SearchForm
from app.web.access import Permission, allow
from app.web.changes import commit_and_redirect
from app.web.confirm import CONFIRMED, confirmed
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.rendering import redirect_to, render


def _reseller():
    account = current_user.account
    if account.kind != "reseller":
        abort(404)
    return account


def _licensee_or_404(licensee_id: int):
    return found_or_404(svc.licensee_of(_reseller(), licensee_id))


@bp.route("/settings/licensees")
@allow(Permission.ACCOUNT_SETTINGS)
def licensees():
    account = _reseller()
    search = SearchForm(request.args)
    query = (search.q.data or "").strip()[:100]
    archived = request.args.get("archived") == "1"
    return render("settings/licensees.html", "settings/_licensee_results.html", search=search, query=query,
                  archived=archived, licensees=svc.licensees_of(account, query=query, archived=archived),
                  action_form=LicenseeActionForm(), country_name=country_name)


def _save(form: LicenseeForm, licensee=None):
    """Check and save the form; a response, or None with the errors set on the form."""
    valid = form.validate()
    if not (form.check_contact() and valid):
        return None
    details = svc.LicenseeDetails.from_form(form.details())
    problems = svc.check_details(details, user_id=current_user.id)
    for name, message in problems.fields.items():
        form[name].errors = [*form[name].errors, message]
    if problems:
        form.problem = problems.problem
        return None
    account, actor, origin = _reseller(), current_user._get_current_object(), request_origin()
    if licensee is None:
        result = svc.add_licensee(account, details, actor=actor, origin=origin)
        message = result if isinstance(result, str) else None
    else:
        message = svc.update_licensee(licensee, details, actor=actor, origin=origin)
        result = licensee
    if message:
        form.company_name.errors = [*form.company_name.errors, message]
        return None
    try:
        db.session.commit()
    except IntegrityError:  # the same name saved by someone else a moment ago
        db.session.rollback()
        form.company_name.errors = [f"You already have a customer named {details.company_name}."]
        return None
    flash(f"{result.company_name} was {'added' if licensee is None else 'saved'}.", "success")
    return redirect_to(url_for("settings.licensees"))


@bp.route("/settings/licensees/new", methods=["GET", "POST"])
@allow(Permission.ACCOUNT_SETTINGS)
def new_licensee():
    _reseller()
    form = LicenseeForm()
    form.problem = None
    if form.is_submitted():
        done = _save(form)
        if done is not None:
            return done
    return render("settings/licensee.html", "settings/_licensee_form.html", form=form, licensee=None,
                  status=422 if form.is_submitted() else 200, action_form=LicenseeActionForm(),
                  delete_refusal=None, state_known=svc.label_state_field(form))


@bp.route("/settings/licensees/<int:licensee_id>", methods=["GET", "POST"])
@allow(Permission.ACCOUNT_SETTINGS)
def edit_licensee(licensee_id: int):
    licensee = _licensee_or_404(licensee_id)
    form = LicenseeForm(obj=licensee)
    form.problem = None
    if form.is_submitted():
        done = _save(form, licensee)
        if done is not None:
            return done
    return render("settings/licensee.html", "settings/_licensee_form.html", form=form, licensee=licensee,
                  status=422 if form.is_submitted() else 200, action_form=LicenseeActionForm(),
                  delete_refusal=None, deletable=svc.delete_refusal(licensee) is None,
                  confirmed=CONFIRMED, state_known=svc.label_state_field(form))


@bp.route("/settings/state-label", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
def state_label():
    """The state field's label for the country chosen in a form (the licensee's, a direct customer's
    in admin > Accounts): "(optional)" where the country's rules do not require a state. A POST: it may
    ask Partner Center."""
    label = svc.fetch_state_label((request.form.get("country") or "").upper(), user_id=current_user.id)
    return render("settings/_state_label.html", label=label)


def _licensee_posted(licensee_id: int):
    """The licensee an Archive, Restore or Delete button names; 400 when the button's form does not
    validate."""
    licensee = _licensee_or_404(licensee_id)
    if not LicenseeActionForm().validate_on_submit():
        abort(400)
    return licensee


def _act(licensee_id: int, act, done: str):
    """Archive or restore; `done` (with {name}) is said back on the list."""
    licensee = _licensee_posted(licensee_id)
    act(licensee, actor=current_user._get_current_object(), origin=request_origin())
    return commit_and_redirect(url_for("settings.licensees"), done.format(name=licensee.company_name))


@bp.route("/settings/licensees/<int:licensee_id>/archive", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.licensees")
def archive_licensee(licensee_id: int):
    return _act(licensee_id, svc.archive, "{name} was archived: it is no longer offered at checkout. Its orders and "
                                          "subscriptions stay.")


@bp.route("/settings/licensees/<int:licensee_id>/restore", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.licensees")
def restore_licensee(licensee_id: int):
    return _act(licensee_id, svc.restore, "{name} was restored: it is offered at checkout again.")


# Deleting cannot be undone, so it is asked first: with JavaScript the Delete button's hx-confirm asks
# and its post carries CONFIRMED (app/web/confirm.py); without, the post opens a page that asks, whose
# button carries it.
# A licensee that cannot be deleted gets the reason at once instead of a question.


@bp.route("/settings/licensees/<int:licensee_id>/delete", methods=["POST"])
@allow(Permission.ACCOUNT_SETTINGS)
@form_on("settings.licensees")
def delete_licensee(licensee_id: int):
    licensee = _licensee_posted(licensee_id)
    name = licensee.company_name
    if not confirmed():
        refusal = svc.delete_refusal(licensee)
        if refusal is None:
            return render("settings/confirm_delete_licensee.html", licensee=licensee,
                          action_form=LicenseeActionForm())
    else:
        refusal = svc.delete(licensee, actor=current_user._get_current_object(), origin=request_origin())
    if refusal is None:
        try:
            db.session.commit()
        except IntegrityError:  # an order or checkout took it up meanwhile
            db.session.rollback()
            licensee = _licensee_or_404(licensee_id)
            refusal = svc.delete_refusal(licensee) or f"{name} is in use, so it is kept: archive it instead."
    if refusal:
        form = LicenseeForm(obj=licensee, formdata=None)
        form.problem = None
        # The whole page, with JavaScript too: the Delete button's post swaps in its #main.
        return render("settings/licensee.html", form=form, licensee=licensee,
                      status=422, action_form=LicenseeActionForm(), delete_refusal=refusal)
    flash(f"{name} was deleted.", "success")
    return redirect_to(url_for("settings.licensees"))
