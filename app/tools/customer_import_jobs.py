"""Import Partner Center customers, the reading: a worker job that lists the operator's customers of
every connection page by page (following continuation tokens), and for each one the storefront does not
know reads its relationships (the indirect reseller) and its subscriptions, committing its progress as
it goes and publishing it to the run's open pages (app/live.py; they poll when they cannot be pushed to).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from app.audit import services as audit
from app.catalog.progress import describe_error
from app.connections.services import get_client, instance_names
from app.extensions import db
from app.jobs import enqueue
from app.partner_center import PartnerCenterError
from app.time import utcnow
from app.tools import customer_import as rules
from app.tools import run_progress
from app.tools.models import OPEN_RUN_STATUSES, CustomerImportRun, RunStatus
from app.tools.reconciliation_jobs import QUEUE_UNREACHABLE

log = logging.getLogger(__name__)

LIVE_KIND = "customer-import"
PAGE_SIZE = 100  # customers per Partner Center page
RUN_TIMEOUT = 3600
RUN_DEADLINE = timedelta(hours=2)


def publish(run: CustomerImportRun) -> None:
    run_progress.publish(LIVE_KIND, run)


def _facts(client, customer) -> dict:
    try:
        found = client.get_customer(customer.id)
    except PartnerCenterError:
        return {}
    a = found.default_address
    return {"email": found.email, "country": getattr(a, "country", None), "firstName": getattr(a, "first_name", None),
            "lastName": getattr(a, "last_name", None), "addressLine1": getattr(a, "address_line1", None),
            "city": getattr(a, "city", None), "state": getattr(a, "state", None),
            "postalCode": getattr(a, "postal_code", None), "phone": getattr(a, "phone_number", None)}


def _read_customer(run: CustomerImportRun, client, instance: str, customer) -> None:
    tenant_id = (customer.tenant_id or customer.id).lower()
    if rules.known_tenant(tenant_id):
        return
    try:
        relationships = client.list_customer_relationships(tenant_id)
        subscriptions = client.list_subscriptions(tenant_id)
    except PartnerCenterError as exc:
        run.problems = [*(run.problems or []), f"{customer.company_name or tenant_id}: {describe_error(exc)}"]
        return
    reseller = next((r for r in relationships if "indirect" in (r.relationship_type or "").lower()), None)
    rules.record_candidate(run, instance=instance, customer=customer, reseller=reseller, subscriptions=subscriptions,
                           facts=_facts(client, customer))


def run_customer_import(run_id: int, page_size: int = PAGE_SIZE) -> dict:
    run = run_progress.begin(CustomerImportRun, run_id, LIVE_KIND)
    if run is None:
        return {"skipped": True}
    try:
        for instance in instance_names():
            client = get_client(instance)
            token = None
            while True:
                page = client.list_customers(size=page_size, continuation_token=token)
                run.pages_read += 1
                for customer in page.items:
                    _read_customer(run, client, instance, customer)
                    run.customers_read += 1
                    db.session.commit()
                    publish(run)
                token = page.continuation_token
                if not token or not page.items:
                    break
        rules.finish(run)
    except Exception as exc:
        db.session.rollback()
        log.exception("customer import %s failed", run_id)
        run = db.session.get(CustomerImportRun, run_id)
        rules.fail(run, f"Reading Partner Center's customers stopped: {describe_error(exc)}")
    audit.record("customer_import_read", actor=run.requested_by, subject=f"Customer import {run.id}",
                 details={"status": run.status, "customers": run.customers_read, "unknown": run.candidates_count})
    db.session.commit()
    publish(run)
    return {"status": run.status, "candidates": run.candidates_count}


def open_run() -> CustomerImportRun | None:
    cutoff = utcnow() - RUN_DEADLINE
    for stale in db.session.scalars(db.select(CustomerImportRun).where(
            CustomerImportRun.status.in_(OPEN_RUN_STATUSES), CustomerImportRun.created_at < cutoff)):
        rules.fail(stale, "The reading did not finish within two hours (the worker may have stopped); start it again.")
    return db.session.scalars(db.select(CustomerImportRun).where(CustomerImportRun.status.in_(OPEN_RUN_STATUSES))
                              .order_by(CustomerImportRun.id.desc()).limit(1)).first()


def start_run(*, actor, origin) -> CustomerImportRun:
    """Record a reading and enqueue it (one at a time); the queue down fails it at once, saying so."""
    running = open_run()
    if running is not None:
        return running
    run = CustomerImportRun(status=RunStatus.QUEUED, requested_by_id=actor.id, problems=[])
    db.session.add(run)
    db.session.flush()
    audit.record("customer_import_started", actor=actor, subject=f"Customer import {run.id}", origin=origin)
    db.session.commit()
    try:
        enqueue(run_customer_import, run.id, job_id=f"customer-import-{run.id}", timeout=RUN_TIMEOUT, retry=None,
                description="Read Partner Center's customers")
    except Exception:
        log.exception("could not enqueue customer import %s", run.id)
        rules.fail(run, QUEUE_UNREACHABLE.replace("reconciliation", "reading"))
        db.session.commit()
    return run
