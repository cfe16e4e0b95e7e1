"""admin > Programs: every enrolment with its certificate, the operator's approve / refuse / expire,
the program's settings (terms, validity period), and the "Become a partner" requests, each of which
can become a reseller account through the onboarding of admin > Accounts."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from app.extensions import db
from app.partners import services as onboarding
from app.partners.forms import NewResellerForm, tick_markets_of_country
from app.programs import bp, partner_requests, services
from app.programs.forms import ActionForm, CertificateFilterForm, ProgramForm, RefuseForm
from app.web.access import Permission, allow
from app.web.changes import commit_and_redirect
from app.web.confirm import confirmed
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.query import applied, unapplied
from app.web.rendering import redirect_to, render


def _index_page(program_form=None, status: int = 200):
    filter_form = CertificateFilterForm(request.args)
    if request.args and not filter_form.validate() and status == 200:
        status = 422  # a status not offered is said at its field and not applied
    filters = services.AdminFilters(status=applied(filter_form.status) or "", q=filter_form.q.data or "")
    program = services.program()
    return render("programs/admin_index.html", filter_form=filter_form, filters=filters,
                  certificates=services.all_certificates(filters), program=program,
                  program_form=program_form or ProgramForm(formdata=None, obj=program),
                  new_requests=sum(1 for r in partner_requests.open_requests() if r.status == "new"), status=status,
                  unapplied=unapplied(filter_form))


@bp.route("/admin/programs", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.PROGRAMS_MANAGE)
def admin_index():
    if request.method == "GET":
        return _index_page()
    form = ProgramForm()
    if not form.validate_on_submit():
        return _index_page(program_form=form, status=422)
    services.save_program(name=form.name.data, description=form.description.data, terms=form.terms.data,
                          validity_days=form.validity_days.data, actor=current_user._get_current_object(),
                          origin=request_origin())
    return commit_and_redirect(url_for("programs.admin_index"),
                               "The program was saved. A new validity period applies to certificates issued or "
                               "approved from now on.")


def _certificate_or_404(certificate_id: int):
    return found_or_404(services.find_certificate(current_user, certificate_id))


def _admin_certificate_page(certificate, *, refuse_form=None, problem=None, status=200):
    return render("programs/certificate.html", certificate=certificate, tab=request.args.get("tab", "general"),
                  program=services.program(), admin=True, editable=False, form=None, problem=problem,
                  refuse_form=refuse_form or RefuseForm(formdata=None), action_form=ActionForm(), status=status)


@bp.route("/admin/programs/certificates/<int:certificate_id>")
@allow(Permission.ADMIN_VIEW)
def admin_certificate(certificate_id: int):
    return _admin_certificate_page(_certificate_or_404(certificate_id))


def _certificate_posted(certificate_id: int):
    """The certificate an Approve or Expire button names; 400 when the button's form does not validate."""
    certificate = _certificate_or_404(certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return certificate


def _act(certificate, act, done: str):
    """Approve, expire or refuse: `act(certificate, actor=, origin=)`, then `done` (with {number}) is said on
    the certificate's page. A certificate whose state no longer allows it (expired or refused meanwhile) is
    answered there with why (409): no form to show it at."""
    try:
        act(certificate, actor=current_user._get_current_object(), origin=request_origin())
    except services.CertificateStateError as error:
        db.session.rollback()
        return _admin_certificate_page(certificate, problem=str(error), status=409)
    return commit_and_redirect(url_for("programs.admin_certificate", certificate_id=certificate.id),
                               done.format(number=certificate.number))


@bp.route("/admin/programs/certificates/<int:certificate_id>/approve", methods=["POST"])
@allow(Permission.PROGRAMS_MANAGE)
@form_on("programs.admin_certificate")
def approve(certificate_id: int):
    return _act(_certificate_posted(certificate_id), services.approve, "Certificate {number} is active.")


# Expiring cannot be undone (the reseller has to enroll again, and orders nothing meanwhile), so it is
# asked first: with JavaScript the button's hx-confirm asks and its post carries confirmed=yes; without,
# the post opens a page that asks, whose button carries it.


@bp.route("/admin/programs/certificates/<int:certificate_id>/expire", methods=["POST"])
@allow(Permission.PROGRAMS_MANAGE)
@form_on("programs.admin_certificate")
def expire(certificate_id: int):
    certificate = _certificate_posted(certificate_id)
    if not confirmed() and certificate.current_status == "active":
        return render("programs/confirm_expire.html", certificate=certificate, program=services.program(),
                      action_form=ActionForm())
    return _act(certificate, services.expire, "Certificate {number} has expired: it can no longer be used on orders.")


@bp.route("/admin/programs/certificates/<int:certificate_id>/refuse", methods=["POST"])
@allow(Permission.PROGRAMS_MANAGE)
@form_on("programs.admin_certificate")
def refuse(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = RefuseForm()
    if not form.validate_on_submit():
        return _admin_certificate_page(certificate, refuse_form=form, status=422)
    return _act(certificate, lambda certificate, **by: services.refuse(certificate, form.reason.data, **by),
                "Certificate {number} was refused.")


# ----------------------------------------------------------------------------------- partner requests

@bp.route("/admin/programs/requests")
@allow(Permission.ADMIN_VIEW)
def admin_requests():
    return render("programs/admin_requests.html", requests=partner_requests.open_requests(),
                  action_form=ActionForm())


def _request_or_404(request_id: int):
    return found_or_404(partner_requests.find(request_id))


@bp.route("/admin/programs/requests/<int:request_id>/convert", methods=["GET", "POST"])
@allow(Permission.PROGRAMS_MANAGE)
def convert_request(request_id: int):
    """The onboarding form of a new reseller (admin > Accounts), filled in from the request."""
    partner_request = _request_or_404(request_id)
    if partner_request.status == "converted":
        flash(f"{partner_request.company} is an account already.", "info")
        return redirect_to(url_for("partners.account", account_id=partner_request.account_id))
    if partner_request.status == "dismissed":  # an address kept from before, or a second tab
        flash(f"The request of {partner_request.company} was dismissed, so it cannot become a reseller account. "
              "To onboard the company, create the reseller under Partners > Accounts.", "error")
        return redirect_to(url_for("programs.admin_requests"))
    status = 200
    if request.method == "GET":
        first, last = partner_requests.split_name(partner_request.name)
        form = NewResellerForm(formdata=None, data={
            "name": partner_request.company, "country": partner_request.country,
            "partner_id": partner_request.partner_id or "", "admin_first_name": first,
            "admin_last_name": last, "admin_email": partner_request.email})
        markets_default = tick_markets_of_country(form, None)  # the request's country's
    else:
        form = NewResellerForm()
        # Without JavaScript nothing swapped the markets in as the country was chosen: as on admin > Accounts > New
        # reseller, markets still as the form ticked them by itself follow the country sent.
        sent_default = request.form.get("markets_default")
        markets_default = "" if sent_default is None else tick_markets_of_country(form, sent_default)
        status = 422
        if form.validate():
            admin = onboarding.FirstAdmin(form.admin_first_name.data, form.admin_last_name.data, form.admin_email.data)
            details = {name: field.data for name, field in form._fields.items()}
            try:
                account = partner_requests.convert(partner_request, details, admin,
                                                   actor=current_user._get_current_object(), origin=request_origin())
            except onboarding.OnboardingError as error:
                db.session.rollback()
                field = getattr(form, error.field, None) or form.name
                field.errors = [*field.errors, error.message]
            else:
                return commit_and_redirect(url_for("partners.account", account_id=account.id),
                                           f"{account.name} was created from the request, and {admin.email} was "
                                           "invited to be its admin.")
    return render("programs/convert_request.html", form=form, partner_request=partner_request, status=status,
                  markets_default=markets_default)


@bp.route("/admin/programs/requests/<int:request_id>/dismiss", methods=["POST"])
@allow(Permission.PROGRAMS_MANAGE)
@form_on("programs.admin_requests")
def dismiss_request(request_id: int):
    """Asked first (a dismissed request cannot be taken up again): with JavaScript the Dismiss button's
    hx-confirm asks and its post carries confirmed=yes; without, the post opens a page that asks."""
    partner_request = _request_or_404(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not confirmed() and partner_request.status == "new":
        return render("programs/confirm_dismiss_request.html", partner_request=partner_request, action_form=ActionForm())
    if partner_requests.dismiss(partner_request, actor=current_user._get_current_object(), origin=request_origin()):
        db.session.commit()
        flash(f"The request of {partner_request.company} was dismissed.", "success")
    return redirect_to(url_for("programs.admin_requests"))
