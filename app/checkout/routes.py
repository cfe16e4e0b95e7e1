from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app import live
from app.accounts.models import Licensee, utcnow
from app.checkout import bp
from app.checkout import services as svc
from app.checkout.forms import NEW, PARTNER_ID_RE, CancelForm, CustomerForm, DirectCustomerForm, ServiceForm, VerifyForm
from app.checkout.models import STEPS, CheckoutDraft
from app.extensions import db
from app.partner_center import PartnerCenterError
from app.web.access import buyers_only
from app.web.origin import request_origin
from app.web.rendering import is_htmx, redirect_to, render
from wtforms.fields.choices import SelectChoice


def _draft() -> CheckoutDraft:
    return svc.open_draft(current_user._get_current_object())


def _guard(draft: CheckoutDraft, step: str):
    """A later step cannot be reached before its prerequisites: send the user to the first open step."""
    if not svc.prerequisites_met(draft, step):
        flash("Complete this step first.", "info")
        return redirect(url_for(f"checkout.{svc.current_step(draft)}"))
    return None


def _cart_url() -> str | None:
    try:
        return url_for("catalog.cart")
    except BuildError:  # the catalog area is optional for the wizard
        return None


def _step_context(draft: CheckoutDraft, step: str) -> dict:
    return {"draft": draft, "steps": STEPS, "step": step, "done": set(draft.completed_steps or []),
            "cancel_form": CancelForm(), "cart_url": _cart_url()}


@bp.route("/")
@buyers_only
def start():
    draft = _draft()
    return redirect(url_for(f"checkout.{svc.current_step(draft)}"))


# ------------------------------------------------------------------------------------ customer

def _licensees(draft):
    return db.session.scalars(db.select(Licensee).where(Licensee.reseller_id == draft.account_id)
                              .order_by(Licensee.company_name)).all()


@bp.route("/customer", methods=["GET", "POST"])
@buyers_only
def customer():
    draft = _draft()
    origin = request_origin()
    if not draft.is_reseller:
        form = DirectCustomerForm()
        if form.validate_on_submit():
            svc.confirm_direct_customer(draft)
            db.session.commit()
            return redirect_to(url_for("checkout.service"))
        return render("checkout/customer.html", "checkout/_customer_form.html", form=form,
                      **_step_context(draft, "customer"))
    licensees = _licensees(draft)
    form = CustomerForm()
    form.licensee.choices = [SelectChoice(str(l.id), f"{l.company_name} ({l.country})") for l in licensees] + [
        SelectChoice(NEW, "Add a new customer")]
    if request.method == "GET":
        form.licensee.data = str(draft.licensee_id) if draft.licensee_id else (str(licensees[0].id) if licensees else NEW)
    status = 200
    if form.is_submitted():
        valid = form.validate()
        if form.licensee.data == NEW:
            # Every missing field is reported at once, together with format errors.
            if form.validate_new_customer() and valid:
                result = svc.add_licensee(draft, svc.NewLicensee(
                    form.company_name.data, form.country.data, form.contact_first_name.data,
                    form.contact_last_name.data, form.email.data, form.phone.data), origin=origin)
                if isinstance(result, str):
                    form.company_name.errors = [result]
                else:
                    db.session.commit()
                    return redirect_to(url_for("checkout.service"))
        elif valid and (form.licensee.data or "").isdigit() and svc.choose_licensee(draft, int(form.licensee.data)):
            db.session.commit()
            return redirect_to(url_for("checkout.service"))
        elif valid:
            form.licensee.errors = ["Choose one of your customers, or add a new one."]
        status = 422
    return render("checkout/customer.html", "checkout/_customer_form.html", form=form, status=status,
                  **_step_context(draft, "customer"))


# ------------------------------------------------------------------------------------- service

def _service_context(draft: CheckoutDraft, form: ServiceForm, **extra) -> dict:
    form.existing_tenant.label.text = svc.EXISTING_BOX[draft.account.kind]
    context = _step_context(draft, "service")
    context.update(form=form, existing=draft.tenant_mode == "existing", operator_name=svc.operator_name(),
                   verify_form=VerifyForm(default_domain=draft.default_domain or draft.domain or ""))
    context.setdefault("domain_check", None)
    context.setdefault("partner_check", None)
    context.update(extra)
    return context


def _service_form(draft: CheckoutDraft) -> ServiceForm:
    form = ServiceForm()
    if not form.is_submitted():
        form.existing_tenant.data = draft.tenant_mode == "existing"
        form.domain_prefix.data = draft.domain_prefix
        form.partner_id.data = draft.partner_id
        form.reseller_tenant_id.data = draft.reseller_tenant_id
    return form


def _check_partner(draft: CheckoutDraft, form: ServiceForm):
    partner_id = (form.partner_id.data or "").strip()
    form.partner_id.data = partner_id
    if not partner_id:
        form.partner_id.errors = ["Enter your partner ID (MPN ID)."]
        draft.partner_id_status = "unchecked"
        return None
    try:
        PARTNER_ID_RE(form, form.partner_id)
    except Exception as invalid:  # wtforms ValidationError
        form.partner_id.errors = [str(invalid)]
        draft.partner_id_status = "invalid"
        return None
    tenant = form.reseller_tenant_id.data if form.reseller_tenant_id.data is not None else None
    return svc.verify_partner(draft, partner_id, tenant)


def _ensure_link(draft: CheckoutDraft) -> str | None:
    if draft.tenant_mode != "existing" or draft.authorization_status == "verified":
        return None
    if draft.authorization_link:
        return None
    try:
        draft.authorization_link = svc.relationship_link(draft)
    except PartnerCenterError as error:
        return svc.partner_center_problem(error)
    return None


@bp.route("/service", methods=["GET", "POST"])
@buyers_only
def service():
    draft = _draft()
    blocked = _guard(draft, "service")
    if blocked:
        return blocked
    form = _service_form(draft)
    if request.method == "GET":
        link_problem = _ensure_link(draft)
        db.session.commit()
        return render("checkout/service.html", "checkout/_service_form.html",
                      **_service_context(draft, form, link_problem=link_problem))
    if not form.validate():
        return render("checkout/service.html", "checkout/_service_form.html", status=422,
                      **_service_context(draft, form))
    partner_check = None
    if draft.is_reseller:
        partner_check = _check_partner(draft, form)
    svc.set_tenant_mode(draft, "existing" if form.existing_tenant.data else "new")
    check = svc.check_domain(draft, form.domain_prefix.data)
    form.domain_prefix.data = svc.normalize_prefix(form.domain_prefix.data) or form.domain_prefix.data
    link_problem = None
    ok = check.ok
    if ok and draft.tenant_mode == "new":
        reason = svc.reserve_domain(draft, check.domain)
        if reason:
            check = svc.DomainCheck("in_use", reason, check.domain)
            ok = False
        else:
            draft.domain_prefix = svc.normalize_prefix(form.domain_prefix.data)
    if ok and draft.tenant_mode == "existing":
        svc.start_waiting(draft, svc.normalize_prefix(form.domain_prefix.data))
        link_problem = _ensure_link(draft)
        ok = draft.authorization_verified
    if not check.ok:
        form.domain_prefix.errors = [check.message]
    if draft.is_reseller and not draft.partner_ready:
        ok = False
        if not form.partner_id.errors and not (partner_check and partner_check.warning):
            form.partner_id.errors = ["Your partner ID must be verified (READY) before you can check out."]
    if ok:
        svc.complete_service_step(draft)
        db.session.commit()
        return redirect_to(url_for("checkout.company"))
    db.session.commit()
    # 200 only when nothing is wrong and the step simply waits for the customer's authorization.
    status = 422 if (form.errors or not check.ok or (draft.is_reseller and not draft.partner_ready)) else 200
    return render("checkout/service.html", "checkout/_service_form.html", status=status,
                  **_service_context(draft, form, domain_check=check if check.ok else None,
                                     partner_check=partner_check, link_problem=link_problem))


@bp.route("/service/domain")
@buyers_only
def domain_check():
    """The live availability check, as the user types (debounced by htmx)."""
    draft = _draft()
    if not svc.prerequisites_met(draft, "service"):
        abort(409)
    prefix = request.args.get("domain_prefix", "")
    check = svc.check_domain(draft, prefix)
    if check.status == "exists":
        svc.start_waiting(draft, svc.normalize_prefix(prefix))
        _ensure_link(draft)
    db.session.commit()
    if not is_htmx():
        form = _service_form(draft)
        form.domain_prefix.data = prefix
        return render("checkout/service.html", **_service_context(draft, form, domain_check=check))
    response = render("checkout/_domain_status.html", check=check, draft=draft)
    if check.status == "exists":
        response.headers["HX-Trigger"] = "authorization-changed"
    return response


@bp.route("/service/partner-id", methods=["POST"])
@buyers_only
def partner_check():
    """Checked when the MPN ID field loses focus."""
    draft = _draft()
    if not draft.is_reseller:
        abort(403)
    form = ServiceForm()
    result = _check_partner(draft, form)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("checkout.service"), code=303)
    status = 422 if form.partner_id.errors else 200
    context = _service_context(draft, form, partner_check=result)
    html = render_template("checkout/_partner.html", **context) + render_template(
        "checkout/_gate.html", oob=True, **context)
    return html, status, {"Vary": "HX-Request"}


@bp.route("/service/tenant-mode", methods=["POST"])
@buyers_only
def tenant_mode():
    """The existing-tenant box was ticked or unticked: show or hide the authorization process."""
    draft = _draft()
    form = ServiceForm()
    svc.set_tenant_mode(draft, "existing" if form.existing_tenant.data else "new")
    link_problem = _ensure_link(draft)
    prefix = svc.normalize_prefix(form.domain_prefix.data)
    check = None
    if prefix:
        check = svc.check_domain(draft, prefix)
        if check.status == "exists":
            svc.start_waiting(draft, prefix)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("checkout.service"), code=303)
    return render("checkout/_service_form.html",
                  **_service_context(draft, form, domain_check=check, link_problem=link_problem))


@bp.route("/service/authorization")
@buyers_only
def authorization_status():
    """The cheap status the page polls when pushes cannot arrive: one database read."""
    draft = _draft()
    draft.last_seen_at = utcnow()
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("checkout.service"))
    return render("checkout/_gate.html", **_service_context(draft, ServiceForm(formdata=None)))


@bp.route("/service/verify", methods=["GET", "POST"])
@buyers_only
def verify():
    """'Verify Authorization': a dialog (a page without JavaScript) asking for the default domain."""
    draft = _draft()
    blocked = _guard(draft, "service")
    if blocked:
        return blocked
    form = VerifyForm()
    if request.method == "GET":
        form.default_domain.data = request.args.get("default_domain") or draft.default_domain or draft.domain or ""
    result = None
    status = 200
    if form.validate_on_submit():
        result = svc.verify_now(draft, form.default_domain.data, actor=current_user._get_current_object(),
                                origin=request_origin())
        if result.verified:
            if is_htmx():
                context = _service_context(draft, ServiceForm(formdata=None))
                html = render_template("checkout/_gate.html", oob=True, **context)
                return html, 200, {"HX-Trigger": "authorization-changed", "Vary": "HX-Request"}
            flash(result.message, "success")
            return redirect(url_for("checkout.service"), code=303)
    elif form.is_submitted():
        status = 422
    return render("checkout/verify.html", "checkout/_verify_dialog.html", form=form, result=result,
                  draft=draft, status=status, as_dialog=is_htmx())


@bp.route("/events")
@buyers_only
def events():
    """Server-sent events for the open checkout page (htmx SSE extension)."""
    draft_id = _draft().id

    def render_event(event: str):
        if event != "authorization":
            return None
        db.session.expire_all()
        draft = db.session.get(CheckoutDraft, draft_id)
        return render_template("checkout/_gate.html", **_service_context(draft, ServiceForm(formdata=None)))

    body = live.stream("checkout", draft_id, render_event)
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.route("/cancel", methods=["POST"])
@buyers_only
def cancel():
    draft = _draft()
    if CancelForm().validate_on_submit():
        svc.abandon(draft, origin=request_origin())
        flash("The purchase was discarded. Your cart is kept.", "info")
    return redirect(url_for("accounts.home"), code=303)


# ------------------------------------------------------------------------------ later steps

@bp.route("/company")
@buyers_only
def company():
    draft = _draft()
    blocked = _guard(draft, "company")
    if blocked:
        return blocked
    return render("checkout/company.html", **_step_context(draft, "company"))
