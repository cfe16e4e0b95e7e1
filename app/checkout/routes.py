from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app import live
from app.accounts.models import Licensee
from app.checkout import bp
from app.checkout import gate
from app.checkout import services as svc
from app.checkout.forms import (NEW, PARTNER_ID_RE, AgreementForm, CancelForm, CompanyForm, CustomerForm,
                                DirectCustomerForm, ReviewForm, ServiceForm, VerifyForm)
from app.checkout.models import STEPS, CheckoutDraft, DomainReservation
from app.extensions import db
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import is_htmx, redirect_to, render
from wtforms.fields.choices import SelectChoice


def _draft() -> CheckoutDraft:
    """The buyer's open checkout. A GET never writes: it sees an unsaved draft until the first form
    is sent (which creates it)."""
    user = current_user._get_current_object()
    if request.method == "GET":
        return svc.current_draft(user)
    return svc.open_draft(user)


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
@allow(Permission.CHECKOUT)
def start():
    draft = _draft()
    return redirect(url_for(f"checkout.{svc.current_step(draft)}"))


# ------------------------------------------------------------------------------------ customer

def _licensees(draft):
    return db.session.scalars(db.select(Licensee).where(Licensee.reseller_id == draft.account_id)
                              .order_by(Licensee.company_name)).all()


@bp.route("/customer", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
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
#
# The page is one form. Parts of it are refreshed by htmx while the buyer works (the domain's
# status as they type, the partner ID's badge on blur, the authorization section when the box is
# ticked, the Checkout gate when Microsoft answers), and each refresh replaces only those parts:
# never an input the buyer may be typing in.

def _service_context(draft: CheckoutDraft, form: ServiceForm, **extra) -> dict:
    form.existing_tenant.label.text = svc.EXISTING_BOX[draft.account.kind]
    context = _step_context(draft, "service")
    context.update(form=form, existing=draft.tenant_mode == "existing", operator_name=svc.operator_name(),
                   verify_form=VerifyForm(default_domain=draft.default_domain or draft.domain or ""))
    context.setdefault("domain_check", None)
    context.setdefault("partner_check", None)
    context.setdefault("link_problem", None)
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
    result = svc.verify_partner(draft, partner_id, tenant)
    if result.not_yours:
        form.partner_id.errors = [result.not_yours]
    return result


def _gate_state(draft: CheckoutDraft) -> tuple:
    return (draft.tenant_mode, draft.domain_prefix, draft.authorization_status, draft.authorization_link)


def _parts(draft: CheckoutDraft, form: ServiceForm, *names: str, **extra) -> str:
    """Out-of-band companions of a partial answer: the named parts of the service form."""
    context = _service_context(draft, form, oob=True, **extra)
    templates = {"existing": "checkout/_existing.html", "live": "checkout/_live_region.html",
                 "hint": "checkout/_domain_hint.html", "domain": "checkout/_domain_status.html"}
    return "".join(render_template(templates[name], check=extra.get("domain_check"), **context) for name in names)


@bp.route("/service", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def service():
    draft = _draft()
    blocked = _guard(draft, "service")
    if blocked:
        return blocked
    form = _service_form(draft)
    if request.method == "GET":
        return render("checkout/service.html", "checkout/_service_form.html", **_service_context(draft, form))
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
    if check.status == "refused":
        gate.start_waiting(draft, svc.normalize_prefix(form.domain_prefix.data))
    if ok and draft.tenant_mode == "existing":
        gate.start_waiting(draft, svc.normalize_prefix(form.domain_prefix.data))
        link_problem = gate.ensure_link(draft)
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
    status = 422 if (form.errors or not check.ok or draft.authorization_refused
                     or (draft.is_reseller and not draft.partner_ready)) else 200
    return render("checkout/service.html", "checkout/_service_form.html", status=status,
                  **_service_context(draft, form, domain_check=check if check.ok else None,
                                     partner_check=partner_check, link_problem=link_problem))


@bp.route("/service/domain", methods=["POST"])
@allow(Permission.CHECKOUT)
def domain_check():
    """The live availability check as the user types (debounced by htmx). It answers the status
    beside the field; in the existing-tenant mode, a tenant that exists starts the wait for its
    authorization, and the authorization section and the gate come along out of band."""
    draft = _draft()
    if not svc.prerequisites_met(draft, "service"):
        abort(409)
    form = ServiceForm()
    prefix = form.domain_prefix.data or ""
    before = _gate_state(draft)
    check = svc.check_domain(draft, prefix)
    if check.domain and draft.domain != check.domain:
        # Keep what was typed: a reload, another tab or a later sign-in shows it again.
        draft.domain_prefix = svc.normalize_prefix(prefix)
        draft.unmark_from("service")
        if draft.tenant_mode == "existing":
            svc.drop_tenant(draft)
    link_problem = None
    if check.status in ("exists", "refused"):
        gate.start_waiting(draft, svc.normalize_prefix(prefix))
        link_problem = gate.ensure_link(draft)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("checkout.service"), code=303)
    html = render_template("checkout/_domain_status.html", check=check, draft=draft)
    if draft.tenant_mode == "existing" and _gate_state(draft) != before:
        html += _parts(draft, ServiceForm(formdata=None), "existing", "live", link_problem=link_problem)
    return html, 200, {"Vary": "HX-Request"}


@bp.route("/service/partner-id", methods=["POST"])
@allow(Permission.CHECKOUT)
def partner_check():
    """Checked when the MPN ID field loses focus. Answers the partner status (badge, messages,
    the tenant ID question) and the gate; the MPN ID input itself is never replaced."""
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
    html = render_template("checkout/_partner_status.html", **context) + _parts(draft, form, "live")
    return html, status, {"Vary": "HX-Request"}


@bp.route("/service/tenant-mode", methods=["POST"])
@allow(Permission.CHECKOUT)
def tenant_mode():
    """The existing-tenant box was ticked or unticked: show or hide the authorization process.
    The domain prefix the buyer may be typing is read, never replaced."""
    draft = _draft()
    form = ServiceForm()
    svc.set_tenant_mode(draft, "existing" if form.existing_tenant.data else "new")
    prefix = svc.normalize_prefix(form.domain_prefix.data)
    check = None
    link_problem = None
    if prefix:
        check = svc.check_domain(draft, prefix)
        if check.status in ("exists", "refused"):
            gate.start_waiting(draft, prefix)
    link_problem = gate.ensure_link(draft)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("checkout.service"), code=303)
    context = _service_context(draft, form, domain_check=check, link_problem=link_problem)
    html = render_template("checkout/_existing.html", **context)
    html += _parts(draft, form, "hint", "domain", "live", domain_check=check, link_problem=link_problem)
    return html, 200, {"Vary": "HX-Request"}


@bp.route("/service/link", methods=["POST"])
@allow(Permission.CHECKOUT)
def authorization_link():
    """Ask Partner Center for the authorization link again (it was not reachable before)."""
    draft = _draft()
    if not CancelForm().validate_on_submit():
        abort(400)
    problem = gate.ensure_link(draft)
    db.session.commit()
    if problem:
        flash(problem, "error")
    return redirect(url_for("checkout.service"), code=303)


@bp.route("/service/authorization")
@allow(Permission.CHECKOUT)
def authorization_status():
    """The cheap status the page polls when pushes cannot arrive: one database read, no writes."""
    draft = _draft()
    if not is_htmx():
        return redirect(url_for("checkout.service"))
    return render("checkout/_gate.html", **_service_context(draft, ServiceForm(formdata=None)))


@bp.route("/service/verify", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
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
        result = gate.verify_now(draft, form.default_domain.data, actor=current_user._get_current_object(),
                                 origin=request_origin())
        db.session.commit()
        if result.verified:
            if is_htmx():
                html = _parts(draft, ServiceForm(formdata=None), "live", "existing")
                return html, 200, {"HX-Trigger": "authorization-changed", "Vary": "HX-Request"}
            flash(result.message, "success")
            return redirect(url_for("checkout.service"), code=303)
    elif form.is_submitted():
        status = 422
    return render("checkout/verify.html", "checkout/_verify_dialog.html", form=form, result=result,
                  draft=draft, status=status, as_dialog=is_htmx())


@bp.route("/events")
@allow(Permission.CHECKOUT)
def events():
    """Server-sent events for the open checkout page (htmx SSE extension)."""
    draft_id = _draft().id
    if draft_id is None:
        return "", 204  # nothing to wait for: no checkout yet

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
@allow(Permission.CHECKOUT)
def cancel():
    draft = _draft()
    if CancelForm().validate_on_submit():
        svc.abandon(draft, origin=request_origin())
        flash("The purchase was discarded. Your cart is kept.", "info")
    return redirect(url_for("home.index"), code=303)


# ------------------------------------------------------------------------------------- company

def _settings():
    from app.admin.settings import StorefrontSettings

    return StorefrontSettings.load()


def _company_context(draft, form, problems=None):
    billing = _settings().sub_customers_billing_address
    if not svc.registration_required(draft):
        form.registration_id.label.text = "Company registration ID (optional)"
        form.phone.label.text = "Phone (optional)"
    return dict(form=form, problems=problems, registration_required=svc.registration_required(draft),
                address_required=svc.address_required(draft, billing),
                address_validated=svc.address_validated(draft, billing), **_step_context(draft, "company"))


@bp.route("/company", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def company():
    draft = _draft()
    blocked = _guard(draft, "company")
    if blocked:
        return blocked
    form = CompanyForm(data=svc.company_defaults(draft)) if request.method == "GET" else CompanyForm()
    if request.method == "GET":
        return render("checkout/company.html", "checkout/_company_form.html", **_company_context(draft, form))
    if not form.validate():
        return render("checkout/company.html", "checkout/_company_form.html", status=422,
                      **_company_context(draft, form))
    details = svc.CompanyDetails(form.registration_id.data, form.phone.data,
                                 {k: getattr(form, k).data or "" for k in svc.ADDRESS_FIELDS})
    problems = svc.check_company(draft, details, billing_option=_settings().sub_customers_billing_address,
                                 accept_suggestion=form.suggestion.data == "accept")
    if form.suggestion.data == "refuse" and problems.suggestion and not problems.fields:
        problems.suggestion = None  # the buyer keeps the address as typed
    for name, message in problems.fields.items():
        getattr(form, "phone" if name == "phone" else name).errors = [message]
    if problems.fields or problems.problem or problems.suggestion:
        db.session.commit()
        if problems.suggestion is None and form.suggestion.data == "accept":
            form.address_line1.data = draft.address_line1
        return render("checkout/company.html", "checkout/_company_form.html", status=422,
                      **_company_context(draft, form, problems))
    svc.complete_company_step(draft)
    db.session.commit()
    if _settings().require_mca_acceptance:
        svc.agreement_template(current_user.id, fetch=True)  # for the next page, which never calls Microsoft
    return redirect_to(url_for("checkout.agreement"))


# ----------------------------------------------------------------------------------- agreement

def _agreement_label(draft) -> str:
    if draft.is_reseller:
        return f"My customer, {draft.customer_name}, has accepted the Microsoft Customer Agreement"
    return "I have read and accept the Microsoft Customer Agreement"


@bp.route("/agreement", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def agreement():
    draft = _draft()
    blocked = _guard(draft, "agreement")
    if blocked:
        return blocked
    context = _step_context(draft, "agreement")
    if not _settings().require_mca_acceptance:
        # The operator handles the MCA outside the storefront: nothing to ask here.
        form = DirectCustomerForm()  # a plain "Next"
        if form.validate_on_submit():
            draft.mark_done("agreement")
            db.session.commit()
            return redirect_to(url_for("checkout.review"))
        return render("checkout/agreement.html", required=False, form=form, **context)
    # A page never calls Microsoft: it shows the template the company step fetched; sending the
    # form fetches it when it is not known yet.
    template, problem = svc.agreement_template(current_user.id, fetch=request.method == "POST")
    form = AgreementForm()
    form.accepted.label.text = _agreement_label(draft)
    if request.method == "GET":
        previous = draft.mca_acceptance
        if previous is not None:
            form.first_name.data, form.last_name.data = previous.first_name, previous.last_name
            form.email.data, form.phone.data = previous.email, previous.phone
        elif draft.licensee is not None:
            lic = draft.licensee
            form.first_name.data, form.last_name.data = lic.contact_first_name, lic.contact_last_name
            form.email.data, form.phone.data = lic.email, draft.company_phone or lic.phone
        else:
            first, _, last = current_user.name.partition(" ")
            form.first_name.data, form.last_name.data = first, last
            form.email.data, form.phone.data = current_user.email, draft.company_phone or draft.account.phone
    status = 200
    if form.is_submitted():
        if form.validate() and template is not None:
            svc.record_mca(draft, svc.Signatory(form.first_name.data, form.last_name.data, form.email.data,
                                                form.phone.data),
                           template_id=template.template_id, agreement_link=template.agreement_link,
                           actor=current_user._get_current_object(), origin=request_origin())
            db.session.commit()
            return redirect_to(url_for("checkout.review"))
        status = 422
    return render("checkout/agreement.html", "checkout/_agreement_form.html", required=True, form=form,
                  template=template, problem=problem, status=status, **context)


# -------------------------------------------------------------------------------------- review

def _order_request(draft, cart, add_to_agreement_id=None):
    from app.catalog.pricing import sku_offer, viewer_for
    from app.orders.services import OrderRequest, RequestLine

    viewer = viewer_for(current_user)
    lines = []
    for lv in cart.lines:
        sku = lv.line.sku
        offer = sku_offer(sku, viewer.market)
        lines.append(RequestLine(
            product_id=sku.product.product_id, sku_id=sku.sku_id, catalog_item_id=offer.catalog_item_id,
            product_title=sku.product.title, sku_title=sku.title, family=sku.product.family,
            term_duration=lv.line.term_duration, billing_plan=lv.line.billing_plan, quantity=lv.line.quantity,
            unit_price=lv.price, currency=lv.currency))
    lic = draft.licensee
    acceptance = draft.mca_acceptance if _settings().require_mca_acceptance else None
    address = None
    if draft.address_line1:
        address = {"addressLine1": draft.address_line1, "addressLine2": draft.address_line2 or "",
                   "city": draft.city or "", "state": draft.state or "", "postalCode": draft.postal_code or "",
                   "country": draft.customer_country}
    if lic is not None:
        first, last, email = lic.contact_first_name, lic.contact_last_name, lic.email
    else:
        first, _, last = current_user.name.partition(" ")
        email = draft.account.email or current_user.email
    return OrderRequest(
        account_id=draft.account_id, user_id=current_user.id, draft_id=draft.id, licensee_id=draft.licensee_id,
        company_name=draft.customer_name, country=draft.customer_country, contact_first_name=first,
        contact_last_name=last or first, email=email, phone=draft.company_phone or (lic.phone if lic else draft.account.phone),
        tenant_mode=draft.tenant_mode, domain=draft.domain, default_domain=draft.default_domain,
        tenant_id=draft.tenant_id, registration_id=draft.registration_id, address=address,
        partner_id=draft.partner_id if draft.is_reseller else None,
        reseller_tenant_id=draft.reseller_tenant_id if draft.is_reseller else None,
        mca=None if acceptance is None else {
            "firstName": acceptance.first_name, "lastName": acceptance.last_name, "email": acceptance.email,
            "phoneNumber": acceptance.phone, "templateId": acceptance.template_id,
            "dateAgreed": acceptance.accepted_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        lines=lines, add_to_agreement_id=add_to_agreement_id, recheck=lambda: gate.still_authorized(draft))


def _cart():
    from app.catalog.cart import cart_view
    from app.catalog.pricing import viewer_for

    return cart_view(current_user, viewer_for(current_user))


@bp.route("/review", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def review():
    from app.orders.services import AgreementExists, DomainInUse, NotAuthorized, check_order_rules, place_order

    form = ReviewForm()
    if form.is_submitted():
        # A second submit of a placed checkout (double click, resubmitted form) shows the first order.
        placed = _placed_draft(form.draft_id.data)
        if placed is not None:
            return redirect_to(url_for("checkout.placed", number=placed.order_number))
    draft = _draft()
    blocked = _guard(draft, "review")
    if blocked:
        return blocked
    cart = _cart()
    rule_problem, existing_agreement = None, None
    add_to = int(form.add_to_agreement.data) if (form.add_to_agreement.data or "").isdigit() else None
    if cart.ready:
        try:
            check_order_rules(_order_request(draft, cart, add_to))
        except (DomainInUse, NotAuthorized) as error:
            rule_problem = str(error)
        except AgreementExists as exists:
            existing_agreement = exists.agreement
    status = 200
    if form.is_submitted():
        form.draft_id.data = str(draft.id)
        if not cart.ready:
            form.terms.errors = [*form.terms.errors]
            status = 422
        elif form.validate() and not rule_problem and existing_agreement is None:
            try:
                order = place_order(_order_request(draft, cart, add_to), actor=current_user._get_current_object(),
                                    origin=request_origin())
            except (DomainInUse, NotAuthorized) as error:
                rule_problem = str(error)
            except AgreementExists as exists:
                existing_agreement = exists.agreement
            else:
                _finish_placed(draft, order)
                return redirect_to(url_for("checkout.placed", number=order.number))
        status = 422
    form.draft_id.data = str(draft.id)
    return render("checkout/review.html", "checkout/_review_form.html", form=form, cart=cart, status=status,
                  rule_problem=rule_problem, existing_agreement=existing_agreement,
                  acceptance=draft.mca_acceptance, mca_required=_settings().require_mca_acceptance,
                  **_step_context(draft, "review"))


def _placed_draft(draft_id: str | None):
    if not (draft_id or "").isdigit():
        return None
    draft = db.session.get(CheckoutDraft, int(draft_id))
    if draft is None or draft.user_id != current_user.id or draft.status != "placed" or not draft.order_number:
        return None
    return draft


def _finish_placed(draft, order) -> None:
    from app.catalog.cart import cart_for

    draft.status = "placed"
    draft.order_number = order.number
    draft.mark_done("review")
    if draft.mca_acceptance is not None:
        draft.mca_acceptance.order_number = order.number
    cart = cart_for(current_user)
    if cart is not None:
        for line in list(cart.lines):
            db.session.delete(line)
    db.session.execute(db.delete(DomainReservation).where(DomainReservation.draft_id == draft.id))
    db.session.commit()


@bp.route("/placed/<number>")
@allow(Permission.CHECKOUT)
def placed(number: str):
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.order_number == number,
                                                             CheckoutDraft.user_id == current_user.id))
    if draft is None:
        abort(404)
    return render("checkout/placed.html", draft=draft, number=number)
