"""Subscriptions reconciliation, the run: a worker job that reads Partner Center customer by customer
(one list call each), records the findings (app/tools/reconciliation.py) and commits its progress as it
goes, publishing each step to the run's open pages (app/live.py; the pages poll when they cannot be
pushed to). It also runs once a day when the operator's "Daily subscription reconciliation" option is
on, and tells the operator's admins when such a run finds something.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from app.accounts.notification_settings import SUBSCRIPTIONS
from app.accounts.notifications import link_to, notify_operator_admins
from app.audit import services as audit
from app.catalog.progress import describe_error
from app.connections.services import get_client, instance_names
from app.extensions import db
from app.jobs import enqueue
from app.jobs.periodic import periodic
from app.orders.models import OPEN_STATUSES, Order, OrderLine
from app.partner_center import NotFound, PartnerCenterError
from app.time import utcnow
from app.tools import reconciliation as rules
from app.tools import run_progress
from app.tools.models import OPEN_RUN_STATUSES, ReconciliationRun, RunStatus, RunTrigger, Scope
from app.web.layout import full_stop

log = logging.getLogger(__name__)

LIVE_KIND = "reconciliation"
RUN_TIMEOUT = 3600
QUEUE_UNREACHABLE = "The job queue was not reachable; start the reconciliation again."
RUN_DEADLINE = timedelta(hours=2)  # a run still open after this is failed when the next one starts
RECONCILIATION_PATH = "/admin/reconciliation"  # where a notification from the worker points


def publish(run: ReconciliationRun) -> None:
    run_progress.publish(LIVE_KIND, run)


def _changing_subscription_ids() -> set[int]:
    """Subscriptions with a change order on its way: Partner Center and the storefront differ only
    until it completes, so they are not compared."""
    return set(db.session.scalars(db.select(OrderLine.subscription_id).join(Order, OrderLine.order_id == Order.id)
                                  .where(Order.status.in_(OPEN_STATUSES), OrderLine.subscription_id.is_not(None))))


def _discover_customers(customers: dict) -> None:
    """A run over everything also reads every customer of every connection, to find the
    subscriptions the storefront does not know."""
    for instance in instance_names():
        for customer in get_client(instance).iter_customers():
            key = (instance, (customer.tenant_id or customer.id).lower())
            if key not in customers:
                customers[key] = rules.Customer(*key, name=customer.company_name, domain=customer.domain)
            else:
                customers[key].name = customers[key].name or customer.company_name
                customers[key].domain = customers[key].domain or customer.domain


def _customer_facts(client, customer: rules.Customer) -> dict:
    """What importing an unknown subscription needs of its customer: name, domain, country, contact."""
    facts = {"companyName": customer.name, "domain": customer.domain}
    try:
        found = client.get_customer(customer.tenant_id)
    except PartnerCenterError:
        return facts
    address = found.default_address
    facts.update({"companyName": found.company_name or customer.name, "domain": found.domain or customer.domain,
                  "email": found.email, "country": getattr(address, "country", None),
                  "firstName": getattr(address, "first_name", None), "lastName": getattr(address, "last_name", None),
                  "addressLine1": getattr(address, "address_line1", None), "city": getattr(address, "city", None),
                  "state": getattr(address, "state", None), "postalCode": getattr(address, "postal_code", None),
                  "phone": getattr(address, "phone_number", None)})
    return facts


def run_reconciliation(run_id: int) -> dict:
    """Run one recorded reconciliation to its end (finished or failed), committing as it goes."""
    run = run_progress.begin(ReconciliationRun, run_id, LIVE_KIND)
    if run is None:
        return {"skipped": True}
    try:
        customers = rules.plan(run)
        if run.scope == Scope.ALL:
            _discover_customers(customers)
        run.customers_total = len(customers)
        db.session.commit()
        publish(run)
        skip = _changing_subscription_ids()
        for customer in customers.values():
            _read_customer(run, customer, skip)
            run.customers_done += 1
            db.session.commit()
            publish(run)
        rules.finish(run)
    except Exception as exc:  # the run must end saying why, whatever stopped it
        db.session.rollback()
        log.exception("reconciliation %s failed", run_id)
        run = db.session.get(ReconciliationRun, run_id)
        rules.fail(run, f"The reconciliation stopped: {describe_error(exc)}")
    audit.record("reconciliation_finished", actor=run.requested_by, subject=f"Reconciliation {run.id}",
                 details={"scope": run.scope_label, "status": run.status, "findings": run.findings_count,
                          "subscriptions": run.subscriptions_checked, "trigger": run.trigger})
    if run.trigger == RunTrigger.SCHEDULED:
        _tell_operator(run)
    db.session.commit()
    publish(run)
    return {"status": run.status, "findings": run.findings_count}


def _tell_operator(run: ReconciliationRun) -> None:
    """A daily run nobody watched: its admins hear of its findings, of the customers it could not read
    (their subscriptions went unchecked), and of its stopping, with the reason; a clean run says nothing."""
    unread = len(run.problems or [])
    if run.status == RunStatus.FAILED:
        title = "The daily reconciliation stopped"
        body = (f"{run.message}{full_stop(run.message)} It runs again tomorrow, or start it now under "
                "Tools > Reconciliation.")
    elif run.findings_count or unread:
        title = (f"Reconciliation found {run.findings_count} difference{'s' if run.findings_count != 1 else ''}"
                 if run.findings_count else
                 f"Reconciliation could not read {unread} customer{'s' if unread != 1 else ''}")
        body = (f"The daily reconciliation compared {run.subscriptions_checked} subscriptions with Partner Center and "
                f"found {run.findings_count} finding{'s' if run.findings_count != 1 else ''} to look at.")
        if unread:
            body += (" 1 customer could not be read: its subscriptions were not compared." if unread == 1 else
                     f" {unread} customers could not be read: their subscriptions were not compared.")
    else:
        return
    notify_operator_admins(title, body, link_to("tools.reconciliation_run", f"{RECONCILIATION_PATH}/runs/{run.id}",
                                                run_id=run.id), category=SUBSCRIPTIONS)


def _read_customer(run: ReconciliationRun, customer: rules.Customer, skip: set[int]) -> None:
    client = get_client(customer.instance)
    try:
        remote = client.list_subscriptions(customer.tenant_id)
    except NotFound:
        remote = None  # the partner no longer sees this customer: its subscriptions are missing
    except PartnerCenterError as exc:
        run.problems = [*(run.problems or []), f"{customer.name or customer.tenant_id}: {describe_error(exc)}"]
        return
    facts = None
    if customer.report_unknown and remote and any(
            s.id.lower() not in {r.ms_subscription_id.lower() for r in customer.rows} for s in remote):
        facts = _customer_facts(client, customer)
    rules.compare_customer(run, customer, remote, skip=skip, customer_facts=facts)
    run.subscriptions_checked += len([r for r in customer.rows if r.id not in skip])


def job_id_for(run_id: int) -> str:
    return f"reconciliation-{run_id}"


def _expire_stale_runs() -> None:
    """A run past its deadline (its worker died, its job vanished) never blocks the next one."""
    cutoff = utcnow() - RUN_DEADLINE
    for run in db.session.scalars(db.select(ReconciliationRun).where(
            ReconciliationRun.status.in_(OPEN_RUN_STATUSES), ReconciliationRun.created_at < cutoff)):
        rules.fail(run, "The reconciliation did not finish within two hours (the worker may have stopped); "
                        "start it again.")


def open_run() -> ReconciliationRun | None:
    _expire_stale_runs()
    return db.session.scalars(db.select(ReconciliationRun).where(ReconciliationRun.status.in_(OPEN_RUN_STATUSES))
                              .order_by(ReconciliationRun.id.desc()).limit(1)).first()


def start_run(scope, scope_id, label, *, actor=None, origin=audit.SYSTEM,
              trigger: str = RunTrigger.MANUAL) -> ReconciliationRun:
    """Record a run, commit it, and enqueue it; a run already waiting or running is returned instead.
    When the queue cannot be reached the run is failed at once, saying so."""
    running = open_run()
    if running is not None:
        return running
    run = rules.new_run(scope, scope_id, label, trigger=trigger, actor=actor)
    audit.record("reconciliation_started", actor=actor, subject=f"Reconciliation {run.id}",
                 details={"scope": label, "trigger": trigger}, origin=origin)
    db.session.commit()  # the worker may take the job before this request ends
    try:
        enqueue(run_reconciliation, run.id, job_id=job_id_for(run.id), timeout=RUN_TIMEOUT, retry=None,
                description=f"Reconcile subscriptions: {label}")
    except Exception:
        log.exception("could not enqueue reconciliation %s", run.id)
        rules.fail(run, QUEUE_UNREACHABLE)
        db.session.commit()
    return run


@periodic("reconciliation-daily", interval_seconds=3600, timeout=RUN_TIMEOUT)
def daily_reconciliation() -> str:
    """Checked hourly: with the "Daily subscription reconciliation" option on and no scheduled run
    in the last 24 hours, reconcile everything here and now (this job is the run)."""
    from app.admin.settings import StorefrontSettings

    if not StorefrontSettings.load().daily_reconciliation:
        return "Daily reconciliation is off."
    last = db.session.scalar(db.select(db.func.max(ReconciliationRun.created_at))
                             .where(ReconciliationRun.trigger == RunTrigger.SCHEDULED))
    if last is not None and utcnow() - last < timedelta(hours=24):
        return "Already reconciled in the last 24 hours."
    if open_run() is not None:
        return "A reconciliation is already running."
    run = rules.new_run(Scope.ALL, None, "All subscriptions", trigger=RunTrigger.SCHEDULED)
    audit.record("reconciliation_started", subject=f"Reconciliation {run.id}",
                 details={"scope": run.scope_label, "trigger": RunTrigger.SCHEDULED})
    db.session.commit()
    result = run_reconciliation(run.id)
    return f"Reconciliation {run.id}: {result}"
