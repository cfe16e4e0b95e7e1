"""The wizard's first steps: customer (licensee) and service details (the tenant, the partner ID, the
authorization gate and its live updates), and discarding a purchase."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from app.web.forms import FlaskForm
from markupsafe import Markup

from app import live
from app.catalog.cart import apply_typed_quantities
from app.catalog.routes import cart_refused
from app.checkout import bp, certificates, gate, wizard
from app.checkout import services as svc
from app.checkout.forms import (NEW, PARTNER_ID_RE, CancelForm, CustomerForm, DirectCustomerForm, ServiceForm,
                                VerifyForm)
from app.checkout.models import CheckoutDraft
from app.connections.person import TooFast, partner_center_problem, person_client
from app.connections.reseller_tenants import consent_for, reseller_person_client
from app.extensions import db
from app.orders import gdap
from app.partner_center import PartnerCenterError
from app.settings.licensees import LicenseeDetails, fetch_state_label, licensee_choices
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.confirm import confirmed
from app.web.layout import full_stop
from app.web.origin import request_origin
from app.web.rendering import is_htmx, poll_status, redirect_to, render
from wtforms.fields.choices import SelectChoice


@bp.route("/")
@allow(Permission.CHECKOUT)
def start():
    empty = wizard.nothing_to_buy()
    if empty:
        return empty
    draft = wizard.draft()
    return redirect(url_for(f"checkout.{svc.current_step(draft)}"))


# ------------------------------------------------------------------------------------ customer

def _licensees(draft):
    return licensee_choices(draft.account_id)  # archived ones are not offered; id, company_name, country


def _chosen_licensee(form: CustomerForm, licensees):
    """The licensee of the account the Customer list names, or None."""
    return next((l for l in licensees if str(l.id) == form.licensee.data), None)


def draw_new_customer_fields(form: CustomerForm) -> Markup:
    """The "Add a new customer" fields of the form (checkout/_new_customer_fields.html)."""
    return Markup(current_app.jinja_env.get_template("checkout/_new_customer_fields.html").render(form=form))


_EMPTY_NEW_CUSTOMER = "checkout_empty_new_customer_fields"


def new_customer_fields(form: CustomerForm) -> Markup:
    """The "Add a new customer" fields as the form shows them. A form not sent (the step's page read) shows them
    empty and without an error, the same for every buyer at every visit: drawn once and kept on the app, since
    drawing them (six fields, one a list of countries, through WTForms) was about a quarter of the page (issue
    14). A form sent shows what was typed, and the errors, as drawn now."""
    if form.is_submitted():
        return draw_new_customer_fields(form)
    kept = current_app.extensions.get(_EMPTY_NEW_CUSTOMER)
    if kept is None:
        kept = current_app.extensions[_EMPTY_NEW_CUSTOMER] = draw_new_customer_fields(CustomerForm(formdata=None))
    return kept


@bp.route("/customer", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def customer():
    empty = wizard.nothing_to_buy()
    if empty:
        return empty
    draft = wizard.draft()
    origin = request_origin()
    if not draft.is_reseller:
        form = DirectCustomerForm()
        if form.validate_on_submit():
            svc.confirm_direct_customer(draft)
            db.session.commit()
            return redirect_to(url_for("checkout.service"))
        return render("checkout/step.html", "checkout/_customer_form.html", form=form,
                      **wizard.step_context(draft, "customer"))
    licensees = _licensees(draft)
    form = CustomerForm()
    form.licensee.choices = [SelectChoice(str(l.id), f"{l.company_name} ({l.country})") for l in licensees] + [
        SelectChoice(NEW, "Add a new customer")]
    if request.method == "GET":
        form.licensee.data = str(draft.licensee_id) if draft.licensee_id else (str(licensees[0].id) if licensees else NEW)
    certificates.prepare(form, draft, reading=request.method == "GET")
    status = 200
    if form.is_submitted():
        valid = form.validate()
        valid = certificates.choose(form, draft) and valid
        if form.licensee.data == NEW:
            # Every missing field is reported at once, together with format errors.
            if form.validate_new_customer() and valid:
                result = svc.add_licensee(draft, LicenseeDetails.from_form(
                    {name: form[name].data for name in form.CONTACT_FIELDS}), origin=origin)
                if isinstance(result, str):
                    form.company_name.errors = [result]
                else:
                    db.session.commit()
                    return redirect_to(url_for("checkout.service"))
        elif valid and (chosen := _chosen_licensee(form, licensees)) is not None and form.typed_new_customer():
            # The list opens on a licensee: a new customer filled in below without choosing it there is
            # not thrown away by going on for the one the list shows.
            new_name = (form.company_name.data or "").strip() or "the new customer"
            form.licensee.errors = [f"You chose {chosen.company_name} here but filled in a new customer below: choose "
                                    f"“Add a new customer” to add {new_name}, or clear the fields below to buy for "
                                    f"{chosen.company_name}{full_stop(chosen.company_name)}"]
        elif valid and (form.licensee.data or "").isdigit() and svc.choose_licensee(draft, int(form.licensee.data)):
            db.session.commit()
            return redirect_to(url_for("checkout.service"))
        elif valid:
            form.licensee.errors = ["Choose one of your customers, or add a new one."]
        status = 422
    return render("checkout/step.html", "checkout/_customer_form.html", form=form, status=status,
                  new_customer=new_customer_fields(form), no_certificate=certificates.no_certificate(form, draft),
                  **wizard.step_context(draft, "customer"))


# ------------------------------------------------------------------------------------- service
#
# The page is one form. Parts of it are refreshed by htmx while the buyer works (the domain's
# status as they type, the partner ID's badge on blur, the authorization section when the box is
# ticked, the Checkout gate when Microsoft answers), and each refresh replaces only those parts:
# never an input the buyer may be typing in.

def _waits(draft: CheckoutDraft) -> bool:
    """The draft waits for the customer's acceptance: the page listens (stream or poll) only then."""
    return draft.tenant_mode == "existing" and draft.authorization_status == "waiting"


def _service_context(draft: CheckoutDraft, form: ServiceForm, **extra) -> dict:
    form.existing_tenant.label.text = svc.EXISTING_BOX[draft.account.kind]
    context = wizard.step_context(draft, "service")
    waits = _waits(draft)
    agreements = svc.customer_agreements(draft)
    known = svc.known_tenant_domain(draft)
    context.update(form=form, existing=draft.tenant_mode == "existing", agreements=agreements,
                   # The customer's tenant with this account, offered in one press when no agreement
                   # above already offers it (and unless it is the one chosen already).
                   known_tenant=known if known is not None and known != draft.domain and all(
                       a.tenant_domain != known for a, _ in agreements) else None,
                   waits=waits, streams=waits and live.may_stream(current_user.id))
    # The gate polls only on a page that has no stream (at the cap, or Redis down).
    context["polls"] = waits and not context["streams"]
    context.setdefault("domain_check", svc.remembered_domain_check(draft))
    context.setdefault("partner_check", None)
    context.setdefault("link_problem", None)
    # The authorization section (checkout/_existing.html), and with it the operator's name and the GDAP
    # request, is shown only for an existing tenant: a new tenant's page does not read them.
    existing = context["existing"]
    context["operator_name"] = svc.operator_name() if existing else None
    context["gdap"] = gdap.request_for(draft.account_id, draft.domain) if existing and draft.is_reseller else None
    # A reseller whose partner tenant is connected for GDAP asks in its own name (it gets the roles).
    context["gdap_own"] = existing and draft.is_reseller and consent_for(draft.account) is not None
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


def _chosen_tenant_domain(draft: CheckoutDraft) -> str:
    """The tenant the buyer chose in one press: an agreement's ("Add to AGR-..."), or the customer's
    known tenant ("Use ..."); only this customer's, else 404."""
    wanted = request.form.get("use_agreement", "")
    if wanted == "known":
        known = svc.known_tenant_domain(draft)
        if known is not None:
            return known
    for agreement, _products in svc.customer_agreements(draft):
        if str(agreement.id) == wanted:
            return agreement.tenant_domain
    abort(404)


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
        # Kept as typed, as a well-formed one is (svc.verify_partner): the page shown again holds it beside
        # its own badge, not the ID it replaced beside this one's.
        draft.partner_id = partner_id[:20]
        draft.partner_id_status = "invalid"
        draft.unmark_from("service")
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
@wizard.step("service")
def service(draft):
    form = _service_form(draft)
    if request.method == "GET":
        return render("checkout/service.html", "checkout/_service_form.html", **_service_context(draft, form))
    if request.form.get("use_agreement"):
        # "Add to AGR-...": the purchase goes on that agreement's tenant (its product line joins the
        # agreement at placing); a new agreement is a new tenant, chosen in the fields below.
        form.existing_tenant.data = True
        form.domain_prefix.data = svc.normalize_prefix(_chosen_tenant_domain(draft))
    if not form.validate():
        return render("checkout/service.html", "checkout/_service_form.html", status=422,
                      **_service_context(draft, form))
    partner_check = None
    if draft.is_reseller:
        partner_check = _check_partner(draft, form)
    svc.set_tenant_mode(draft, "existing" if form.existing_tenant.data else "new")
    check = svc.check_domain(draft, form.domain_prefix.data)
    if check.domain and draft.domain != check.domain:
        # Keep what was typed, as the live check does: without JavaScript only this press sends it,
        # and the step shown again later (from the stepper, another tab) must still have it.
        draft.domain_prefix = svc.normalize_prefix(form.domain_prefix.data)
        draft.unmark_from("service")
        if draft.tenant_mode == "existing":
            svc.drop_tenant(draft)
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
    svc.remember_domain_check(draft, check)
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
        # The company step's page shows the state field as the country's rules say, without calling Microsoft.
        fetch_state_label(draft.customer_country, user_id=current_user.id)
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
@form_on("checkout.service")
def domain_check():
    """The live availability check as the user types (debounced by htmx). It answers the status
    beside the field; in the existing-tenant mode, a tenant that exists starts the wait for its
    authorization, and the authorization section and the gate come along out of band."""
    draft = wizard.draft()
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
    svc.remember_domain_check(draft, check)
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
@form_on("checkout.service")
def partner_check():
    """Checked when the MPN ID field loses focus. Answers the partner status (badge, messages,
    the tenant ID question) and the gate; the MPN ID input itself is never replaced."""
    draft = wizard.draft()
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
@form_on("checkout.service")
def tenant_mode():
    """The existing-tenant box was ticked or unticked: show or hide the authorization process.
    The domain prefix the buyer may be typing is read, never replaced."""
    draft = wizard.draft()
    form = ServiceForm()
    svc.set_tenant_mode(draft, "existing" if form.existing_tenant.data else "new")
    if draft.is_reseller and not is_htmx() and form.partner_id.data is not None:
        typed = form.partner_id.data.strip()[:20]
        if typed != (draft.partner_id or ""):
            # Without JavaScript nothing checked the MPN ID when its field was left: check it now,
            # and keep what was typed for the step shown again (Checkout says what is wrong with it).
            _check_partner(draft, form)
            draft.partner_id = typed or None
    prefix = svc.normalize_prefix(form.domain_prefix.data)
    check = None
    link_problem = None
    if prefix:
        check = svc.check_domain(draft, prefix)
        if check.domain and draft.domain != check.domain:
            # Keep what was typed, as the live check does: without JavaScript the step is shown
            # again from the draft, and the prefix must still be in its field.
            draft.domain_prefix = prefix
            draft.unmark_from("service")
            if draft.tenant_mode == "existing":
                svc.drop_tenant(draft)
        if check.status in ("exists", "refused"):
            gate.start_waiting(draft, prefix)
    svc.remember_domain_check(draft, check)
    link_problem = gate.ensure_link(draft)
    db.session.commit()
    if not is_htmx():
        # "Verify Authorization" without JavaScript comes here first, so that the prefix typed goes with it.
        verifying = request.form.get("then") == "verify" and draft.tenant_mode == "existing"
        return redirect(url_for("checkout.verify" if verifying else "checkout.service"), code=303)
    context = _service_context(draft, form, domain_check=check, link_problem=link_problem)
    html = render_template("checkout/_existing.html", **context)
    html += _parts(draft, form, "hint", "domain", "live", domain_check=check, link_problem=link_problem)
    return html, 200, {"Vary": "HX-Request"}


@bp.route("/service/link", methods=["POST"])
@allow(Permission.CHECKOUT)
@form_on("checkout.service")
def authorization_link():
    """Ask Partner Center for the authorization link again (it was not reachable before)."""
    draft = wizard.draft()
    if not CancelForm().validate_on_submit():
        abort(400)
    problem = gate.ensure_link(draft)
    db.session.commit()
    if problem:
        flash(problem, "error")
    return redirect(url_for("checkout.service"), code=303)


@bp.route("/service/gdap", methods=["POST"])
@allow(Permission.CHECKOUT)
@form_on("checkout.service")
def request_gdap():
    """Beside the authorization link, a reseller also asks its customer for least-privilege
    delegated admin (GDAP): the relationship is created now and its approval link shown. It is the
    reseller's own relationship when its partner tenant is connected for GDAP, else the distributor's."""
    draft = wizard.draft()
    if not CancelForm().validate_on_submit():
        abort(400)
    if not draft.is_reseller or draft.tenant_mode != "existing" or not draft.domain or draft.authorization_refused:
        flash("Delegated admin is requested for an existing tenant a reseller's customer authorizes.", "error")
        return redirect(url_for("checkout.service"), code=303)
    if gdap.request_for(draft.account_id, draft.domain) is None:
        consent = consent_for(draft.account)  # connected: the relationship is the reseller's own
        try:
            client = (reseller_person_client(draft.user_id, consent.connection, consent.tenant_id) if consent
                      else person_client(draft.user_id))
            gdap.create(client, account_id=draft.account_id, account_name=draft.account.name,
                        domain=draft.domain, tenant_id=draft.tenant_id, user_id=current_user.id,
                        partner_tenant_id=consent.tenant_id if consent else None)
        except (TooFast, PartnerCenterError) as error:
            db.session.rollback()
            flash(error.message if isinstance(error, TooFast) else partner_center_problem(error), "error")
            return redirect(url_for("checkout.service"), code=303)
    db.session.commit()
    return redirect(url_for("checkout.service"), code=303)


@bp.route("/service/authorization")
@allow(Permission.CHECKOUT)
def authorization_status():
    """The cheap status the page polls when pushes cannot arrive: one database read, no writes;
    286 stops the polling once the draft no longer waits for the customer."""
    draft = wizard.draft()
    if not is_htmx():
        return redirect(url_for("checkout.service"))
    waits = _waits(draft)
    return render("checkout/_gate.html", status=poll_status(not waits),
                  **_service_context(draft, ServiceForm(formdata=None), polls=waits, last_gate=not waits))


@bp.route("/service/verify", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
@wizard.step("service")
def verify(draft):
    """'Verify Authorization': a dialog (a page without JavaScript) asking for the default domain."""
    form = VerifyForm().for_buyer(draft.is_reseller)
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
                # The line beside the prefix asked for the acceptance: it has come (as the last gate says too).
                html = _parts(draft, ServiceForm(formdata=None), "live", "existing", "domain")
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
    """Server-sent events for the open checkout page (htmx SSE extension), while the draft waits for
    the customer's acceptance: then the last gate (without polling) and `done`. While it waits it
    holds no database connection (app/live.py)."""
    draft_id = wizard.draft().id
    if draft_id is None:
        return "", 204  # nothing to wait for: no checkout yet
    return live.row_events("checkout", CheckoutDraft, draft_id, event="authorization", fragment="checkout/_gate.html",
                           context=lambda draft, polls: _service_context(draft, ServiceForm(formdata=None),
                                                                         polls=polls, last_gate=not _waits(draft)),
                           finished=lambda draft: draft is None or not _waits(draft))


@bp.route("/cart", methods=["POST"])
@allow(Permission.CHECKOUT)
@form_on("catalog.cart")
def from_cart():
    """The cart's Next: the checkout buys the cart (a Buy now still held is dropped) and goes on
    at its first open step."""
    if not FlaskForm().validate_on_submit():  # the CSRF token only
        abort(400)
    user = current_user._get_current_object()
    # The quantities the cart's fields show are checked and saved first: one refused keeps the cart
    # on screen with it beside its field (the others saved), so the checkout never goes on with
    # another number than the field shows.
    typed, refused = apply_typed_quantities(user, request.form)
    if refused:
        db.session.commit()
        return cart_refused(refused, {line_id: typed[line_id] for line_id in refused})
    svc.buy_the_cart(user)
    draft = svc.open_draft(user)
    db.session.commit()
    return redirect(url_for(f"checkout.{svc.current_step(draft)}"), code=303)


@bp.route("/cancel", methods=["POST"])
@allow(Permission.CHECKOUT)
@form_on("checkout.start")
def cancel():
    draft = svc.current_draft(current_user._get_current_object())
    if CancelForm().validate_on_submit():
        if draft.id is not None and not confirmed():
            # What was chosen (the customer, the tenant and its prefix held, the agreement) is asked about first.
            return render("checkout/confirm_discard.html", draft=draft, cancel_form=CancelForm())
        if draft.id is not None:
            svc.abandon(draft, origin=request_origin())
        else:
            svc.buy_the_cart(current_user._get_current_object())  # a Buy now ends here too
        db.session.commit()
        # Said also when nothing was saved yet (the first step not sent): the press did what it says.
        flash("The purchase was discarded. Your cart is kept.", "info")  # (a Buy now is dropped with it)
    return redirect_to(url_for("home.index"))
