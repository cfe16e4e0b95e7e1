"""Import Partner Center customers (admin > Tools > Customer import): the operator's Partner Center
customers that the storefront does not know, read page by page by a job
(app/tools/customer_import_jobs.py), each with its domains, its indirect reseller (matched to a reseller
account by tenant id or partner ID) and its subscriptions; then, per customer, the operator's choice of
account (a direct customer account, new or existing, or a reseller's licensee) and the import of its
tenant and subscriptions (app/tools/importing.py). Importing twice changes nothing.
No request, no templates; writes flush, the caller commits.
"""
from __future__ import annotations

from app.accounts.models import Account, Licensee, Tenant
from app.audit import services as audit
from app.extensions import db
from app.partner_center import Subscription as RemoteSubscription
from app.subscriptions.models import Agreement, Subscription
from app.time import utcnow
from app.tools.importing import ImportRefused, claim_tenant, licensee_named, new_direct_customer, store_subscription
from app.tools.models import CustomerImportRun, ImportCandidate, RunStatus

NEW_DIRECT = "new"
PAGE_SIZE = 20
STATES = {"pending": "To import", "imported": "Imported", "all": "All"}


def known_tenant(tenant_id: str) -> bool:
    """Does the storefront know this customer tenant already (a tenant, an agreement or a subscription)?"""
    tenant_id = tenant_id.lower()
    return any(db.session.scalar(db.select(db.literal(1)).where(column == tenant_id).limit(1)) for column in (
        Tenant.tenant_id, Agreement.tenant_id, Subscription.tenant_id))


def matching_reseller(reseller_tenant_id: str | None, partner_id: str | None) -> Account | None:
    """The reseller account whose Partner Center tenant id or partner ID (MPN ID) it is."""
    conditions = []
    if reseller_tenant_id:
        conditions.append(db.func.lower(Account.partner_tenant_id) == reseller_tenant_id.lower())
    if partner_id:
        conditions.append(Account.partner_id == partner_id)
    if not conditions:
        return None
    return db.session.scalars(db.select(Account).where(Account.kind == "reseller", db.or_(*conditions))
                              .order_by(Account.id)).first()


def record_candidate(run: CustomerImportRun, *, instance: str, customer, reseller, subscriptions: list,
                     facts: dict) -> ImportCandidate:
    """One customer the storefront does not know, as read (`reseller`: its indirect reseller
    relationship, or None; `subscriptions`: partner_center Subscriptions)."""
    partner_ids = {s.partner_id for s in subscriptions if s.partner_id}
    reseller_tenant = reseller.id if reseller is not None else None
    partner_id = (reseller.mpn_id if reseller is not None and reseller.mpn_id else None) or \
        (sorted(partner_ids)[0] if partner_ids else None)
    matched = matching_reseller(reseller_tenant, partner_id)
    candidate = ImportCandidate(
        run=run, partner_center_instance=instance, tenant_id=(customer.tenant_id or customer.id).lower(),
        domain=customer.domain, company_name=customer.company_name or customer.domain, facts=facts,
        reseller_tenant_id=reseller_tenant, reseller_partner_id=partner_id,
        reseller_name=(reseller.name if reseller is not None else None) or (matched.name if matched else None),
        reseller_account_id=matched.id if matched else None,
        subscriptions=[dict(s.raw) for s in subscriptions])
    db.session.add(candidate)
    return candidate


def finish(run: CustomerImportRun) -> None:
    run.status, run.finished_at = RunStatus.FINISHED, utcnow()
    run.candidates_count = len(run.candidates)
    run.message = (f"{run.customers_read} Partner Center customers read; {run.candidates_count} "
                   f"{'is' if run.candidates_count == 1 else 'are'} not known to the storefront.")


def fail(run: CustomerImportRun, message: str) -> None:
    run.status, run.finished_at, run.message = RunStatus.FAILED, utcnow(), message


# ----------------------------------------------------------------------------------- reading results

def latest_runs(limit: int = 20) -> list[CustomerImportRun]:
    return db.session.scalars(db.select(CustomerImportRun).order_by(CustomerImportRun.id.desc()).limit(limit)).all()


def candidates_query(run: CustomerImportRun, *, state: str = "pending", kind: str | None = None, q: str | None = None):
    query = db.select(ImportCandidate).where(ImportCandidate.run_id == run.id)
    if state == "pending":
        query = query.where(ImportCandidate.imported_at.is_(None))
    elif state == "imported":
        query = query.where(ImportCandidate.imported_at.is_not(None))
    if kind == "direct":
        query = query.where(ImportCandidate.reseller_tenant_id.is_(None), ImportCandidate.reseller_partner_id.is_(None))
    elif kind == "indirect":
        query = query.where(db.or_(ImportCandidate.reseller_tenant_id.is_not(None),
                                   ImportCandidate.reseller_partner_id.is_not(None)))
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(db.or_(db.func.lower(ImportCandidate.company_name).like(like),
                                   db.func.lower(ImportCandidate.domain).like(like),
                                   db.func.lower(ImportCandidate.reseller_name).like(like)))
    return query.order_by(ImportCandidate.company_name, ImportCandidate.id)


def targets_for(candidate: ImportCandidate) -> list[tuple[str, str]]:
    """The import form's choices: a new direct customer, each direct customer account, each reseller
    (the customer becomes its licensee); the matching one first."""
    accounts = db.session.scalars(db.select(Account).where(Account.kind.in_(("reseller", "customer")))
                                  .order_by(Account.name)).all()
    choices = [(NEW_DIRECT, f"A new direct customer account, “{candidate.company_name}”")]
    choices += [(f"account-{a.id}", f"{a.name} (direct customer)") for a in accounts if a.kind == "customer"]
    choices += [(f"reseller-{a.id}", f"A licensee of {a.name} (reseller)") for a in accounts if a.kind == "reseller"]
    default = default_target(candidate)
    return sorted(choices, key=lambda c: c[0] != default)


def default_target(candidate: ImportCandidate) -> str:
    if candidate.reseller_account_id:
        return f"reseller-{candidate.reseller_account_id}"
    same_name = db.session.scalar(db.select(Account.id).where(
        Account.kind == "customer", db.func.lower(Account.name) == (candidate.company_name or "").lower()))
    return f"account-{same_name}" if same_name else NEW_DIRECT


CSV_HEADER = ["Customer", "Domain", "Tenant id", "Kind", "Indirect reseller", "Reseller account", "Subscriptions",
              "Seats", "Imported into", "Imported by", "Imported at"]


def csv_rows(candidates):
    for c in candidates:
        subs = c.subscriptions or []
        into = (f"{c.licensee.company_name} of {c.account.name}" if c.licensee else c.account.name) if c.account else ""
        yield [c.company_name, c.domain or "", c.tenant_id, "Indirect" if c.indirect else "Direct",
               " ".join(filter(None, [c.reseller_name, f"({c.reseller_partner_id})" if c.reseller_partner_id else None])),
               c.reseller_account.name if c.reseller_account else "", len(subs),
               sum(int(s.get("quantity") or 0) for s in subs), into,
               c.imported_by.name if c.imported_by else "",
               c.imported_at.isoformat(timespec="seconds") if c.imported_at else ""]


# ----------------------------------------------------------------------------------- importing

def _target(candidate: ImportCandidate, choice: str) -> tuple[Account, Licensee | None, bool]:
    """(account, licensee, created) for the form's choice."""
    kind, _, raw_id = (choice or "").partition("-")
    facts = {"companyName": candidate.company_name, "domain": candidate.domain, **(candidate.facts or {})}
    if choice == NEW_DIRECT:
        return new_direct_customer(facts, candidate.domain or candidate.tenant_id), None, True
    account = db.session.get(Account, int(raw_id)) if raw_id.isdigit() else None
    if kind == "account" and account is not None and account.kind == "customer":
        return account, None, False
    if kind == "reseller" and account is not None and account.kind == "reseller":
        return account, licensee_named(account, facts, candidate.domain or candidate.tenant_id), False
    raise ImportRefused("Choose the account to import the customer into.")


def import_candidate(candidate: ImportCandidate, choice: str, *, actor, origin) -> str:
    """Import the customer's tenant and subscriptions into the chosen account. A customer imported
    already (by this run or another) is left as it is: importing twice changes nothing."""
    if candidate.imported_at is not None:
        return f"{candidate.company_name} was imported already, into {candidate.account.name}."
    account, licensee, created = _target(candidate, choice)
    tenant = claim_tenant(candidate.tenant_id, candidate.domain, candidate.partner_center_instance, account, licensee)
    new = 0
    for raw in candidate.subscriptions or []:
        _, added = store_subscription(RemoteSubscription.from_json(raw), tenant, account, licensee,
                                      candidate.partner_center_instance)
        new += added
    candidate.imported_at, candidate.imported_by_id = utcnow(), actor.id
    candidate.account_id, candidate.licensee_id = account.id, licensee.id if licensee else None
    where = f"{licensee.company_name}, a licensee of {account.name}" if licensee else account.name
    candidate.note = f"{new} subscription{'s' if new != 1 else ''} imported into {where}."
    if created:
        audit.record("account_created", actor=actor, account=account, subject=account.name, origin=origin,
                     details={"kind": "customer", "from": "customer import", "tenant": candidate.domain})
    audit.record("customer_imported", actor=actor, account=account, subject=candidate.domain or candidate.tenant_id,
                 origin=origin, details={"run": candidate.run_id, "tenant": candidate.tenant_id, "into": where,
                                         "subscriptions": new, "reseller": candidate.reseller_partner_id})
    return f"{candidate.company_name} ({candidate.domain}): {candidate.note}"
