"""Subscriptions reconciliation, the rules: what a run covers, how a storefront subscription is
compared with Partner Center's, and what a finding records. The run itself (the calls to Partner
Center, the progress) is app/tools/reconciliation_jobs.py; the corrections are
app/tools/reconciliation_corrections.py.

The storefront keeps a copy of every subscription it sold (app/subscriptions); the periodic refresh
keeps it in step. Reconciliation is the operator's check that it is: for each subscription in scope it
reads Partner Center's and reports every difference (exists on both sides, status, seats,
auto-renewal, term and billing plan, renewal date, scheduled change, name), and it lists Partner
Center's subscriptions, in the customers it reads, that the storefront does not know.
No request, no templates; writes flush, the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.accounts.models import Account, Licensee, Tenant
from app.catalog.terms import billing_label, seats, term_label
from app.extensions import db
from app.subscriptions.models import ENDED_STATUSES, Agreement, Subscription, status_label
from app.tools.models import (FindingKind, ReconciliationFinding, ReconciliationRun, RunStatus, RunTrigger,
                              Scope)
from app.time import naive_utc, utcnow

# Partner Center's subscriptions in these states that the storefront does not know are not reported:
# nothing can be done with them any more.
NOT_WORTH_IMPORTING = ("deleted", "expired")


class ScopeRefused(ValueError):
    """A scope that cannot be run: `message` goes next to `field`."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


# ----------------------------------------------------------------------------------- scope

def scope_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The scope select's option groups: everything, each account, each licensee (with its reseller)."""
    accounts = db.session.scalars(db.select(Account).where(Account.kind.in_(("reseller", "customer")))
                                  .order_by(Account.name)).all()
    licensees = db.session.execute(db.select(Licensee, Account.name).join(Account, Licensee.reseller_id == Account.id)
                                   .order_by(Licensee.company_name)).all()
    return [("", [("all", "All subscriptions")]),
            ("Account", [(f"account-{a.id}", f"{a.name} ({a.kind_label.lower()})") for a in accounts]),
            ("Licensee or customer", [(f"licensee-{lic.id}", f"{lic.company_name} (of {reseller})")
                                      for lic, reseller in licensees])]


def parse_scope(choice: str | None, subscription: str | None) -> tuple[Scope, int | None, str]:
    """(scope, id, label) from the form: a subscription id typed wins over the select."""
    typed = (subscription or "").strip()
    if typed:
        sub = db.session.scalar(db.select(Subscription).where(Subscription.ms_subscription_id == typed.lower()))
        if sub is None and typed.isdigit():
            sub = db.session.get(Subscription, int(typed))
        if sub is None:
            raise ScopeRefused(f"No subscription of the storefront has the id {typed}. Enter a Microsoft subscription "
                               "id as the subscription's page shows it.", "subscription")
        return Scope.SUBSCRIPTION, sub.id, f"Subscription {sub.name} ({sub.customer_name or sub.account.name})"
    choice = (choice or "all").strip()
    if choice == "all":
        return Scope.ALL, None, "All subscriptions"
    kind, _, raw_id = choice.partition("-")
    if kind in ("account", "licensee") and raw_id.isdigit():
        if kind == "account":
            account = db.session.get(Account, int(raw_id))
            if account is not None and account.kind in ("reseller", "customer"):
                return Scope.ACCOUNT, account.id, f"Account {account.name}"
        else:
            licensee = db.session.get(Licensee, int(raw_id))
            if licensee is not None:
                return Scope.LICENSEE, licensee.id, f"Licensee {licensee.company_name} (of {licensee.reseller.name})"
    raise ScopeRefused("Choose what to reconcile from the list.", "scope")


def new_run(scope: Scope, scope_id: int | None, label: str, *, trigger: str = RunTrigger.MANUAL,
            actor=None) -> ReconciliationRun:
    run = ReconciliationRun(scope=scope, scope_id=scope_id, scope_label=label[:300], trigger=trigger,
                            status=RunStatus.QUEUED, requested_by_id=getattr(actor, "id", None), problems=[])
    db.session.add(run)
    db.session.flush()
    return run


@dataclass
class Customer:
    """One customer tenant a run reads (one list call): the storefront's subscriptions there, and
    whether Partner Center's others there are to be reported as unknown."""

    instance: str
    tenant_id: str
    name: str | None = None
    domain: str | None = None
    rows: list[Subscription] = field(default_factory=list)
    report_unknown: bool = True


def _rows_in_scope(run: ReconciliationRun):
    query = db.select(Subscription).order_by(Subscription.id)
    if run.scope == Scope.ACCOUNT:
        return db.session.scalars(query.where(Subscription.account_id == run.scope_id)).all()
    if run.scope == Scope.LICENSEE:
        return db.session.scalars(query.join(Agreement, Subscription.agreement_id == Agreement.id)
                                  .where(Agreement.licensee_id == run.scope_id)).all()
    if run.scope == Scope.SUBSCRIPTION:
        return db.session.scalars(query.where(Subscription.id == run.scope_id)).all()
    return db.session.scalars(query).all()


def plan(run: ReconciliationRun) -> dict[tuple[str, str], Customer]:
    """The customers the storefront knows in the run's scope, with their subscriptions. A run over
    everything also reads every customer Partner Center lists (added by the job)."""
    customers: dict[tuple[str, str], Customer] = {}
    for row in _rows_in_scope(run):
        key = (row.partner_center_instance or "default", row.tenant_id.lower())
        customer = customers.setdefault(key, Customer(*key, name=row.customer_name, domain=row.tenant_domain,
                                                      report_unknown=run.scope != Scope.SUBSCRIPTION))
        customer.rows.append(row)
    if run.scope in (Scope.ACCOUNT, Scope.LICENSEE):
        column = Tenant.account_id if run.scope == Scope.ACCOUNT else Tenant.licensee_id
        for tenant in db.session.scalars(db.select(Tenant).where(column == run.scope_id, Tenant.tenant_id.is_not(None))):
            key = (tenant.partner_center_instance or "default", tenant.tenant_id.lower())
            customers.setdefault(key, Customer(*key, domain=tenant.domain,
                                               name=tenant.licensee.company_name if tenant.licensee else
                                               (tenant.account.name if tenant.account else None)))
    return customers


# ----------------------------------------------------------------------------------- comparing

def _on_off(value) -> str:
    return "On" if value else "Off"


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def _seats(value) -> str:
    return "None scheduled" if value is None else f"{value}"


def differences(row: Subscription, remote) -> list[tuple[FindingKind, str | None, str | None]]:
    """What differs between the storefront's row and Partner Center's subscription (a partner_center
    Subscription): (kind, the storefront's value, Partner Center's), as the operator reads them."""
    found: list[tuple[FindingKind, str | None, str | None]] = []
    pc_status = (remote.status or "").lower()
    if pc_status != (row.status or "").lower():
        found.append((FindingKind.STATUS, status_label(row.status), status_label(pc_status)))
    if pc_status in ENDED_STATUSES or row.status in ENDED_STATUSES:
        return found  # an ended subscription's seats and dates no longer matter
    if remote.quantity != row.quantity:
        found.append((FindingKind.QUANTITY, str(row.quantity), str(remote.quantity)))
    if remote.auto_renew_enabled is not None and bool(remote.auto_renew_enabled) != bool(row.auto_renew):
        found.append((FindingKind.AUTO_RENEW, _on_off(row.auto_renew), _on_off(remote.auto_renew_enabled)))
    if remote.term_duration and row.term_duration and remote.term_duration != row.term_duration:
        found.append((FindingKind.TERM, term_label(row.term_duration), term_label(remote.term_duration)))
    if remote.billing_cycle and row.billing_plan and remote.billing_cycle.lower() != row.billing_plan.lower():
        found.append((FindingKind.BILLING, billing_label(row.billing_plan.lower()),
                      billing_label(remote.billing_cycle.lower())))
    pc_renewal = _day(naive_utc(remote.commitment_end_date))
    if pc_renewal and pc_renewal != _day(row.commitment_end_date):
        found.append((FindingKind.RENEWAL_DATE, _day(row.commitment_end_date), pc_renewal))
    scheduled = remote.scheduled_next_term_instructions
    pc_scheduled = scheduled.quantity if scheduled is not None else None
    if pc_scheduled != row.scheduled_quantity:
        found.append((FindingKind.SCHEDULED_CHANGE, _seats(row.scheduled_quantity), _seats(pc_scheduled)))
    if remote.friendly_name and remote.friendly_name != row.friendly_name:
        found.append((FindingKind.FRIENDLY_NAME, row.friendly_name, remote.friendly_name))
    return found


def _finding(run: ReconciliationRun, customer: Customer, kind: FindingKind, *, row: Subscription | None = None,
             remote=None, storefront: str | None = None, partner_center: str | None = None,
             extra: dict | None = None) -> ReconciliationFinding:
    finding = ReconciliationFinding(
        run=run, kind=kind, subscription_id=row.id if row else None, account_id=row.account_id if row else None,
        partner_center_instance=customer.instance, tenant_id=customer.tenant_id,
        ms_subscription_id=row.ms_subscription_id if row else remote.id,
        customer_name=(row.customer_name if row else None) or customer.name,
        tenant_domain=(row.tenant_domain if row else None) or customer.domain,
        product=row.name if row else (remote.friendly_name or remote.offer_name),
        storefront_value=(storefront or "")[:300] or None, partner_center_value=(partner_center or "")[:300] or None,
        remote={"subscription": dict(remote.raw), **(extra or {})} if remote is not None else None)
    db.session.add(finding)
    return finding


def compare_customer(run: ReconciliationRun, customer: Customer, remote_subs: list | None, *,
                     skip: set[int] = frozenset(), customer_facts: dict | None = None) -> int:
    """Record the findings of one customer: `remote_subs` is what Partner Center listed (None: the
    customer is not visible to the partner any more). Rows in `skip` (a change on its way) are not
    compared. Returns how many findings were recorded."""
    before = len(run.findings)
    remote_by_id = {s.id.lower(): s for s in remote_subs or []}
    for row in customer.rows:
        if row.id in skip:
            continue
        remote = remote_by_id.get(row.ms_subscription_id.lower())
        if remote is None:
            if row.status not in ENDED_STATUSES:
                _finding(run, customer, FindingKind.MISSING_IN_PARTNER_CENTER, row=row,
                         storefront=status_label(row.status),
                         partner_center="Customer not visible" if remote_subs is None else "Not found")
            continue
        for kind, ours, theirs in differences(row, remote):
            _finding(run, customer, kind, row=row, remote=remote, storefront=ours, partner_center=theirs)
    if customer.report_unknown and remote_subs:
        known = {ms_id.lower() for ms_id in db.session.scalars(db.select(Subscription.ms_subscription_id).where(
            Subscription.ms_subscription_id.in_(list(remote_by_id))))}
        for ms_id, remote in remote_by_id.items():
            if ms_id in known or (remote.status or "").lower() in NOT_WORTH_IMPORTING:
                continue
            _finding(run, customer, FindingKind.UNKNOWN_TO_STOREFRONT, remote=remote, storefront="Not known",
                     partner_center=f"{status_label(remote.status)}, {seats(remote.quantity)}",
                     extra={"customer": customer_facts or {"companyName": customer.name, "domain": customer.domain}})
    db.session.flush()
    return len(run.findings) - before


def finish(run: ReconciliationRun) -> None:
    run.status = RunStatus.FINISHED
    run.finished_at = utcnow()
    run.findings_count = db.session.scalar(db.select(db.func.count(ReconciliationFinding.id))
                                           .where(ReconciliationFinding.run_id == run.id))
    problems = len(run.problems or [])
    compared = f"{run.subscriptions_checked} subscription{'s' if run.subscriptions_checked != 1 else ''} compared"
    if run.findings_count:
        run.message = f"{compared}; {run.findings_count} finding{'s' if run.findings_count != 1 else ''}."
    elif not run.customers_total:  # nothing was read: no claim that both sides agree
        run.message = ("Nothing to compare: neither the storefront nor Partner Center holds a subscription."
                       if run.scope == Scope.ALL else f"Nothing to compare: {run.scope_label} has no subscription in "
                                                      "the storefront.")
    elif problems:  # what went unread may differ: no claim that both sides agree
        run.message = f"{compared}; no findings in what could be read."
    else:
        run.message = f"{compared}; the storefront and Partner Center agree."
    if problems:
        run.message += (" 1 customer could not be read (below): its subscriptions were not compared." if problems == 1
                        else f" {problems} customers could not be read (below): their subscriptions were not compared.")


def fail(run: ReconciliationRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.finished_at = utcnow()
    run.message = message


# ----------------------------------------------------------------------------------- reading results

def latest_run() -> ReconciliationRun | None:
    return db.session.scalars(db.select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1)).first()


def recent_runs(limit: int = 20) -> list[ReconciliationRun]:
    return db.session.scalars(db.select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(limit)).all()


STATES = {"open": "Open", "resolved": "Corrected", "all": "All"}


def findings_query(run: ReconciliationRun, *, kind: str | None = None, state: str = "open", q: str | None = None):
    query = db.select(ReconciliationFinding).where(ReconciliationFinding.run_id == run.id)
    if kind in {k.value for k in FindingKind}:
        query = query.where(ReconciliationFinding.kind == kind)
    if state == "open":
        query = query.where(ReconciliationFinding.resolution.is_(None))
    elif state == "resolved":
        query = query.where(ReconciliationFinding.resolution.is_not(None))
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(db.or_(db.func.lower(ReconciliationFinding.customer_name).like(like),
                                   db.func.lower(ReconciliationFinding.tenant_domain).like(like),
                                   db.func.lower(ReconciliationFinding.product).like(like),
                                   db.func.lower(ReconciliationFinding.ms_subscription_id).like(like)))
    return query.order_by(ReconciliationFinding.kind, ReconciliationFinding.customer_name, ReconciliationFinding.id)


def counts_by_kind(run: ReconciliationRun) -> list[tuple[FindingKind, int, int]]:
    """(kind, findings, still open) for each kind the run found, in FindingKind's order."""
    rows = db.session.execute(
        db.select(ReconciliationFinding.kind, db.func.count(ReconciliationFinding.id),
                  db.func.count(ReconciliationFinding.id).filter(ReconciliationFinding.resolution.is_(None)))
        .where(ReconciliationFinding.run_id == run.id).group_by(ReconciliationFinding.kind)).all()
    found = {kind: (total, open_) for kind, total, open_ in rows}
    return [(kind, *found[kind.value]) for kind in FindingKind if kind.value in found]


def open_findings_count(run: ReconciliationRun) -> int:
    return db.session.scalar(db.select(db.func.count(ReconciliationFinding.id)).where(
        ReconciliationFinding.run_id == run.id, ReconciliationFinding.resolution.is_(None)))


CSV_HEADER = ["Finding", "Kind", "Customer", "Tenant", "Product", "Microsoft subscription id", "Account",
              "Storefront", "Partner Center", "Correction", "Corrected by", "Corrected at", "Order", "Note"]


def csv_rows(findings):
    for f in findings:
        yield [f.id, f.kind_label, f.customer_name or "", f.tenant_domain or f.tenant_id, f.product or "",
               f.ms_subscription_id, f.account.name if f.account else "", f.storefront_value or "",
               f.partner_center_value or "", f.resolution_label or "", f.resolved_by.name if f.resolved_by else "",
               f.resolved_at.isoformat(timespec="seconds") if f.resolved_at else "", f.order_number or "",
               f.note or ""]
