"""Programs for resellers (its own menu entry): the CSP Partner Program with its terms, Enroll,
the account's certificates and a certificate's General and Parameters tabs (Process); and the public
"Become a partner" page. Plain forms throughout; htmx only refreshes a certificate while Partner
Center checks it."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from app.extensions import db
from app.programs import bp, partner_requests, services
from app.programs.forms import BecomePartnerForm, EnrollForm, ProcessForm
from app.programs.models import CertificateStatus
from app.web.access import Permission, allow
from app.web.errors import answers_a_stale_form
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.layout import ACCOUNT_ID, NOW, layout_fact, register_layout_fact
from app.web.origin import request_origin
from app.web.ratelimit import over_limit
from app.web.rendering import is_htmx, poll_status, redirect_to, render

TABS = ("general", "parameters")


# Read with the header's counts, in the statement every page runs anyway (None: not a reseller, or unknown).
register_layout_fact("has_usable_certificate", lambda kind: services.usable_certificate_exists(ACCOUNT_ID, NOW)
                     if kind == "reseller" else None, default=None)


@bp.app_template_global()
def program_gate():
    """For the catalog and the cart: why the signed-in reseller cannot order CSP products (None: it can)."""
    if not current_user.is_authenticated or layout_fact("has_usable_certificate"):
        return None
    return services.gate_message(current_user.account)


def _show_error(form, error: services.EnrolmentError) -> None:
    field = getattr(form, error.field, None) or form.partner_id
    field.errors = [*field.errors, error.message]


def _reseller_only():
    if current_user.account.kind != "reseller":
        abort(404)


@bp.route("/programs")
@allow(Permission.PROGRAMS)
def index():
    account = current_user.account
    return render("programs/index.html", program=services.program(), account=account,
                  certificates=services.certificates_of(account.id) if account.kind == "reseller" else [],
                  gate=services.gate_message(account))


@bp.route("/programs/enroll", methods=["GET", "POST"])
@allow(Permission.PROGRAMS)
def enroll():
    _reseller_only()
    account = current_user.account
    form = EnrollForm()
    status = 200
    enrolled = None
    if request.method == "GET":
        # The account's MPN ID is offered, unless a certificate has it already: Enroll would be refused at once.
        enrolled = services.already_enrolled(account, account.partner_id) if account.partner_id else None
        form.partner_id.data = None if enrolled else account.partner_id
        form.contact_email.data = current_user.email
        form.country.data = account.country
    elif form.validate_on_submit():
        try:
            certificate = services.enrol(account, partner_id=form.partner_id.data,
                                         contact_email=form.contact_email.data, country=form.country.data,
                                         actor=current_user._get_current_object(), origin=request_origin())
        except services.EnrolmentError as error:
            db.session.rollback()
            _show_error(form, error)
            status = 422
        else:
            db.session.commit()
            services.start_check(certificate)
            flash(f"Certificate {certificate.number} was created: Partner Center is checking your MPN ID.", "success")
            return redirect_to(url_for("programs.certificate", certificate_id=certificate.id))
    else:
        status = 422
    return render("programs/enroll.html", form=form, program=services.program(), enrolled=enrolled, status=status)


def _certificate_or_404(certificate_id: int):
    return found_or_404(services.find_certificate(current_user, certificate_id))


def _process_form(certificate, formdata=None) -> ProcessForm:
    if formdata is None:
        return ProcessForm(formdata=None, data={"partner_id": certificate.partner_id,
                                                "contact_email": certificate.contact_email,
                                                "country": certificate.country})
    return ProcessForm()


def _certificate_page(certificate, tab: str, *, form=None, problem: str | None = None, status: int = 200):
    return render("programs/certificate.html", certificate=certificate, tab=tab, program=services.program(),
                  form=form or _process_form(certificate), editable=_editable(certificate), status=status,
                  problem=problem, admin=False)


def _editable(certificate) -> bool:
    return certificate.current_status == CertificateStatus.PENDING and not certificate.checking


@bp.route("/programs/certificates/<int:certificate_id>")
@allow(Permission.PROGRAMS)
def certificate(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    tab = request.args.get("tab", "general")
    if tab not in TABS:
        tab = "general"
    return _certificate_page(certificate, tab)


@bp.route("/programs/certificates/<int:certificate_id>/status")
@allow(Permission.PROGRAMS)
def certificate_status(certificate_id: int):
    """The General tab's status while Partner Center checks: htmx polls it (286 once answered)."""
    certificate = _certificate_or_404(certificate_id)
    if not is_htmx():
        return _certificate_page(certificate, "general")
    return render("programs/_status.html", certificate=certificate, admin=False,
                  status=poll_status(not certificate.checking))


@bp.route("/programs/certificates/<int:certificate_id>/process", methods=["POST"])
@allow(Permission.PROGRAMS)
@form_on("programs.certificate")
def process(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = _process_form(certificate, request.form)
    if not form.validate_on_submit():
        return _certificate_page(certificate, "parameters", form=form, status=422)
    try:
        services.process(certificate, partner_id=form.partner_id.data, contact_email=form.contact_email.data,
                         country=form.country.data, actor=current_user._get_current_object(), origin=request_origin())
    except services.EnrolmentError as error:
        db.session.rollback()
        _show_error(form, error)
        return _certificate_page(certificate, "parameters", form=form, status=422)
    except services.CertificateStateError as error:  # active, expired, or Partner Center checks it already
        db.session.rollback()
        return _certificate_page(certificate, "parameters", form=form, problem=str(error), status=409)
    db.session.commit()
    services.start_check(certificate)
    flash("Sent to Partner Center: the certificate is checked again.", "success")
    return redirect_to(url_for("programs.certificate", certificate_id=certificate.id))


# ----------------------------------------------------------------------------------- become a partner

@bp.route("/become-a-partner", methods=["GET", "POST"])
@allow(Permission.PUBLIC)
def become_partner():
    form = BecomePartnerForm()
    status = 200
    if form.is_submitted():
        if form.validate() and not _too_many_requests(form):
            partner_requests.submit(company=form.company.data, name=form.name.data, email=form.email.data,
                                    country=form.country.data, partner_id=form.partner_id.data,
                                    message=form.message.data, origin=request_origin())
            db.session.commit()
            return redirect_to(url_for("programs.become_partner_sent"))
        status = 422
    return render("programs/become_partner.html", form=form, program=services.program(),
                  operator=services.operator_name(), status=status)


@answers_a_stale_form("programs.become_partner")
def become_partner_again():
    """The form sent with a token that expired with its session (the page left open while the session cookie
    ended): shown again with what was written and a fresh token; nothing was sent."""
    return render("programs/become_partner.html", form=BecomePartnerForm(), program=services.program(),
                  operator=services.operator_name(), stale=True, status=400)


# A public form: one address may send a few requests an hour, so it cannot fill admin's list.
REQUESTS_PER_HOUR = 5


def _too_many_requests(form) -> bool:
    wait = over_limit(f"partner-request:{request.remote_addr}", REQUESTS_PER_HOUR, 3600)
    if wait is None:
        return False
    form.message.errors = [f"Several requests were sent from your address in the last hour. Try again in "
                           f"{max(wait // 60, 1)} minutes, or write to us by email; nothing you typed is lost."]
    return True


@bp.route("/become-a-partner/sent")
@allow(Permission.PUBLIC)
def become_partner_sent():
    return render("programs/become_partner_sent.html", operator=services.operator_name())
