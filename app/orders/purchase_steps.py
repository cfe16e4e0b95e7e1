"""The purchase's provisioning steps at Microsoft, registered with the engine under their names:
create the customer (new tenants), attest the MCA, create the cart, check out, wait for
fulfillment. The last step, recording the subscriptions and agreements the purchase created,
belongs to subscriptions (app/subscriptions/steps.py), which registers it.

Each runner sends the step's stored MS-RequestId; a refusal is put in words by `explain_refusal`.
"""
from __future__ import annotations

from datetime import datetime, timezone

from app.accounts.countries import country_name
from app.accounts.country_rules import pattern_in_words
from app.accounts.models import Tenant
from app.extensions import db
from app.connections.consent import HEADLINE as MFA_HEADLINE
from app.orders.engine import Fail, NeedsAction, Wait, register_step_kind
from app.orders.models import Order, OrderStep
from app.partner_center import (CartAlreadySubmitted, CustomerUnderReview, DomainTaken,
                                McaMissing, MfaRequired, NoRelationship, PartnerAgreementNotSigned, PartnerCenterError,
                                PartnerIdUnknown, PhoneMissing, RegistrationIdInvalid, RegistrationIdMissing,
                                RegistrationIdNotAllowed, reseller_line_item)

FULFILLMENT_POLL_SECONDS = 2
# Partner Center's words for the state of one of its orders.
MS_ORDER_COMPLETED = "completed"
MS_ORDER_CANCELLED = "cancelled"


# ----------------------------------------------------------------------------------- steps

def _address(order: Order) -> dict:
    address = {k: v for k, v in (order.address or {}).items() if v not in (None, "")}
    address.setdefault("country", order.country)
    address["firstName"] = order.contact_first_name
    address["lastName"] = order.contact_last_name
    if order.phone:
        address["phoneNumber"] = order.phone
    return address


def create_customer(order: Order, step: OrderStep, client) -> dict:
    customer = client.create_customer(
        domain=order.domain, company_name=order.company_name, email=order.email, address=_address(order),
        first_name=order.contact_first_name, last_name=order.contact_last_name,
        organization_registration_number=order.registration_id,
        associated_partner_id=order.reseller_tenant_id if order.partner_id else None,
        request_id=step.ms_request_id)
    order.tenant_id = (customer.tenant_id or customer.id).lower()
    order.default_domain = order.default_domain or customer.domain or order.domain
    credentials = customer.user_credentials
    if credentials is not None and credentials.user_name:
        user = credentials.user_name
        order.admin_user_name = user if "@" in user else f"{user}@{order.domain}"
        if credentials.password:
            from app.web.secrets import encrypt

            order.admin_password_encrypted = encrypt(credentials.password)
    return {"customerId": order.tenant_id, "domain": customer.domain, "commerceId": customer.commerce_id}


def attest_mca(order: Order, step: OrderStep, client) -> dict:
    """The customer's Microsoft Customer Agreement, the way Microsoft documents it today
    (app/partner_center/agreements.py): read back what Partner Center holds first: nothing to do
    when the customer accepted the MCA itself or this contact's attestation is current; otherwise
    an enhanced attestation and the agreement with its id, which also renews an attestation older
    than Microsoft accepts.

    Where the connection's cloud has no agreements API (21Vianet, US Government: Microsoft lists it for
    the public cloud only), nothing is attempted: the acceptance the checkout recorded stands."""
    if not client.cloud.agreements_api:
        return {"skipped": f"Microsoft has no customer agreement API in {client.cloud.label}; "
                           "the acceptance recorded at checkout stands."}
    mca = order.mca or {}
    template_id = mca.get("templateId") or client.current_agreement_template().template_id
    when = mca.get("dateAgreed")
    date_agreed = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else datetime.now(timezone.utc)
    contact = {"firstName": mca.get("firstName"), "lastName": mca.get("lastName"), "email": mca.get("email")}
    if mca.get("phoneNumber"):
        contact["phoneNumber"] = mca["phoneNumber"]
    how, agreement = client.ensure_current_mca(
        order.tenant_id, contact=contact, company_name=order.company_name, country=order.country,
        template_id=template_id, date_agreed=date_agreed, request_id=step.ms_request_id)
    result = {"templateId": template_id, "how": how}
    if how in ("already", "current"):  # 600061, or found on reading back: this contact's attestation holds
        result["alreadyAttested"] = True
    attestation_id = (agreement.raw.get("attestationId") if agreement is not None else None)
    if attestation_id:
        result["attestationId"] = attestation_id
    return result


def create_cart(order: Order, step: OrderStep, client) -> dict:
    items = [reseller_line_item(line.catalog_item_id, line.quantity, billing_cycle=line.billing_plan,
                                term_duration=line.term_duration,
                                reseller_partner_id=order.partner_id if order.partner_id else None,
                                friendly_name=line.instance_name, id=i)
             for i, line in enumerate(order.lines)]
    cart = client.create_cart(order.tenant_id, items, request_id=step.ms_request_id)
    errors = [li for li in cart.line_items if li.error_code]
    if errors:
        first = errors[0]
        code = str(first.error_code)
        if code in ("800015", "800016", "2072"):
            raise _partner_id_invalid(order, first.error_description)
        descriptions = "; ".join(f"{order.lines[li.id].sku_title if li.id < len(order.lines) else 'a line'}: "
                                 f"{li.error_description}" for li in errors)
        raise Fail(f"Microsoft refused the cart: {descriptions}", code=code)
    order.ms_cart_id = cart.id
    return {"cartId": cart.id}


def checkout(order: Order, step: OrderStep, client) -> dict:
    cart_id = (order.step("create_cart").result or {}).get("cartId") or order.ms_cart_id
    try:
        result = client.checkout_cart(order.tenant_id, cart_id, request_id=step.ms_request_id)
        order_ids = [o.id for o in result.orders]
        errors = [{"code": e.code, "description": e.description} for e in result.order_errors]
    except CartAlreadySubmitted:
        # Only reachable if an earlier checkout of this cart succeeded under another request id;
        # find its orders rather than buying again.
        order_ids = _orders_of_cart(order, client)
        errors = []
        if not order_ids:
            raise Fail("Microsoft says the cart was already submitted, but its order could not be found. "
                       "Contact the distributor's support with the order number.", code="800065")
    if not order_ids:
        reason = "; ".join(e["description"] or str(e["code"]) for e in errors) or "no order was created"
        raise Fail(f"Microsoft did not accept the order: {reason}", code=str(errors[0]["code"]) if errors else None)
    order.ms_order_ids = order_ids
    return {"orderIds": order_ids, "orderErrors": errors}


def _orders_of_cart(order: Order, client) -> list[str]:
    known = set()
    for other in db.session.scalars(db.select(Order).where(Order.tenant_id == order.tenant_id, Order.id != order.id)):
        known.update(other.ms_order_ids or [])
    offers = {line.catalog_item_id for line in order.lines}
    found = []
    for ms_order in client.list_orders(order.tenant_id):
        if ms_order.id in known:
            continue
        if {li.offer_id for li in ms_order.line_items} & offers:
            found.append(ms_order.id)
    return found


def wait_fulfillment(order: Order, step: OrderStep, client) -> dict:
    statuses = {}
    for ms_order_id in order.ms_order_ids or []:
        ms_order = client.get_order(order.tenant_id, ms_order_id)
        statuses[ms_order_id] = ms_order.status
    if any(s == MS_ORDER_CANCELLED for s in statuses.values()):
        raise Fail("Microsoft cancelled the order.", code="cancelled")
    if any(s != MS_ORDER_COMPLETED for s in statuses.values()):
        step.result = {"orders": statuses}
        raise Wait(FULFILLMENT_POLL_SECONDS, "Microsoft is still fulfilling the order.")
    return {"orders": statuses}


def record_tenant(order: Order) -> None:
    """The tenant the purchase was made in belongs to the buyer (and its licensee) from now on."""
    tenant = db.session.scalar(db.select(Tenant).where(db.or_(Tenant.domain == order.domain,
                                                              Tenant.tenant_id == order.tenant_id)))
    if tenant is None:
        tenant = Tenant(domain=order.domain)
        db.session.add(tenant)
    tenant.tenant_id = order.tenant_id
    tenant.default_domain = order.default_domain or tenant.default_domain
    tenant.partner_center_instance = order.partner_center_instance
    if tenant.account_id is None:
        tenant.account_id = order.account_id
        tenant.licensee_id = order.licensee_id


# ----------------------------------------------------------------------------------- errors in words

def _partner_id_invalid(order: Order, detail: str | None = None) -> NeedsAction:
    return NeedsAction(
        "partner_id_invalid",
        f"Microsoft does not accept partner ID {order.partner_id or '(none)'} as an indirect reseller of this "
        f"distributor{': ' + detail if detail else '.'}",
        ["Check that the partner ID (MPN ID) on the Parameters tab is the reseller's own, not the distributor's.",
         "The distributor must have the reseller in its reseller network in Partner Center (an active "
         "indirect reseller relationship), with the Microsoft Partner Agreement signed for this region.",
         "When that is done, press Process to send the order again."])


_PROCESS = "Then press Process to send the order again."


def _fix_parameter(code: str, reason: str, change: str, field: str) -> NeedsAction:
    """A refusal the buyer fixes in the order's ordering parameters (``change``: what to do there)."""
    return NeedsAction(code, reason, [f"Open the Parameters tab, press Edit in Ordering parameters and {change}.",
                                      "Press Save. " + _PROCESS], blocked_field=field)


def explain_refusal(order: Order, step: OrderStep, error: PartnerCenterError) -> NeedsAction | Fail:
    """A definite Partner Center refusal of a purchase step: NeedsAction (someone can fix it) or Fail."""
    if isinstance(error, MfaRequired):
        # Every App+User call fails the same way until the operator renews the consent: wait for it.
        return NeedsAction(
            "mfa_consent_needed", f"{MFA_HEADLINE}: Microsoft refused the call because the consent the "
            "storefront uses was not signed in with multifactor authentication.",
            ["The distributor's Partner Center administrator renews the consent with MFA (Settings > Partner Center "
             "shows how).", _PROCESS])
    if isinstance(error, CustomerUnderReview):
        return NeedsAction(
            "customer_under_review",
            "Microsoft is reviewing the customer's account. Orders for this customer cannot be placed until "
            "the review is complete.",
            ["Wait for Microsoft to finish the review (usually one to three business days). The distributor can "
             "follow it in Partner Center, and may be asked for documents proving the company's identity.",
             "When Microsoft has approved the customer, press Process to send the order again."])
    if isinstance(error, McaMissing):
        return NeedsAction(
            "mca_missing", "The customer has not accepted the Microsoft Customer Agreement.",
            ["The customer's contact must accept the Microsoft Customer Agreement (the distributor records the "
             "acceptance in Partner Center).", _PROCESS])
    if isinstance(error, (PartnerIdUnknown, PartnerAgreementNotSigned)) or str(error.code) in ("800015", "800016", "2072"):
        return _partner_id_invalid(order, error.description)
    if isinstance(error, RegistrationIdMissing):
        return _fix_parameter("registration_id_missing",
                              f"Microsoft requires a company registration ID for customers in {order.country}.",
                              "enter the company registration ID", "registration_id")
    if isinstance(error, RegistrationIdInvalid):
        # Microsoft quotes a regular expression; a reseller reads it in words, or not at all.
        words = pattern_in_words(error.regex or "")
        expected = f" Microsoft expects {words}." if words else " Check it on the customer's registration documents."
        return _fix_parameter(
            "registration_id_invalid",
            f"The company registration ID {order.registration_id or ''} is not valid for customers in "
            f"{country_name(order.country)}.{expected}",
            "correct the registration ID", "registration_id")
    if isinstance(error, RegistrationIdNotAllowed):
        return _fix_parameter("registration_id_not_allowed",
                              f"Customers in {order.country} must not have a company registration ID.",
                              "clear the registration ID", "registration_id")
    if isinstance(error, PhoneMissing):
        return _fix_parameter("phone_missing", f"Microsoft requires a phone number for customers in {order.country}.",
                              "enter the phone number", "phone")
    if isinstance(error, DomainTaken):
        return _fix_parameter(
            "domain_taken", f"The domain name {order.domain} is already taken at Microsoft: the domain name must be updated.",
            "enter another domain name (a prefix of up to 27 letters and digits, followed by .onmicrosoft.com)",
            "domain")
    if isinstance(error, NoRelationship):
        return NeedsAction(
            "relationship_missing",
            f"The customer's tenant {order.domain} has not accepted the relationship request, so Microsoft does "
            "not let us order for it.",
            ["The relationship request must be accepted: the customer's global administrator opens the "
             "relationship request link and accepts it in the Microsoft 365 admin center.", _PROCESS])
    if step.name == "create_customer" and str(error.code) == "800016":
        return _partner_id_invalid(order, error.description)
    return Fail(f"Microsoft refused the order: {error.description or error}", code=str(error.code) if error.code else None)


for _name, _run in (("create_customer", create_customer), ("attest_mca", attest_mca), ("create_cart", create_cart),
                    ("checkout", checkout), ("wait_fulfillment", wait_fulfillment)):
    register_step_kind(_name, _run, explain_refusal)
