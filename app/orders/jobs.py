"""Provisioning an order at Microsoft: one RQ job made of idempotent steps, and the sweep that
re-enqueues orders whose job was lost.

Every step stores its outcome on its OrderStep row. The step's MS-RequestId exists before the call
(it is written when the order is placed, or when a definite answer made a new request necessary),
and every attempt of the step sends it: after a crash, a timeout or a retry, Partner Center
recognises the repeated request and answers it once (customer creation, cart creation and checkout
are idempotent under the request id), so no second tenant, cart or order is ever created.

The job never sleeps. While Microsoft is still fulfilling the order, or after a 429, it asks RQ to
run the same job (same id) again later through RQ's Repeat mechanism; the worker's scheduler does
the waiting. A 5xx or a timeout, after the client's own retries, fails the job: RQ retries it, and
when retries run out the periodic sweep enqueues it again, since the order is still `processing`.

Nothing waits forever: past FULFILLMENT_DEADLINE (Microsoft has not fulfilled the order) or
ORDER_DEADLINE (still processing: Partner Center keeps failing, or the job keeps disappearing) the
job or the sweep fails the order with the reason, notifies the operator's admins, and the
stuck-work page (admin) offers Retry, which resumes from the stored steps with the same request ids.
"""
from __future__ import annotations

import logging
import math
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.accounts.models import Account, Tenant, User, utcnow
from app.connections.services import get_client
from app.extensions import db, get_redis
from app.jobs.periodic import periodic
from app.orders import services as svc
from app.accounts.notifications import link_to, notify_operator_admins
from app.orders.models import Agreement, Order, OrderStep, Subscription
from app.partner_center import (AgreementAlreadyExists, CartAlreadySubmitted, CustomerUnderReview, DomainTaken,
                                McaMissing, NoRelationship, PartnerAgreementNotSigned, PartnerCenterError,
                                PartnerCenterUnavailable, PartnerIdUnknown, PhoneMissing, RegistrationIdInvalid,
                                RegistrationIdMissing, RegistrationIdNotAllowed, Throttled, new_request_id,
                                reseller_line_item)

log = logging.getLogger(__name__)

FULFILLMENT_POLL_SECONDS = 2


class _Wait(Exception):
    """Run the job again in `seconds` (fulfillment pending, throttled)."""

    def __init__(self, seconds: float, note: str):
        self.seconds = seconds
        self.note = note


class _NeedsAction(Exception):
    def __init__(self, code: str, reason: str, steps: list[str], blocked_field: str | None = None):
        self.code, self.reason, self.steps, self.blocked_field = code, reason, steps, blocked_field
        super().__init__(reason)


class _Fail(Exception):
    def __init__(self, reason: str, code: str | None = None):
        self.reason, self.code = reason, code
        super().__init__(reason)


# ----------------------------------------------------------------------------------- the job

def provision_order(order_id: int) -> str:
    """Run (or resume) the provisioning of one order; returns the order's status afterwards
    ("waiting" when it asked to be run again later)."""
    db.session.expire_all()  # read what other processes committed, never a cached copy
    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    if order.status != "processing":
        return order.status
    missed = missed_deadline(order)
    if missed is not None:  # an RQ retry or a rescheduled wait that came too late
        fail_for_deadline(order, *missed)
        db.session.commit()
        svc.publish_progress(order)
        return "failed"
    client = get_client(order.partner_center_instance)
    step: OrderStep | None = None
    try:
        for step in order.steps:
            if step.status in ("done", "skipped"):
                continue
            _begin(order, step)
            result = _runner(step)(order, step, client)
            _finish(order, step, result)
        if order.type == "purchase":
            subscriptions = len((order.step("record_subscriptions").result or {}).get("subscriptions", []))
            svc.set_completed(order, subscriptions)
        else:
            from app.subscriptions.jobs import completion_summary

            svc.set_completed(order, 0, summary=completion_summary(order))
        db.session.commit()
        svc.publish_progress(order)
        return "completed"
    except _Wait as wait:
        step.status = "pending"
        step.error = wait.note
        db.session.commit()
        svc.publish_progress(order)
        _run_again_in(order, wait.seconds)
        return "waiting"
    except Throttled as error:
        step.status = "pending"
        step.error = "Partner Center asked us to slow down; trying again shortly."
        db.session.commit()
        svc.publish_progress(order)
        _run_again_in(order, error.retry_after or 30)
        return "waiting"
    except _NeedsAction as action:
        _rotate(step, "blocked", action.reason)
        svc.set_querying(order, code=action.code, reason=action.reason, steps=action.steps,
                         blocked_field=action.blocked_field)
        db.session.commit()
        svc.publish_progress(order)
        return "querying"
    except _Fail as failure:
        _rotate(step, "failed", failure.reason)
        svc.set_failed(order, failure.reason, code=failure.code)
        db.session.commit()
        svc.publish_progress(order)
        return "failed"
    except PartnerCenterUnavailable as error:
        # No definite answer: keep the request id, leave the order processing, let RQ retry.
        step.status = "pending"
        step.error = "Partner Center did not answer in time; the step will be tried again with the same request."
        db.session.commit()
        svc.publish_progress(order)
        log.warning("order %s step %s: %s", order.number, step.name, error)
        raise
    except PartnerCenterError as error:
        action = _classify(order, step, error)
        if isinstance(action, _NeedsAction):
            _rotate(step, "blocked", action.reason, error)
            svc.set_querying(order, code=action.code, reason=action.reason, steps=action.steps,
                             blocked_field=action.blocked_field)
            status = "querying"
        else:
            _rotate(step, "failed", action.reason, error)
            svc.set_failed(order, action.reason, code=action.code)
            status = "failed"
        db.session.commit()
        svc.publish_progress(order)
        return status


def _runner(step: OrderStep):
    """Purchases run the named steps below; orders on existing subscriptions (change,
    configuration, termination) have one `change_<n>` step per line, run by app.subscriptions."""
    if step.name.startswith("change_"):
        from app.subscriptions.jobs import apply_change

        return apply_change
    return RUNNERS[step.name]


def _begin(order: Order, step: OrderStep) -> None:
    if not step.ms_request_id:
        step.ms_request_id = new_request_id()
    step.status = "running"
    step.attempts += 1
    step.started_at = step.started_at or utcnow()
    step.error = None
    db.session.commit()  # the request id is durable before the call goes out
    svc.publish_progress(order)


def _finish(order: Order, step: OrderStep, result: dict | None) -> None:
    step.status = "done"
    step.result = {**(result or {}), "requestId": step.ms_request_id}
    step.finished_at = utcnow()
    step.error = None
    db.session.commit()
    svc.publish_progress(order)


def _rotate(step: OrderStep, status: str, message: str, error: PartnerCenterError | None = None) -> None:
    """A definite answer: record it, and draw a new request id for the next attempt (the old one
    would replay the same answer)."""
    step.status = status
    step.error = message
    step.result = {**(step.result or {}), "lastRequestId": step.ms_request_id,
                   **({"code": error.code, "description": error.description} if error else {})}
    step.ms_request_id = new_request_id()


def _run_again_in(order: Order, seconds: float) -> None:
    """Ask RQ to run this very job (same id) again after `seconds`. Outside a worker (a direct
    call) nothing is scheduled: the caller, or the sweep, runs it again."""
    from rq import get_current_job

    job = get_current_job()
    if job is None or job.id != svc.job_id_for(order.id):
        return
    job.repeats_left = 1
    job.repeat_intervals = [max(1, int(math.ceil(seconds)))]


# ----------------------------------------------------------------------------------- steps

def _address(order: Order) -> dict:
    address = {k: v for k, v in (order.address or {}).items() if v not in (None, "")}
    address.setdefault("country", order.country)
    address["firstName"] = order.contact_first_name
    address["lastName"] = order.contact_last_name
    if order.phone:
        address["phoneNumber"] = order.phone
    return address


def _create_customer(order: Order, step: OrderStep, client) -> dict:
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


def _attest_mca(order: Order, step: OrderStep, client) -> dict:
    mca = order.mca or {}
    template_id = mca.get("templateId") or client.current_agreement_template().template_id
    when = mca.get("dateAgreed")
    date_agreed = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else datetime.now(timezone.utc)
    contact = {"firstName": mca.get("firstName"), "lastName": mca.get("lastName"), "email": mca.get("email")}
    if mca.get("phoneNumber"):
        contact["phoneNumber"] = mca["phoneNumber"]
    try:
        client.attest_agreement(order.tenant_id, contact=contact, template_id=template_id, date_agreed=date_agreed,
                                request_id=step.ms_request_id)
    except AgreementAlreadyExists:  # 600061: already attested with this contact; that is done
        return {"templateId": template_id, "alreadyAttested": True}
    return {"templateId": template_id}


def _create_cart(order: Order, step: OrderStep, client) -> dict:
    items = [reseller_line_item(line.catalog_item_id, line.quantity, billing_cycle=line.billing_plan,
                                term_duration=line.term_duration,
                                reseller_partner_id=order.partner_id if order.partner_id else None, id=i)
             for i, line in enumerate(order.lines)]
    cart = client.create_cart(order.tenant_id, items, request_id=step.ms_request_id)
    errors = [li for li in cart.line_items if li.error_code]
    if errors:
        first = errors[0]
        code = str(first.error_code)
        if code in ("800015", "800016", "2072"):
            raise _NeedsAction("partner_id_invalid", _partner_id_reason(order, first.error_description),
                               _partner_id_steps(order))
        descriptions = "; ".join(f"{order.lines[li.id].sku_title if li.id < len(order.lines) else 'a line'}: "
                                 f"{li.error_description}" for li in errors)
        raise _Fail(f"Microsoft refused the cart: {descriptions}", code=code)
    order.ms_cart_id = cart.id
    return {"cartId": cart.id}


def _checkout(order: Order, step: OrderStep, client) -> dict:
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
            raise _Fail("Microsoft says the cart was already submitted, but its order could not be found. "
                        "Contact the distributor's support with the order number.", code="800065")
    if not order_ids:
        reason = "; ".join(e["description"] or str(e["code"]) for e in errors) or "no order was created"
        raise _Fail(f"Microsoft did not accept the order: {reason}", code=str(errors[0]["code"]) if errors else None)
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


def _wait_fulfillment(order: Order, step: OrderStep, client) -> dict:
    statuses = {}
    for ms_order_id in order.ms_order_ids or []:
        ms_order = client.get_order(order.tenant_id, ms_order_id)
        statuses[ms_order_id] = ms_order.status
    if any(s == "cancelled" for s in statuses.values()):
        raise _Fail("Microsoft cancelled the order.", code="cancelled")
    if any(s != "completed" for s in statuses.values()):
        step.result = {"orders": statuses}
        raise _Wait(FULFILLMENT_POLL_SECONDS, "Microsoft is still fulfilling the order.")
    return {"orders": statuses}


def _record_subscriptions(order: Order, step: OrderStep, client) -> dict:
    lines_by_offer = {f"{line.product_id}:{line.sku_id}".lower(): line for line in order.lines}
    recorded = []
    agreements: dict[str, Agreement] = {}
    for ms_order_id in order.ms_order_ids or []:
        for sub in client.list_subscriptions(order.tenant_id, order_id=ms_order_id):
            offer = (sub.offer_id or "").lower()
            line = lines_by_offer.get(":".join(offer.split(":")[:2]))
            family = line.family if line else "Other"
            agreement = agreements.get(family) or _agreement_for(order, family)
            agreements[family] = agreement
            row = db.session.scalar(db.select(Subscription).where(Subscription.ms_subscription_id == sub.id))
            if row is None:
                row = Subscription(ms_subscription_id=sub.id, account_id=order.account_id)
                db.session.add(row)
            row.order_id, row.agreement, row.tenant_id, row.ms_order_id = order.id, agreement, order.tenant_id, ms_order_id
            row.offer_id = sub.offer_id or ""
            row.product_title = line.product_title if line else (sub.offer_name or "")
            row.sku_title = line.sku_title if line else (sub.offer_name or "")
            row.friendly_name = sub.friendly_name or row.sku_title
            row.quantity = sub.quantity
            row.term_duration = sub.term_duration or (line.term_duration if line else None)
            row.billing_plan = sub.billing_cycle or (line.billing_plan if line else None)
            row.status = sub.status or "active"
            row.auto_renew = bool(sub.auto_renew_enabled) if sub.auto_renew_enabled is not None else True
            row.commitment_end_date = _naive(sub.commitment_end_date)
            row.cancellation_allowed_until = _naive(sub.cancellation_allowed_until_date)
            _record_management_facts(row, order, line, sub)
            recorded.append(sub.id)
    _record_tenant(order)
    return {"subscriptions": recorded, "agreements": sorted(a.number for a in agreements.values())}


def _record_management_facts(row: Subscription, order: Order, line, sub) -> None:
    """What managing the subscription needs: customer, seat limits, price, and Partner Center's
    state (the 7-day batches, etag...), read as of Partner Center's clock."""
    from app.subscriptions.services import apply_remote, pc_now, seat_limits

    row.customer_name = svc.licensee_name(order)
    row.tenant_domain = order.domain
    row.partner_center_instance = order.partner_center_instance
    if line is not None:
        row.unit_price, row.currency = line.unit_price, line.currency
        row.min_quantity, row.max_quantity = seat_limits(line.product_id, line.sku_id)
    apply_remote(row, sub, pc_now(), audit_outside=False)


def _agreement_for(order: Order, family: str) -> Agreement:
    if order.add_to_agreement_id:
        chosen = db.session.get(Agreement, order.add_to_agreement_id)
        if chosen is not None and chosen.family == family:
            return chosen
    agreement = svc.existing_agreement(order.account_id, order.licensee_id, order.domain, order.tenant_id, family)
    if agreement is None:
        agreement = Agreement(number=svc.new_agreement_number(), account_id=order.account_id,
                              licensee_id=order.licensee_id, tenant_domain=order.domain, tenant_id=order.tenant_id,
                              family=family, order_id=order.id)
        db.session.add(agreement)
        db.session.flush()
    elif not agreement.tenant_id:
        agreement.tenant_id = order.tenant_id
    return agreement


def _record_tenant(order: Order) -> None:
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


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


RUNNERS = {
    "create_customer": _create_customer,
    "attest_mca": _attest_mca,
    "create_cart": _create_cart,
    "checkout": _checkout,
    "wait_fulfillment": _wait_fulfillment,
    "record_subscriptions": _record_subscriptions,
}


# ----------------------------------------------------------------------------------- errors in words

def _partner_id_reason(order: Order, detail: str | None = None) -> str:
    return (f"Microsoft does not accept partner ID {order.partner_id or '(none)'} as an indirect reseller of this "
            f"distributor{': ' + detail if detail else '.'}")


def _partner_id_steps(order: Order) -> list[str]:
    return ["Check that the partner ID (MPN ID) on the Parameters tab is the reseller's own, not the distributor's.",
            "The distributor must have the reseller in its reseller network in Partner Center (an active "
            "indirect reseller relationship), with the Microsoft Partner Agreement signed for this region.",
            "When that is done, press Process to send the order again."]


def _classify(order: Order, step: OrderStep, error: PartnerCenterError):
    """A definite Partner Center refusal -> _NeedsAction (someone can fix it) or _Fail."""
    if order.type != "purchase":
        from app.subscriptions.jobs import classify_change_error

        return classify_change_error(order, step, error)
    process = "Then press Process to send the order again."
    if isinstance(error, CustomerUnderReview):
        return _NeedsAction(
            "customer_under_review",
            "Microsoft is reviewing the customer's account. Orders for this customer cannot be placed until "
            "the review is complete.",
            ["Wait for Microsoft to finish the review (usually one to three business days). The distributor can "
             "follow it in Partner Center, and may be asked for documents proving the company's identity.",
             "When Microsoft has approved the customer, press Process to send the order again."])
    if isinstance(error, McaMissing):
        return _NeedsAction(
            "mca_missing", "The customer has not accepted the Microsoft Customer Agreement.",
            ["The customer's contact must accept the Microsoft Customer Agreement (the distributor records the "
             "acceptance in Partner Center).", process])
    if isinstance(error, (PartnerIdUnknown, PartnerAgreementNotSigned)) or str(error.code) in ("800015", "800016", "2072"):
        return _NeedsAction("partner_id_invalid", _partner_id_reason(order, error.description), _partner_id_steps(order))
    if isinstance(error, RegistrationIdMissing):
        return _NeedsAction(
            "registration_id_missing",
            f"Microsoft requires a company registration ID for customers in {order.country}.",
            ["Open the Parameters tab, press Edit in Ordering parameters and enter the company registration ID.",
             "Press Save. " + process], blocked_field="registration_id")
    if isinstance(error, RegistrationIdInvalid):
        expected = f" It must match {error.regex}." if error.regex else ""
        return _NeedsAction(
            "registration_id_invalid",
            f"The company registration ID {order.registration_id or ''} is not valid for {order.country}.{expected}",
            ["Open the Parameters tab, press Edit in Ordering parameters and correct the registration ID.",
             "Press Save. " + process], blocked_field="registration_id")
    if isinstance(error, RegistrationIdNotAllowed):
        return _NeedsAction(
            "registration_id_not_allowed",
            f"Customers in {order.country} must not have a company registration ID.",
            ["Open the Parameters tab, press Edit in Ordering parameters and clear the registration ID.",
             "Press Save. " + process], blocked_field="registration_id")
    if isinstance(error, PhoneMissing):
        return _NeedsAction(
            "phone_missing", f"Microsoft requires a phone number for customers in {order.country}.",
            ["Open the Parameters tab, press Edit in Ordering parameters and enter the phone number.",
             "Press Save. " + process], blocked_field="phone")
    if isinstance(error, DomainTaken):
        return _NeedsAction(
            "domain_taken", f"The domain name {order.domain} is already taken at Microsoft: the domain name must be updated.",
            ["Open the Parameters tab, press Edit in Ordering parameters and enter another domain name "
             "(a prefix of up to 27 letters and digits, followed by .onmicrosoft.com).",
             "Press Save. " + process], blocked_field="domain")
    if isinstance(error, NoRelationship):
        return _NeedsAction(
            "relationship_missing",
            f"The customer's tenant {order.domain} has not accepted the relationship request, so Microsoft does "
            "not let us order for it.",
            ["The relationship request must be accepted: the customer's global administrator opens the "
             "relationship request link and accepts it in the Microsoft 365 admin center.", process])
    if step.name == "create_customer" and str(error.code) == "800016":
        return _NeedsAction("partner_id_invalid", _partner_id_reason(order, error.description), _partner_id_steps(order))
    return _Fail(f"Microsoft refused the order: {error.description or error}", code=str(error.code) if error.code else None)


# ----------------------------------------------------------------------------------- the sweep

LIVE_JOB_STATUSES = {"queued", "scheduled", "deferred"}
HEARTBEAT_GRACE_SECONDS = 150  # RQ's heartbeat is every 30 s (+60 s TTL); longer silence = gone


def _worker_alive(worker_name: str | None) -> bool:
    from rq import Worker

    if not worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection=get_redis())
    if worker is None:
        return False
    if worker.hostname == socket.gethostname() and worker.pid:
        try:
            os.kill(worker.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    if worker.last_heartbeat is not None:
        beat = worker.last_heartbeat
        beat = beat if beat.tzinfo else beat.replace(tzinfo=timezone.utc)
        if (datetime.now(timezone.utc) - beat).total_seconds() > HEARTBEAT_GRACE_SECONDS:
            return False
    return True


def job_alive(order_id: int, *, repair: bool = True) -> bool:
    """Is a job for this order waiting, scheduled, or running in a worker that still lives?

    A job left "started" by a worker that was killed stays so in Redis until RQ notices (minutes);
    with `repair` it is deleted here so the order can be enqueued again at once (pages pass
    repair=False: a GET never writes).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(svc.job_id_for(order_id), connection=get_redis())
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    status = getattr(status, "value", status)
    if status in LIVE_JOB_STATUSES:
        return True
    if status == "started":
        if _worker_alive(job.worker_name):
            return True
        if repair:
            log.warning("job %s was left started by worker %s, which is gone; re-enqueuing", job.id, job.worker_name)
            job.delete()
    return False


@periodic("sweep-orders", interval_seconds=60, timeout=300)
def sweep_orders(limit: int = 500, now: datetime | None = None) -> list[str]:
    """Fail every processing order past a deadline; re-enqueue the others whose job is not queued,
    scheduled or running: orders placed while Redis or the worker was down, and jobs lost with a
    killed worker or out of retries. Returns the numbers of the orders re-enqueued."""
    now = now or utcnow()
    orders = db.session.scalars(db.select(Order).where(Order.status == "processing").order_by(Order.id).limit(limit)).all()
    enqueued, failed = [], []
    for order in orders:
        missed = missed_deadline(order, now)
        if missed is not None:
            fail_for_deadline(order, *missed)
            db.session.commit()
            svc.publish_progress(order)
            failed.append(order.number)
        elif not job_alive(order.id) and svc.enqueue_provisioning(order) is not None:
            enqueued.append(order.number)
    if failed:
        log.warning("sweep failed orders past their deadline: %s", ", ".join(failed))
    if enqueued:
        log.info("sweep re-enqueued orders: %s", ", ".join(enqueued))
    return enqueued


# ----------------------------------------------------------------------------------- deadlines and stuck work

# Microsoft usually fulfils an order in minutes; a day without it means someone must look.
FULFILLMENT_DEADLINE = timedelta(hours=24)
# The whole order, from when it (last) became processing: Partner Center failing for three days,
# or a job that keeps disappearing, is no longer something retrying will fix.
ORDER_DEADLINE = timedelta(hours=72)
# The sweep re-enqueues an order without a job within a minute; still without one after this long,
# no worker (which also runs the sweep) is working, and the stuck-work page lists the order.
STUCK_AFTER = timedelta(minutes=15)
# How long an order failed at a deadline stays on the stuck-work page unless retried.
STUCK_LISTED_FOR = timedelta(days=30)
DEADLINE_CODES = ("fulfillment_deadline", "order_deadline")
STUCK_WORK_PATH = "/admin/stuck"


class NotRetryable(Exception):
    pass


def _hours(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 3600)} hours"


def _current_step(order: Order) -> OrderStep | None:
    return next((s for s in order.steps if s.status not in ("done", "skipped")), None)


def missed_deadline(order: Order, now: datetime | None = None) -> tuple[str, str] | None:
    """(code, reason in plain words) when a processing order has run past one of its deadlines."""
    if order.status != "processing":
        return None
    now = now or utcnow()
    wait = order.step("wait_fulfillment")
    if (wait is not None and wait.status in ("pending", "running") and wait.started_at is not None
            and now - wait.started_at > FULFILLMENT_DEADLINE):
        return "fulfillment_deadline", (
            f"Partner Center did not confirm the order within {_hours(FULFILLMENT_DEADLINE)}; it may still "
            "complete there. The operator has been told: it checks the order in Partner Center and retries it from "
            "Stuck work.")
    if now - (order.processing_since or order.created_at) > ORDER_DEADLINE:
        return "order_deadline", _order_deadline_reason(order)
    return None


def _order_deadline_reason(order: Order) -> str:
    step = _current_step(order)
    reason = f"Provisioning did not finish within {_hours(ORDER_DEADLINE)}"
    if step is None:
        reason += "."
    elif not step.attempts:
        reason += f": the step “{step.label}” never ran (the worker may be stopped)."
    else:
        reason += (f": the step “{step.label}” was tried {step.attempts} time{'s' if step.attempts != 1 else ''} "
                   "without a definite answer from Partner Center.")
    return (reason + " Nothing more is tried automatically. The operator has been told: it checks the order in "
            "Partner Center and retries it from Stuck work (it resumes with the same request ids, so nothing is "
            "created twice).")


def stuck_work_url() -> str:
    return link_to("tools.stuck", STUCK_WORK_PATH)


def fail_for_deadline(order: Order, code: str, reason: str) -> None:
    """Fail the order at a deadline. The step it stopped at keeps its MS-RequestId: there was no
    definite answer, so Retry must send the same request again."""
    step = _current_step(order)
    if step is not None:
        step.status = "failed"
        step.error = reason
    svc.set_failed(order, reason, code=code)
    notify_operator_admins(f"Order {order.number} stopped at its deadline", reason, stuck_work_url())


def retry_order(order: Order, *, actor: User, origin) -> bool:
    """Retry from the stuck-work page: an order failed at a deadline goes back to processing, an
    order left processing without a job gets one. Both resume from their stored steps (same
    request ids) with fresh deadlines. Commits; returns False when the queue was not reachable
    (the order stays processing and the sweep enqueues it later)."""
    from app.audit import services as audit

    failed_at_deadline = order.status == "failed" and order.reason_code in DEADLINE_CODES
    if not failed_at_deadline and order.status != "processing":
        raise NotRetryable(f"Order {order.number} is {order.status_label.lower()}: there is nothing to retry.")
    previous = {"status": order.status, "reason": order.reason, "code": order.reason_code}
    for step in order.steps:
        if step.status == "failed":
            step.status = "pending"
            step.error = None
        if step.name == "wait_fulfillment" and step.status not in ("done", "skipped"):
            step.started_at = None  # a new wait, with a new fulfilment deadline
    order.status = "processing"
    order.processing_since = utcnow()
    order.reason = order.reason_code = order.blocked_field = None
    order.steps_to_take = None
    audit.record("order_retried", actor=actor, account=order.account, subject=order.number, origin=origin,
                 details=previous)
    db.session.commit()
    job = svc.enqueue_provisioning(order)
    svc.publish_progress(order)
    return job is not None


@dataclass
class StuckOrder:
    order: Order
    reason: str
    since: datetime  # when the order (last) became processing

    def age(self, now: datetime) -> timedelta:
        return now - self.since


def stuck_orders(now: datetime | None = None, limit: int = 200) -> tuple[list[StuckOrder], bool]:
    """Orders failed at a deadline (recent ones), and processing orders older than STUCK_AFTER with
    no job queued, scheduled or running. Reads only. Returns (orders, whether the queue answered)."""
    now = now or utcnow()
    stuck: list[StuckOrder] = []
    failed = db.session.scalars(db.select(Order).where(
        Order.status == "failed", Order.reason_code.in_(DEADLINE_CODES),
        Order.updated_at >= now - STUCK_LISTED_FOR).order_by(Order.updated_at.desc()).limit(limit)).all()
    for order in failed:
        stuck.append(StuckOrder(order, order.reason or "", order.processing_since or order.created_at))
    processing = db.session.scalars(db.select(Order).where(
        Order.status == "processing", Order.processing_since < now - STUCK_AFTER)
        .order_by(Order.processing_since).limit(limit)).all()
    queue_ok = True
    for order in processing:
        if queue_ok:
            try:
                if job_alive(order.id, repair=False):
                    continue
            except Exception:  # Redis down: no order can have a job
                log.warning("stuck-work page: the job queue is not reachable", exc_info=True)
                queue_ok = False
        missed = missed_deadline(order, now)
        reason = ("No provisioning job is queued, scheduled or running for this order: the worker, which also "
                  "runs the every-minute sweep, seems to be stopped. Retry puts the job on the queue again.")
        if not queue_ok:
            reason = "The job queue is not reachable, so no provisioning job can run."
        if missed is not None:
            reason += " It is also past its deadline: " + missed[1]
        stuck.append(StuckOrder(order, reason, order.processing_since or order.created_at))
    return stuck, queue_ok
