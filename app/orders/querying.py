"""What people do with a querying order: correct its ordering parameters, and "Process" it (back
to processing, its job enqueued again), after the authorization gate when its tenant was changed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from app.accounts.country_rules import clean_registration_id
from app.accounts.models import User
from app.accounts.services import operator_account
from app.audit import services as audit
from app.audit.services import Origin
from app.connections.person import TooFast, partner_center_problem, person_client
from app.connections.services import get_client
from app.extensions import db
from app.orders import tenancy
from app.orders.engine import enqueue_provisioning
from app.orders.models import Order, OrderStatus, StepStatus
from app.orders.placing import DomainInUse, NotAuthorized, domain_in_use, normalize_domain
from app.orders.transitions import publish_progress
from app.partner_center import PartnerCenterError, new_request_id
from app.settings.licensees import rule_problems

log = logging.getLogger(__name__)


class NotAllowed(Exception):
    pass


def _buyer(order: Order) -> tenancy.Buyer:
    return tenancy.Buyer(account_id=order.account_id, licensee_id=order.licensee_id,
                         is_reseller=order.account.kind == "reseller", reseller_tenant_id=order.reseller_tenant_id)


def _relationship_link(order: Order) -> str | None:
    """The link the new tenant's global administrator must accept (None when Partner Center is
    not reachable now: the Process answer then says what to do)."""
    buyer = _buyer(order)
    try:
        client = get_client(order.partner_center_instance).for_person()
        if buyer.is_reseller:
            return client.get_relationship_request(indirect_reseller_id=order.reseller_tenant_id).url
        return client.get_relationship_request().url
    except PartnerCenterError:
        log.warning("no relationship link for order %s", order.number, exc_info=True)
        return None


def authorize_tenant(order: Order) -> None:
    """Send an order whose tenant was changed back through the authorization gate, at once.

    Partner Center must show the relationship this buyer asked for (app.orders.tenancy.decide) on
    the tenant of the order's domain; the tenant id is then Partner Center's, not what was typed.
    Raises NotAuthorized with what to do, or a PartnerCenterError.
    """
    client = get_client(order.partner_center_instance).for_person()
    facts = tenancy.read_facts(client, order.domain)
    if facts.visible and order.tenant_id and order.tenant_id != facts.customer_id:
        raise NotAuthorized(f"Tenant ID {order.tenant_id} is not the tenant of {order.domain}. Correct it on the "
                            "Parameters tab (or leave it empty), then press Process.")
    operator = operator_account()
    decision = tenancy.decide(_buyer(order), order.domain, facts, exclude_order_id=order.id,
                              exclude_draft_id=order.draft_id,
                              operator_name=operator.name if operator else "your distributor")
    if decision.status == tenancy.Verdict.REFUSED:
        raise NotAuthorized(decision.reason)
    if decision.status == tenancy.Verdict.WAITING:
        who = f"{order.account.name} as its reseller" if _buyer(order).is_reseller else "the relationship"
        raise NotAuthorized(f"{order.domain} has not accepted {who} yet. Send the customer's global administrator "
                            "the authorization link shown on this order; once they accept, press Process again.")
    order.tenant_id = facts.customer_id
    order.needs_authorization = False


def process(order: Order, *, actor: User, origin: Origin) -> None:
    """'Process': a querying order goes back to processing and its job is enqueued again.

    An order whose tenant was changed by the buyer goes through the authorization gate first
    (raises NotAuthorized or a PartnerCenterError, and stays querying). Commits before enqueuing,
    like placing: the job reads the order from the database."""
    if order.status != OrderStatus.QUERYING:
        raise NotAllowed(f"Only an order that is querying can be processed; this one is {order.status_label.lower()}.")
    reason = domain_in_use(order.account_id, order.licensee_id, order.domain, order.tenant_id,
                           exclude_order_id=order.id, exclude_draft_id=order.draft_id)
    if reason:
        raise DomainInUse(reason)
    if order.needs_authorization:
        authorize_tenant(order)
    for step in order.steps:
        if step.status == StepStatus.BLOCKED:
            step.status = StepStatus.PENDING
            step.error = None
    previous = order.reason
    order.status = OrderStatus.PROCESSING
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_processed", actor=actor, account=order.account, subject=order.number, origin=origin,
                 details={"was_blocked_by": previous})
    db.session.commit()  # before the enqueue: the job reads the order from the database
    enqueue_provisioning(order)
    publish_progress(order)


@dataclass
class ParameterChanges:
    domain: str | None
    tenant_id: str | None
    registration_id: str | None
    phone: str | None


def parameter_problems(order: Order, changes: ParameterChanges, *, actor: User) -> tuple[dict[str, str], str | None]:
    """The registration ID and phone typed on the Parameters tab, checked with the country's rules from
    Partner Center as the checkout's company step checks them (app/settings/licensees.py rule_problems):
    problems by field, and why the rules could not be read. A valid registration ID is kept as Microsoft
    takes it (changes.registration_id cleaned)."""
    registration_id = (changes.registration_id or "").strip()
    phone = (changes.phone or "").strip()
    if not (registration_id or phone) or not order.country:
        return {}, None
    try:
        rules = person_client(actor.id, account=order.account).get_country_rules(order.country)
    except (PartnerCenterError, TooFast) as error:
        return {}, partner_center_problem(error)
    problems = rule_problems(order.country, rules, registration_id=registration_id, phone=phone, address=None)
    if registration_id and "registration_id" not in problems:
        changes.registration_id = clean_registration_id(order.country, rules, registration_id)
    return problems, None


def update_ordering_parameters(order: Order, changes: ParameterChanges, *, actor: User, origin: Origin) -> dict:
    """Save edited ordering parameters of a querying order; returns what changed.

    Raises NotAllowed when the order is not querying and DomainInUse when the new domain or
    tenant belongs to someone else (another account, another customer, another checkout). A
    changed domain or tenant resets the steps that used them; when the buyer moves an order to
    another existing tenant, that tenant must pass the authorization gate before Process goes on
    (the operator may correct parameters without it; every change is audited with who made it).
    Flushes: the view commits, then tells open pages (publish_progress).
    """
    if order.status != OrderStatus.QUERYING:
        raise NotAllowed("Ordering parameters can be changed only while the order is querying.")
    domain = normalize_domain(changes.domain) if changes.domain else order.domain
    tenant_id = (changes.tenant_id or "").strip().lower() or None
    reason = domain_in_use(order.account_id, order.licensee_id, domain, tenant_id, exclude_order_id=order.id,
                           exclude_draft_id=order.draft_id)
    if reason:
        raise DomainInUse(reason)
    new = {"domain": domain, "tenant_id": tenant_id,
           "registration_id": (changes.registration_id or "").strip() or None,
           "phone": (changes.phone or "").strip() or None}
    changed = {k: {"from": getattr(order, k), "to": v} for k, v in new.items() if getattr(order, k) != v}
    for key, value in new.items():
        setattr(order, key, value)
    by_operator = actor.account.kind == "operator"
    if changed:
        customer_step = order.step("create_customer")
        if customer_step is not None and customer_step.status != StepStatus.DONE and order.tenant_mode == "new":
            customer_step.status = StepStatus.PENDING
            customer_step.ms_request_id = new_request_id()  # different input: a new request
        if order.tenant_mode == "existing" and ("domain" in changed or "tenant_id" in changed) and not by_operator:
            order.needs_authorization = True
            order.authorization_link = _relationship_link(order)
        audit.record("order_parameters_changed", actor=actor, account=order.account, subject=order.number,
                     origin=origin, details={**changed, "by_operator": by_operator})
    db.session.flush()
    return changed
