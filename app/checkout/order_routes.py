"""The wizard's last steps: company details, the Microsoft Customer Agreement, review and placing
the order, and the confirmation."""
from __future__ import annotations

import hashlib

from flask import abort, flash, request, url_for
from flask_login import current_user
from app.web.forms import FlaskForm

from app.catalog.terms import licences
from app.checkout import account_checks
from app.checkout import agreement as mca
from app.checkout import bp, certificates, gate, wizard
from app.checkout import services as svc
from app.checkout import company as company_rules
from app.checkout.forms import AgreementForm, CompanyForm, DirectCustomerForm, ReviewForm, instance_fields, review_form
from app.catalog.models import CartPurpose
from app.checkout.models import CheckoutDraft
from app.settings.licensees import STATE_LABEL, state_label
from app.extensions import db
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.origin import request_origin
from app.web.rendering import is_htmx, redirect_to, render


# ------------------------------------------------------------------------------------- company

def _settings():
    from app.admin import settings_cache

    return settings_cache.current()  # read once per request, however often the steps ask


def _company_context(draft, form, problems=None):
    billing = _settings().sub_customers_billing_address
    if not company_rules.registration_required(draft):
        form.registration_id.label.text = "Company registration ID (optional)"
        form.phone.label.text = "Phone (optional)"
    # The state's label follows the customer's country's rules, kept since the service step asked them.
    form.state.label.text = state_label(draft.customer_country) or STATE_LABEL
    # Offered where it is used; one refused anyway (sent by an older page) stays, with its message.
    registration_shown = company_rules.registration_offered(draft) or bool(form.registration_id.errors)
    return dict(form=form, problems=problems, registration_required=company_rules.registration_required(draft),
                registration_shown=registration_shown,
                address_required=company_rules.address_required(draft, billing),
                address_validated=company_rules.address_validated(draft, billing), **wizard.step_context(draft, "company"))


@bp.route("/company", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
@wizard.step("company")
def company(draft):
    form = CompanyForm(data=company_rules.company_defaults(draft)) if request.method == "GET" else CompanyForm()
    if request.method == "GET":
        return render("checkout/company.html", "checkout/_company_form.html", **_company_context(draft, form))
    if not form.validate():
        return render("checkout/company.html", "checkout/_company_form.html", status=422,
                      **_company_context(draft, form))
    details = company_rules.CompanyDetails(form.registration_id.data, form.phone.data,
                                 {k: getattr(form, k).data or "" for k in company_rules.ADDRESS_FIELDS})
    problems = company_rules.check_company(draft, details, billing_option=_settings().sub_customers_billing_address,
                                 accept_suggestion=form.suggestion.data == "accept")
    if form.suggestion.data == "refuse" and problems.suggestion and not problems.fields:
        problems.suggestion = None  # the buyer keeps the address as typed
    for name, message in problems.fields.items():
        getattr(form, "phone" if name == "phone" else name).errors = [message]
    if problems.fields or problems.problem or problems.suggestion:
        db.session.commit()
        if problems.suggestion is None and form.suggestion.data == "accept":
            form.address_line1.data = draft.address_line1
        # The step is no longer complete: with htmx the stepper, outside the form, is replaced too.
        return render("checkout/company.html", "checkout/_company_form.html", status=422, stepper_oob=is_htmx(),
                      **_company_context(draft, form, problems))
    company_rules.complete_company_step(draft)
    db.session.commit()
    if _settings().require_mca_acceptance:
        mca.agreement_template(current_user.id, fetch=True)  # for the next page, which never calls Microsoft
    return redirect_to(url_for("checkout.agreement"))


# ----------------------------------------------------------------------------------- agreement

def _agreement_label(draft) -> str:
    if draft.is_reseller:
        return f"My customer, {draft.customer_name}, has accepted the Microsoft Customer Agreement"
    return "I have read and accept the Microsoft Customer Agreement"


@bp.route("/agreement", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
@wizard.step("agreement")
def agreement(draft):
    context = wizard.step_context(draft, "agreement")
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
    template, problem = mca.agreement_template(current_user.id, fetch=request.method == "POST")
    form = AgreementForm()
    form.accepted.label.text = _agreement_label(draft)
    if request.method == "GET":
        previous = draft.mca_acceptance
        # A signatory recorded for another customer of this checkout (the customer changed since) is not this one's.
        if previous is not None and previous.licensee_id == draft.licensee_id:
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
            mca.record_mca(draft, mca.Signatory(form.first_name.data, form.last_name.data, form.email.data,
                                                form.phone.data),
                           template_id=template.template_id, agreement_link=template.agreement_link,
                           actor=current_user._get_current_object(), origin=request_origin())
            db.session.commit()
            return redirect_to(url_for("checkout.review"))
        status = 422
    return render("checkout/agreement.html", "checkout/_agreement_form.html", required=True, form=form,
                  template=template, problem=problem, status=status, **context)


# -------------------------------------------------------------------------------------- review

def _order_request(draft, cart, add_to_agreement_id=None, instance_names=None, leave_out=()):
    """The purchase of the cart's lines, but those in `leave_out` (line ids: added to existing subscriptions)."""
    from app.catalog.pricing import sku_offer, viewer_for
    from app.orders.placing import OrderRequest, RequestLine

    viewer = viewer_for(current_user)
    lines = []
    for lv in cart.lines:
        if lv.line.id in leave_out:
            continue
        sku = lv.line.sku
        offer = sku_offer(sku, viewer.market)
        lines.append(RequestLine(
            product_id=sku.product.product_id, sku_id=sku.sku_id, catalog_item_id=offer.catalog_item_id,
            product_title=sku.product.title, sku_title=sku.title, family=sku.product.family,
            term_duration=lv.line.term_duration, billing_plan=lv.line.billing_plan, quantity=lv.line.quantity,
            unit_price=lv.price, currency=lv.currency, instance_name=(instance_names or {}).get(lv.line.id)))
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
        certificate_id=draft.certificate_id if draft.is_reseller else None,
        mca=None if acceptance is None else {
            "firstName": acceptance.first_name, "lastName": acceptance.last_name, "email": acceptance.email,
            "phoneNumber": acceptance.phone, "templateId": acceptance.template_id,
            "dateAgreed": acceptance.accepted_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        lines=lines, add_to_agreement_id=add_to_agreement_id, recheck=lambda: gate.still_authorized(draft))


def _cart():
    from app.catalog.cart import cart_view
    from app.catalog.pricing import viewer_for

    return cart_view(current_user, viewer_for(current_user), svc.buying(current_user))


def _instance_lines(cart) -> list:
    """The cart lines that buy a new Dynamics 365 instance, named on this step (the storefront option
    "Create a new Dynamics subscription for every order"; app/subscriptions/instances.py)."""
    from app.subscriptions.instances import instances_on, names_instance

    if not instances_on():
        return []
    return [lv for lv in cart.lines if names_instance(lv.line.sku.product.title)]


def _existing_instances(draft, cart) -> dict:
    """Cart line id -> the customer's Dynamics 365 subscription the line adds licences to (the option
    "Create a new Dynamics subscription for every order" off: app/subscriptions/instances.py)."""
    from app.subscriptions.instances import existing_instance

    found = {}
    for lv in cart.lines:
        sku = lv.line.sku
        sub = existing_instance(account_id=draft.account_id, tenant_id=draft.tenant_id,
                                product_title=sku.product.title, product_id=sku.product.product_id, sku_id=sku.sku_id,
                                term_duration=lv.line.term_duration, billing_plan=lv.line.billing_plan)
        if sub is not None:
            found[lv.line.id] = sub
    return found


def _cannot_add(cart, existing: dict) -> str | None:
    """Why licences cannot be added to one of those subscriptions now (asked before anything is placed)."""
    from app.subscriptions import commands

    for lv in cart.lines:
        sub = existing.get(lv.line.id)
        if sub is None:
            continue
        try:
            commands.parse_quantity(sub, str(sub.quantity + lv.line.quantity))
            commands.check_changeable(sub, sub.etag, None)
        except commands.Refused as refused:
            return f"{licences(lv.line.quantity)} cannot be added to {sub.name} now: {refused.message}"
    return None


def _add_to_existing(draft, cart, existing: dict) -> list:
    """(subscription, change order) for each line whose licences are added to its existing subscription: the orders that add the lines' licences to their existing subscriptions (one per line; the
    request key makes a resubmitted form return the same order)."""
    from app.subscriptions import commands

    changes = []
    for lv in cart.lines:
        sub = existing.get(lv.line.id)
        if sub is not None:
            changes.append((sub, commands.change_quantity(
                sub, str(sub.quantity + lv.line.quantity), etag=sub.etag, actor=current_user._get_current_object(),
                origin=request_origin(), request_key=f"checkout-{draft.id}-line-{lv.line.id}")))
    return changes


def _keep_instance_names(draft, instances) -> bool:
    """The Instance name fields posted (as typed) onto the draft; False when there were none."""
    posted = {str(lv.line.id): field.data or "" for lv, field in instances if field.name in request.form}
    if not posted:
        return False
    draft.instance_names = {**(draft.instance_names or {}), **posted}
    return True


@bp.route("/review/instance-names", methods=["POST"])
@allow(Permission.CHECKOUT)
@form_on("checkout.review")
def keep_instance_names():
    """An Instance name field left (htmx, on change): kept on the draft, so leaving the step or a reload
    loses nothing typed. Nothing to swap: the field stays as the user left it."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    draft = wizard.draft()
    if draft.id is None:
        abort(404)  # no checkout open
    instance_lines = _instance_lines(_cart())
    if _keep_instance_names(draft, instance_fields(review_form(instance_lines), instance_lines)):
        db.session.commit()
    return "", 204


@bp.route("/review", methods=["GET", "POST"])
@allow(Permission.CHECKOUT)
def review():
    from app.orders.placing import DomainInUse, NotAuthorized, check_order_rules, place_order
    from app.subscriptions.agreements import AgreementExists

    form = ReviewForm()
    if form.is_submitted():
        # A second submit of a placed checkout (double click, resubmitted form) shows the first order.
        placed = _placed_draft(form.draft_id.data)
        if placed is not None:
            return redirect_to(url_for("checkout.placed", number=placed.order_number))
    empty = wizard.nothing_to_buy()
    if empty:
        return empty
    draft = wizard.draft()
    blocked = wizard.guard(draft, "review") or wizard.customer_changed(draft, "review")
    if blocked:
        return blocked
    cart = _cart()
    instance_lines = _instance_lines(cart)
    form = review_form(instance_lines)
    instances = instance_fields(form, instance_lines)
    if form.is_submitted():
        # What was typed stays, whatever the answer: kept before anything else is checked.
        if _keep_instance_names(draft, instances):
            db.session.commit()
    else:
        kept = draft.instance_names or {}
        for lv, field in instances:
            field.data = kept.get(str(lv.line.id), field.data)
    rule_problem, existing_agreement, account_problem = None, None, None
    add_to = int(form.add_to_agreement.data) if (form.add_to_agreement.data or "").isdigit() else None
    existing = _existing_instances(draft, cart) if cart.ready else {}
    purchases = [lv for lv in cart.lines if lv.line.id not in existing]
    if cart.ready and purchases:
        try:
            check_order_rules(_order_request(draft, cart, add_to, leave_out=existing))
        except (DomainInUse, NotAuthorized) as error:
            rule_problem = str(error)
        except AgreementExists as exists:
            existing_agreement = exists.agreement
    status = 200
    cart_changed = None
    if form.is_submitted():
        form.draft_id.data = str(draft.id)
        shown = request.form.get("shown")
        if not cart.ready:
            form.terms.errors = [*form.terms.errors]
            status = 422
        elif shown is not None and shown != _shown(cart):
            cart_changed = CART_CHANGED  # the page shown again has the cart as it is now
        elif form.validate() and not rule_problem and existing_agreement is None:
            # Asked before the order is recorded: Microsoft would refuse it later, leaving a querying order.
            account_problem = account_checks.check_before_placing(draft, current_user.id)
            rule_problem = _cannot_add(cart, existing) if account_problem is None else None
            if account_problem is None and rule_problem is None:
                try:
                    names = {lv.line.id: field.data for lv, field in instances}
                    order = place_order(_order_request(draft, cart, add_to, names, leave_out=existing),
                                        actor=current_user._get_current_object(),
                                        origin=request_origin()) if purchases else None
                except (DomainInUse, NotAuthorized) as error:
                    rule_problem = str(error)
                except AgreementExists as exists:
                    existing_agreement = exists.agreement
                else:
                    if order is not None and not order.placed_by_this_request:
                        # A concurrent submit of this checkout (a double click without JavaScript sends both)
                        # placed it: that request empties the cart and finishes the checkout; this one shows
                        # the order, touching nothing the other may already have changed.
                        db.session.rollback()
                        return redirect_to(url_for("checkout.placed", number=order.number))
                    changes = _add_to_existing(draft, cart, existing)
                    for sub, change in changes:
                        flash(f"{licences(change.lines[0].change['delta'])} {'is' if change.lines[0].change['delta'] == 1 else 'are'} being added to {sub.name} "
                              f"(order {change.number}).", "success")
                    placed = order or changes[0][1]
                    svc.finish_placed(draft, placed)
                    db.session.commit()
                    return redirect_to(url_for("checkout.placed", number=placed.number))
        status = 422
        if existing_agreement is None and add_to is not None and cart.ready and purchases:
            existing_agreement = _agreement_offered(draft, cart, add_to, existing)
    form.draft_id.data = str(draft.id)
    return render("checkout/step.html", "checkout/_review_form.html", form=form, cart=cart, status=status,
                  instances=instances, existing=existing,
                  rule_problem=rule_problem, existing_agreement=existing_agreement, account_problem=account_problem,
                  cart_changed=cart_changed, shown=_shown(cart),
                  acceptance=draft.mca_acceptance, mca_required=_settings().require_mca_acceptance,
                  terms_text=_settings().terms_text, terms_url=_settings().terms_url,
                  buying_now=svc.buying(current_user) == CartPurpose.BUY_NOW,
                  certificate=certificates.chosen(draft) if draft.is_reseller else None,
                  registration_asked=company_rules.registration_offered(draft) or bool(draft.registration_id),
                  **wizard.step_context(draft, "review"))


def _agreement_offered(draft, cart, add_to: int, existing: dict):
    """The agreement a page sent back with the choice to add to it offered (its notice and "Add to
    existing agreement"), so that the page shown again (Buy refused for another reason) offers it as
    it was first shown; None when the order without that choice would not meet it."""
    from app.orders.placing import PlacementRefused, check_order_rules
    from app.subscriptions.agreements import AgreementExists

    try:
        check_order_rules(_order_request(draft, cart, None, leave_out=existing))
    except AgreementExists as exists:
        return exists.agreement if exists.agreement.id == add_to else None
    except PlacementRefused:
        return None
    return None


CART_CHANGED = ("Your cart changed since this page was shown (in another tab or window). Check the products "
                "above, then press Buy again.")


def _shown(cart) -> str:
    """What the products table of the Review shows (each line's product, term, billing plan, seats and
    price), in a short word the page sends back with Buy: a page that showed other products, seats or
    prices than the cart now holds (changed in another tab meanwhile) does not place the order."""
    shown = ";".join(f"{lv.line.id}:{lv.line.sku_pk}:{lv.line.term_duration}:{lv.line.billing_plan}:"
                     f"{lv.line.quantity}:{lv.price}:{lv.currency}" for lv in cart.lines)
    return hashlib.sha256(shown.encode()).hexdigest()[:20]


def _placed_draft(draft_id: str | None):
    if not (draft_id or "").isdigit():
        return None
    draft = db.session.get(CheckoutDraft, int(draft_id))
    if draft is None or draft.user_id != current_user.id or draft.status != "placed" or not draft.order_number:
        return None
    return draft


@bp.route("/placed/<number>")
@allow(Permission.CHECKOUT)
def placed(number: str):
    from app.orders.models import Order

    order = db.session.scalar(db.select(Order).where(Order.number == number))
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.order_number == number,
                                                             CheckoutDraft.user_id == current_user.id))
    if draft is None and order is not None and order.draft_id is not None:
        # Placed, and the request that placed it is still finishing the checkout (the other request of a
        # double click is sent here at once): the order names its checkout.
        draft = db.session.get(CheckoutDraft, order.draft_id)
    if draft is None or draft.user_id != current_user.id:
        abort(404)
    return render("checkout/placed.html", draft=draft, number=number, order=order)
