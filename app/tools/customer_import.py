"""Import Partner Center customers (admin > Tools > Customer import): the operator's Partner Center
customers that the storefront does not know, read page by page by a job
(app/tools/customer_import_jobs.py), each with its domains, its indirect reseller (matched to a reseller
account by tenant id or partner ID) and its subscriptions; then, per customer, the operator's choice of
account and the import of its tenant and subscriptions (app/tools/importing.py). Partner Center records
who resells to a customer, so the choice follows it: an indirect customer becomes a licensee of its
reseller's account only, a direct customer a direct customer account (new or existing); any other
choice is refused with why. Importing twice changes nothing.
No request, no templates; writes flush, the caller commits.
"""
from __future__ import annotations

from app.accounts.models import Account, Licensee, Tenant
from app.audit import services as audit
from app.extensions import db
from app.partner_center import Subscription as RemoteSubscription
from app.subscriptions.models import Agreement, Subscription
from app.time import utcnow
from app.tools.importing import (ImportRefused, claim_tenant, licensee_named, new_direct_customer, store_subscription,
                                tenant_of)
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
    run.message = (f"{run.customers_read} Partner Center customer{'s' if run.customers_read != 1 else ''} read; "
                   f"{run.candidates_count} "
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


def partner_centers_reseller(candidate: ImportCandidate) -> Account | None:
    """The reseller account of the indirect reseller Partner Center records for the customer, matched
    now (a reseller account added since the reading counts); None for a direct customer, or when no
    reseller account matches."""
    if not candidate.indirect:
        return None
    return matching_reseller(candidate.reseller_tenant_id, candidate.reseller_partner_id)


def holder(candidate: ImportCandidate) -> Account | None:
    """The account that holds the customer's tenant in the storefront already (imported from another
    reading meanwhile, or ordered for): there is nothing left to import."""
    tenant = tenant_of(candidate.tenant_id, candidate.domain)
    return tenant.account if tenant is not None else None


def namesakes(candidate: ImportCandidate) -> list[Account]:
    """Other resellers with a licensee of the customer's name in the storefront (one migrated from a
    previous portal, say): nothing links it to this tenant, so importing leaves it as it is, and the
    page says so rather than import beside it silently."""
    offered = partner_centers_reseller(candidate)
    name = (candidate.company_name or "").lower()
    holding = db.select(Licensee.reseller_id).where(db.func.lower(Licensee.company_name) == name,
                                                    Licensee.archived_at.is_(None))
    return db.session.scalars(db.select(Account).where(Account.id.in_(holding), Account.id != (
        offered.id if offered else -1)).order_by(Account.name)).all()


def namesakes_words(candidate: ImportCandidate) -> str | None:
    found = namesakes(candidate)
    if not found:
        return None
    # "Fourth Coffee Reseller", "Contoso Pharmacy Reseller and Fourth Coffee Reseller", "A, B and C".
    names = " and ".join(filter(None, (", ".join(a.name for a in found[:-1]), found[-1].name)))
    return (f"{names} already {'has a licensee' if len(found) == 1 else 'have licensees'} named "
            f"{candidate.company_name} in the storefront, with no tenant recorded: importing leaves "
            f"{'it' if len(found) == 1 else 'them'} as {'it is' if len(found) == 1 else 'they are'}; "
            f"ask {names} whether it is the same company.")


def _reseller_words(candidate: ImportCandidate) -> str:
    return " ".join(filter(None, [candidate.reseller_name or "a reseller",
                                  f"(partner ID {candidate.reseller_partner_id})" if candidate.reseller_partner_id else None]))


def not_offered(candidate: ImportCandidate) -> str | None:
    """Why the customer has no import choice (its Import form is not shown), or None."""
    held = holder(candidate)
    if held is not None:
        return f"Its tenant {candidate.domain or candidate.tenant_id} belongs to {held.name} in the storefront now: " \
               "there is nothing left to import."
    if candidate.indirect and partner_centers_reseller(candidate) is None:
        return (f"Partner Center records {_reseller_words(candidate)} as its indirect reseller, and no reseller "
                "account matches: add that reseller under Partners > Accounts, then import the customer as its licensee.")
    return None


def targets_for(candidate: ImportCandidate) -> list[tuple[str, str]]:
    """The import form's choices. Partner Center records a customer's indirect reseller, so an indirect
    customer is offered only as a licensee of that reseller's account, and a direct customer only as a
    direct customer account (a new one, or an existing one: the one of its name first). None while
    `not_offered` says why."""
    if not_offered(candidate):
        return []
    reseller = partner_centers_reseller(candidate)
    if reseller is not None:
        return [(f"reseller-{reseller.id}", f"Licensee of {reseller.name}")]  # the reseller column says why
    accounts = db.session.scalars(db.select(Account).where(Account.kind == "customer").order_by(Account.name)).all()
    choices = [(NEW_DIRECT, "New direct customer account")]  # named after the customer
    choices += [(f"account-{a.id}", f"{a.name} (direct customer)") for a in accounts]
    default = default_target(candidate)
    return sorted(choices, key=lambda c: c[0] != default)


def default_target(candidate: ImportCandidate) -> str:
    reseller = partner_centers_reseller(candidate)
    if reseller is not None:
        return f"reseller-{reseller.id}"
    same_name = db.session.scalar(db.select(Account.id).where(
        Account.kind == "customer", db.func.lower(Account.name) == (candidate.company_name or "").lower()))
    return f"account-{same_name}" if same_name else NEW_DIRECT


def refusal(candidate: ImportCandidate, choice: str) -> str | None:
    """Why the customer cannot be imported into `choice` (a value of the form), or None when it can."""
    why = not_offered(candidate)
    if why or choice in dict(targets_for(candidate)):
        return why
    name = candidate.company_name or candidate.domain
    reseller = partner_centers_reseller(candidate)
    if reseller is not None:
        return (f"Partner Center records {_reseller_words(candidate)} as the indirect reseller of {name}: it can "
                f"be imported only as a licensee of {reseller.name}, not into another account.")
    if choice.startswith("reseller-"):
        return (f"Partner Center records no indirect reseller for {name}: import it as a direct customer. It becomes "
                "a reseller's customer when it accepts that reseller's relationship request in Partner Center.")
    return "Choose the account to import the customer into."


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
    """(account, licensee, created) for the form's choice; refused unless it is one targets_for offers."""
    refused = refusal(candidate, choice or "")
    if refused:
        raise ImportRefused(refused)
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
    also = namesakes_words(candidate)
    if created:  # an account with no user: the operator invites its first admin, or nobody ever signs in
        also = f"Nobody can sign in to {account.name} yet: invite its first admin on its page. {also}".strip()
    return f"{candidate.company_name} ({candidate.domain}): {candidate.note}" + (f" {also}" if also else "")
