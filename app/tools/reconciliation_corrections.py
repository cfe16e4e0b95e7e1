"""Subscriptions reconciliation, the corrections an operator admin applies to findings, one at a time
or to all selected ones at once:

- take Partner Center's value: the storefront's copy becomes what the run read from Partner Center
  (the whole subscription, so every finding of that subscription in the run is settled);
- push the storefront's value: a change, configuration or termination order on the subscription
  (app.subscriptions.commands.place_change_order), so the usual provisioning, rules and audit apply;
  it carries the etag the run read, so a change made in Partner Center since is refused, not overwritten;
- import a subscription the storefront does not know into an account (the matching one: the reseller
  whose partner ID is on the subscription, with the customer as its licensee; else the direct customer
  holding the tenant, or one named after the customer, created when there is none);
- mark a subscription cancelled, when Partner Center no longer has it.

Every correction is audited (`reconciliation_corrected`). Nothing here calls Partner Center: the run
kept what it read on each finding. No request, no templates; writes flush, the caller commits, except
pushing, whose order is committed before its job is enqueued (as every order is).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from app.accounts.models import Account
from app.audit import services as audit
from app.catalog.terms import seats
from app.connections.services import partner_center_now
from app.extensions import db
from app.orders.models import ChangeAction, OrderType
from app.partner_center import Subscription as RemoteSubscription
from app.subscriptions.commands import ChangeLine, place_change_order
from app.subscriptions.grid import open_order
from app.subscriptions.models import Subscription, SubscriptionStatus
from app.subscriptions.sync import apply_remote
from app.time import utcnow
from app.tools.importing import (ImportRefused, claim_tenant, licensee_named, new_direct_customer,
                                 store_subscription, tenant_of)
from app.tools.models import Correction, FindingKind, ReconciliationFinding

MATCHING = "match"  # the import target "the matching account"
PUSHABLE = (FindingKind.QUANTITY, FindingKind.AUTO_RENEW, FindingKind.FRIENDLY_NAME, FindingKind.SCHEDULED_CHANGE,
            FindingKind.STATUS)
TAKEABLE = (FindingKind.STATUS, FindingKind.QUANTITY, FindingKind.AUTO_RENEW, FindingKind.TERM, FindingKind.BILLING,
            FindingKind.RENEWAL_DATE, FindingKind.SCHEDULED_CHANGE, FindingKind.FRIENDLY_NAME)


class CorrectionRefused(Exception):
    pass


@dataclass
class Outcome:
    finding: ReconciliationFinding
    done: bool
    message: str


def corrections_for(finding: ReconciliationFinding) -> list[Correction]:
    """The corrections that make sense for an open finding (none once it was corrected)."""
    if finding.resolution:
        return []
    kind = FindingKind(finding.kind)
    if kind == FindingKind.UNKNOWN_TO_STOREFRONT:
        return [Correction.IMPORT]
    if kind == FindingKind.MISSING_IN_PARTNER_CENTER:
        return [Correction.MARK_CANCELLED]
    offered = [Correction.TAKE_PARTNER_CENTER]
    if _pushable(finding):
        offered.append(Correction.PUSH_STOREFRONT)
    return offered


def _pushable(finding: ReconciliationFinding) -> bool:
    kind = FindingKind(finding.kind)
    if kind not in PUSHABLE:
        return False
    remote_status = ((finding.remote or {}).get("subscription") or {}).get("status", "")
    if kind == FindingKind.STATUS:  # only a cancellation can be pushed; nothing brings a cancelled one back
        return finding.storefront_value == SubscriptionStatus.DELETED.label and remote_status == "active"
    if kind == FindingKind.SCHEDULED_CHANGE:
        return finding.subscription is not None and finding.subscription.scheduled_quantity is not None
    return remote_status == "active"


def _remote(finding: ReconciliationFinding) -> RemoteSubscription:
    return RemoteSubscription.from_json((finding.remote or {})["subscription"])


def _resolve(findings, correction: Correction, actor, *, order_number: str | None = None,
             note: str | None = None) -> None:
    for finding in findings:
        finding.resolution, finding.resolved_at, finding.resolved_by_id = correction, utcnow(), actor.id
        finding.order_number, finding.note = order_number, note


def _open_of_subscription(finding: ReconciliationFinding) -> list[ReconciliationFinding]:
    return db.session.scalars(db.select(ReconciliationFinding).where(
        ReconciliationFinding.run_id == finding.run_id, ReconciliationFinding.subscription_id == finding.subscription_id,
        ReconciliationFinding.resolution.is_(None))).all()


def _audit(findings, correction: Correction, actor, origin, **details) -> None:
    first = findings[0]
    audit.record("reconciliation_corrected", actor=actor, account=first.account, subject=first.ms_subscription_id,
                 origin=origin, details={"run": first.run_id, "correction": correction,
                                         "findings": [{"kind": f.kind, "storefront": f.storefront_value,
                                                       "partnerCenter": f.partner_center_value} for f in findings],
                                         **details})


# ----------------------------------------------------------------------------------- the corrections

def take_partner_center(findings: list[ReconciliationFinding], actor, origin) -> str:
    finding = findings[0]
    sub = finding.subscription
    apply_remote(sub, _remote(finding), partner_center_now(), audit_outside=False)
    settled = _open_of_subscription(finding)
    _audit(settled, Correction.TAKE_PARTNER_CENTER, actor, origin)
    _resolve(settled, Correction.TAKE_PARTNER_CENTER, actor)
    return f"{sub.name}: the storefront now shows Partner Center's values."


def _change_of(finding: ReconciliationFinding, sub: Subscription, remote: RemoteSubscription, etag) -> tuple:
    kind = FindingKind(finding.kind)
    if kind == FindingKind.QUANTITY:
        return OrderType.CHANGE, {"action": ChangeAction.QUANTITY, "from": remote.quantity, "to": sub.quantity,
                                  "delta": sub.quantity - remote.quantity, "etag": etag}, \
            f"Set the seats of {sub.name} back to {sub.quantity}"
    if kind == FindingKind.SCHEDULED_CHANGE:
        return OrderType.CHANGE, {"action": ChangeAction.SCHEDULE, "from": remote.quantity,
                                  "to": sub.scheduled_quantity, "delta": 0, "etag": etag}, \
            f"Schedule {seats(sub.scheduled_quantity)} of {sub.name} for the renewal"
    if kind == FindingKind.AUTO_RENEW:
        return OrderType.CONFIGURATION, {"action": ChangeAction.AUTO_RENEW, "from": bool(remote.auto_renew_enabled),
                                         "to": sub.auto_renew, "etag": etag}, \
            f"Turn auto-renewal of {sub.name} {'on' if sub.auto_renew else 'off'}"
    if kind == FindingKind.FRIENDLY_NAME:
        return OrderType.CONFIGURATION, {"action": ChangeAction.RENAME, "from": remote.friendly_name,
                                         "to": sub.friendly_name, "etag": etag}, \
            f"Rename “{remote.friendly_name}” to “{sub.friendly_name}”"
    return OrderType.TERMINATION, {"action": ChangeAction.CANCEL, "from": remote.quantity, "to": 0,
                                   "delta": -remote.quantity, "etag": etag}, f"Cancel {sub.name}"


ORDER_TYPE_RANK = {OrderType.TERMINATION: 0, OrderType.CHANGE: 1, OrderType.CONFIGURATION: 2}


def push_storefront(findings: list[ReconciliationFinding], actor, origin) -> str:
    """One order for the subscription's selected findings: each a line, the first one carrying the etag
    the run read (the later lines follow it in the same job, so each reads the etag the one before left)."""
    sub = findings[0].subscription
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DELETED):
        raise CorrectionRefused(f"{sub.name} is {sub.status}: its value cannot be pushed to Partner Center.")
    pending = open_order(sub)
    if pending is not None:
        raise CorrectionRefused(f"A change to {sub.name} is already on its way (order {pending.number}); wait for it "
                                "to complete, then run the reconciliation again.")
    remote = _remote(findings[0])
    changes = []
    for position, finding in enumerate(findings):
        changes.append(_change_of(finding, sub, remote, remote.etag if position == 0 else None))
    order_type = min((c[0] for c in changes), key=ORDER_TYPE_RANK.get)
    if order_type == OrderType.TERMINATION:
        changes = [c for c in changes if c[0] == OrderType.TERMINATION]
        findings = [f for f in findings if f.kind == FindingKind.STATUS]
    lines = [ChangeLine(sub, change, title) for _, change, title in changes]
    key = "reconcile-" + "-".join(str(f.id) for f in findings)
    _audit(findings, Correction.PUSH_STOREFRONT, actor, origin)
    _resolve(findings, Correction.PUSH_STOREFRONT, actor)
    order = place_change_order(order_type, lines, actor=actor, origin=origin, request_key=key[:64])
    for finding in findings:
        finding.order_number = order.number
    return f"{sub.name}: order {order.number} sends the storefront's value to Partner Center."


def mark_cancelled(findings: list[ReconciliationFinding], actor, origin) -> str:
    sub = findings[0].subscription
    sub.status = SubscriptionStatus.DELETED
    sub.auto_renew = False
    settled = _open_of_subscription(findings[0])
    _audit(settled, Correction.MARK_CANCELLED, actor, origin)
    _resolve(settled, Correction.MARK_CANCELLED, actor)
    return f"{sub.name} is marked cancelled in the storefront."


# ----------------------------------------------------------------------------------- importing

def import_targets() -> list[tuple[str, str]]:
    accounts = db.session.scalars(db.select(Account).where(Account.kind.in_(("reseller", "customer")))
                                  .order_by(Account.name)).all()
    return [(MATCHING, "The matching account (the reseller on the subscription, or the direct customer)")] + [
        (str(a.id), f"{a.name} ({a.kind_label.lower()})") for a in accounts]


def _facts(finding: ReconciliationFinding) -> dict:
    return {"domain": finding.tenant_domain, **((finding.remote or {}).get("customer") or {})}


def _matching_account(finding: ReconciliationFinding, remote: RemoteSubscription) -> Account:
    tenant = tenant_of(finding.tenant_id, finding.tenant_domain)
    if tenant is not None and tenant.account is not None:
        return tenant.account
    if remote.partner_id:
        reseller = db.session.scalar(db.select(Account).where(Account.kind == "reseller",
                                                              Account.partner_id == remote.partner_id))
        if reseller is None:
            raise CorrectionRefused(f"Its reseller (partner ID {remote.partner_id}) has no account in the storefront: "
                                    "create the reseller's account first, or choose an account.")
        return reseller
    facts = _facts(finding)
    name = facts.get("companyName") or finding.customer_name or finding.tenant_domain
    account = db.session.scalar(db.select(Account).where(Account.kind == "customer",
                                                         db.func.lower(Account.name) == name.lower()))
    if account is None:
        account = new_direct_customer(facts, name)
        audit.record("account_created", account=account, subject=account.name,
                     details={"kind": "customer", "from": "reconciliation import", "tenant": finding.tenant_domain})
    return account


def _follow_partner_center(account: Account, remote: RemoteSubscription) -> None:
    """Partner Center records who resells a subscription (its partner ID on record): a chosen account
    must be that reseller's, or a direct customer's when it records none."""
    if remote.partner_id and not (account.kind == "reseller" and account.partner_id == remote.partner_id):
        raise CorrectionRefused(f"Partner Center records partner ID {remote.partner_id} as this subscription's "
                                f"reseller: it can be imported only into that reseller's account, not into "
                                f"{account.name}.")
    if not remote.partner_id and account.kind == "reseller":
        raise CorrectionRefused(f"Partner Center records no reseller on this subscription: import it into a direct "
                                f"customer account, not as a licensee of {account.name}.")


def import_subscription(findings: list[ReconciliationFinding], actor, origin, target: str = MATCHING) -> str:
    finding = findings[0]
    remote = _remote(finding)
    if db.session.scalar(db.select(Subscription.id).where(Subscription.ms_subscription_id == remote.id.lower())):
        _resolve([finding], Correction.IMPORT, actor, note="Already in the storefront.")
        return f"{remote.friendly_name or remote.id} was already in the storefront."
    tenant = tenant_of(finding.tenant_id, finding.tenant_domain)
    if target == MATCHING:
        account = _matching_account(finding, remote)
    else:
        account = db.session.get(Account, int(target)) if str(target).isdigit() else None
        if account is None or account.kind not in ("reseller", "customer"):
            raise CorrectionRefused("Choose the account to import into.")
        if tenant is None or tenant.account_id in (None, account.id):  # else claim_tenant says whose it is
            _follow_partner_center(account, remote)
    licensee = None
    if account.kind == "reseller":
        licensee = (tenant.licensee if tenant is not None and tenant.licensee and tenant.account_id == account.id
                    else licensee_named(account, _facts(finding), finding.customer_name or finding.tenant_domain))
    try:
        tenant = claim_tenant(finding.tenant_id, finding.tenant_domain, finding.partner_center_instance, account,
                              licensee)
    except ImportRefused as refused:
        raise CorrectionRefused(str(refused)) from None
    sub, _ = store_subscription(remote, tenant, account, licensee, finding.partner_center_instance)
    finding.subscription_id, finding.account_id = sub.id, account.id
    where = f"{licensee.company_name} of {account.name}" if licensee else account.name
    _audit([finding], Correction.IMPORT, actor, origin, into=where, agreement=sub.agreement.number)
    _resolve([finding], Correction.IMPORT, actor, note=f"Imported into {where} ({sub.agreement.number}).")
    return f"{sub.name} of {finding.customer_name or finding.tenant_domain} is imported into {where}."


# ----------------------------------------------------------------------------------- applying

APPLY = {Correction.TAKE_PARTNER_CENTER: take_partner_center, Correction.PUSH_STOREFRONT: push_storefront,
         Correction.MARK_CANCELLED: mark_cancelled}


def apply(findings: list[ReconciliationFinding], correction: Correction, *, actor, origin,
          target: str = MATCHING) -> list[Outcome]:
    """Apply one correction to every finding given; a finding it does not suit (or that was corrected
    meanwhile) is left as it is, with the reason. Findings of one subscription are corrected together.
    Commits after each subscription (a pushed order commits itself before its job is enqueued)."""
    outcomes: list[Outcome] = []
    suitable = []
    for finding in findings:
        if correction not in corrections_for(finding):
            reason = ("it was corrected already" if finding.resolution
                      else f"“{correction.label}” does not apply to “{finding.kind_label}”")
            outcomes.append(Outcome(finding, False, f"{finding.product or finding.ms_subscription_id}: not changed, "
                                                    f"{reason}."))
        else:
            suitable.append(finding)
    group_key = lambda f: (f.subscription_id or 0, f.ms_subscription_id)  # noqa: E731
    for _, group in groupby(sorted(suitable, key=lambda f: (*group_key(f), f.id)), key=group_key):
        group = [f for f in group if not f.resolution]  # a correction earlier in the loop may have settled it
        if not group:
            continue
        try:
            if correction == Correction.IMPORT:
                message = import_subscription(group, actor, origin, target)
            else:
                message = APPLY[correction](group, actor, origin)
        except CorrectionRefused as refused:
            db.session.rollback()
            outcomes.extend(Outcome(f, False, str(refused)) for f in group)
            continue
        db.session.commit()
        outcomes.extend(Outcome(f, True, message) for f in group)
    return outcomes
