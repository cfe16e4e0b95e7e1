"""Onboarding rules: the operator creates resellers and direct customers (each with its first
account admin, invited by email), edits them, checks a reseller's partner ID with Partner Center,
suspends and reactivates them. Write operations flush; the view commits once. Nothing is deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from datetime import date

from app.accounts.markets import market_for
from app.accounts.models import Account, User
from app.accounts.services import partner_id_holder
from app.audit import services as audit
from app.audit.models import AuditEvent
from app.audit.services import Origin
from app.auth.invitations import EMAIL_TAKEN, InvitationError, invite, user_with_email
from app.auth.sessions import end_all_sessions
from app.connections.person import TooFast, partner_center_problem, person_client
from app.connections.services import connection_for
from app.extensions import db
from app.partner_center import PartnerCenterError
from app.partners import network
from app.time import on_days, utcnow
from app.web.query import ListPage, SearchState, page_of

KINDS = ("reseller", "customer")
PER_PAGE = 25

RESELLER_FIELDS = ("name", "country", "partner_id", "partner_tenant_id", "markets")
CUSTOMER_FIELDS = ("name", "country", "address_line1", "address_line2", "city", "state", "postal_code")


class OnboardingError(Exception):
    """What the operator typed cannot be saved: `field` names the form field, `message` says why;
    `more` ({field: message}) the other fields refused at the same time."""

    def __init__(self, field: str, message: str, more: dict | None = None):
        self.field = field
        self.message = message
        self.more = more or {}
        super().__init__(message)


@dataclass(frozen=True)
class FirstAdmin:
    first_name: str
    last_name: str
    email: str


# ----------------------------------------------------------------------------------- the list

@dataclass
class AccountFilters(SearchState):
    kind: str = ""
    status: str = ""
    country: str = ""
    created_from: date | None = None
    created_to: date | None = None


def search_accounts(filters: AccountFilters, per_page: int = PER_PAGE) -> ListPage[Account]:
    """Resellers and direct customers (never the operator itself), by name."""
    query = db.select(Account).where(Account.kind.in_(KINDS))
    if filters.q:
        like = f"%{filters.q.lower()}%"
        user_match = db.select(User.id).where(User.account_id == Account.id, db.func.lower(User.email).like(like))
        query = query.where(db.or_(db.func.lower(Account.name).like(like), Account.partner_id.like(like),
                                   user_match.exists()))
    if filters.kind in KINDS:
        query = query.where(Account.kind == filters.kind)
    if filters.status in ("active", "suspended"):
        query = query.where(Account.status == filters.status)
    if filters.country:
        query = query.where(Account.country == filters.country.upper())
    query = query.where(*on_days(Account.created_at, filters.created_from, filters.created_to))
    return page_of(query.order_by(db.func.lower(Account.name), Account.id), filters.page, per_page)


def find_account(account_id: int) -> Account | None:
    """A reseller or direct customer; the operator's own account is not managed here."""
    account = db.session.get(Account, account_id)
    return account if account is not None and account.kind in KINDS else None


def history(account: Account, limit: int = 20) -> list[AuditEvent]:
    """What happened to the account, newest first: its onboarding, edits, suspensions, checks."""
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.account_id == account.id,
                                                          AuditEvent.action.like("account_%"))
                              .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)).all()


# ----------------------------------------------------------------------------------- Partner Center

def _serving(country: str | None, account: Account | None = None) -> str:
    """The connection that serves (or will serve) a reseller of this country: its pin, else its market's."""
    if account is not None and account.partner_center_connection:
        return account.partner_center_connection
    return connection_for(market=market_for(SimpleNamespace(country=country)))


def _ask_network(partner_id: str, tenant_id: str | None, actor: User, serving: str) -> network.NetworkCheck:
    """The network's answer; a typo (unknown partner, another tenant) is refused at its field, and a
    check that could not be made says why at the partner ID."""
    try:
        # Asked of the connection that serves (or will serve) the reseller: its reseller network.
        check = network.check_partner_id(person_client(actor.id, connection=serving), partner_id, tenant_id)
    except (PartnerCenterError, TooFast) as error:
        raise OnboardingError("partner_id", partner_center_problem(error)) from None
    if check.verdict == network.UNKNOWN_PARTNER:
        raise OnboardingError("partner_id", f"{check.reason} Check the number with the reseller.")
    if check.verdict == network.TENANT_MISMATCH:
        raise OnboardingError("partner_tenant_id", f"{check.reason} Check the tenant ID with the reseller.")
    return check


ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")


def _check_address(fields: dict, actor: User, serving: str) -> None:
    """A direct customer's billing address follows its country's rules from Partner Center (state,
    city, postal code), as a licensee's does: its checkout creates the customer with it."""
    from app.settings.licensees import remember_rules, rule_problems

    country = (fields.get("country") or "").upper()
    try:
        rules = person_client(actor.id, connection=serving).get_country_rules(country)
    except (PartnerCenterError, TooFast) as error:
        raise OnboardingError("address_line1", partner_center_problem(error)) from None
    remember_rules(country, rules)
    address = {name: (fields.get(name) or "").strip() for name in ADDRESS_FIELDS}
    problems = rule_problems(country, rules, registration_id="", phone="", address=address)
    if problems:
        first = next(name for name in ADDRESS_FIELDS if name in problems)
        raise OnboardingError(first, problems.pop(first), more=problems)


def record_readiness(account: Account, check: network.NetworkCheck) -> None:
    """Partner Center's answer on the account (READY / INQUIRING, why, when), as admin > Accounts shows it."""
    account.partner_status = check.readiness
    account.partner_status_reason = check.reason
    account.partner_checked_at = utcnow()


def _own_partner_id(partner_id: str, account: Account | None = None) -> None:
    holder = partner_id_holder(partner_id, but_not=account.id if account is not None and account.id else None)
    if holder is not None:
        raise OnboardingError("partner_id", f"Partner ID {partner_id} already belongs to {holder.name} in this "
                                            "storefront: one partner ID, one reseller.")


def check_partner(account: Account, *, actor: User, origin: Origin) -> str | None:
    """Ask Partner Center again about a reseller's partner ID and tenant ID and record the answer
    on the account. Returns why the check could not be made (nothing recorded then), else None."""
    if not account.partner_id:  # a migrated reseller, say: Partner Center has nothing to be asked about
        return (f"{account.name} has no partner ID yet, so there is nothing to check with Partner Center: add its "
                "partner ID (MPN ID) and Partner Center tenant ID under Edit details, which checks them.")
    try:
        check = network.check_partner_id(person_client(actor.id, account=account), account.partner_id or "",
                                         account.partner_tenant_id)
    except (PartnerCenterError, TooFast) as error:
        return partner_center_problem(error, entered=False)  # a button: nothing was typed
    record_readiness(account, check)
    audit.record("account_partner_checked", actor=actor, account=account, subject=account.name, origin=origin,
                 details={"partner_id": account.partner_id, "readiness": check.readiness.upper(),
                          "reason": check.reason})
    db.session.flush()
    return None


# ----------------------------------------------------------------------------------- creating

def create_account(kind: str, details: dict, admin: FirstAdmin, *, actor: User, origin: Origin) -> Account:
    """A reseller (checked with Partner Center first) or a direct customer, and the invitation of its
    first account admin. Raises OnboardingError (nothing added) when something must be corrected."""
    if kind not in KINDS:
        raise ValueError(f"not an account kind the operator onboards: {kind}")
    fields = {name: details.get(name) for name in (RESELLER_FIELDS if kind == "reseller" else CUSTOMER_FIELDS)}
    check = None
    if kind == "reseller":
        _own_partner_id(fields["partner_id"])
        check = _ask_network(fields["partner_id"], fields["partner_tenant_id"], actor, _serving(fields.get("country")))
    else:
        _check_address(fields, actor, _serving(fields.get("country")))
    account = Account(kind=kind, status="active", **_cleaned(fields))
    if check is not None:
        record_readiness(account, check)
    db.session.add(account)
    db.session.flush()
    try:
        invite(account, email=admin.email, first_name=admin.first_name, last_name=admin.last_name, role="admin",
               invited_by=actor, origin=origin)
    except InvitationError as refused:
        raise OnboardingError(f"admin_{refused.field}", refused.message) from None
    audit.record("account_created", actor=actor, account=account, subject=account.name, origin=origin,
                 details={"kind": kind, **_audited(fields), "first_admin": admin.email,
                          **({"readiness": check.readiness.upper()} if check else {})})
    db.session.flush()
    return account


def just_created(kind: str, name: str, admin: FirstAdmin, *, actor: User) -> Account | None:
    """The account `actor` created a moment ago from this very form (its kind, name and first admin, whose
    invitation is still pending): the same press sent twice, not a second account (invitations.SAME_PRESS)."""
    from app.auth.invitations import just_sent

    account = db.session.scalar(db.select(Account).where(
        Account.kind == kind, Account.name == (name or "").strip()).order_by(Account.id.desc()).limit(1))
    if account is None:
        return None
    sent = just_sent(account, email=admin.email, first_name=admin.first_name, last_name=admin.last_name,
                     role="admin", invited_by=actor)
    return account if sent is not None else None


def taken_email(email: str | None) -> str | None:
    """Why a first admin cannot be invited at `email` (already a user's), checked with the form's fields
    so it is said with their errors; None when free."""
    if (email or "").strip() and user_with_email(email) is not None:
        return EMAIL_TAKEN
    return None


def _cleaned(fields: dict) -> dict:
    """Empty optional fields are stored as NULL, the country upper-cased."""
    cleaned = {k: (v or None) if isinstance(v, str) else v for k, v in fields.items()}
    if cleaned.get("country"):
        cleaned["country"] = cleaned["country"].upper()
    return cleaned


def _audited(fields: dict) -> dict:
    return {k: v for k, v in _cleaned(fields).items() if v not in (None, [], "")}


# ----------------------------------------------------------------------------------- editing

def update_account(account: Account, details: dict, *, actor: User, origin: Origin) -> dict:
    """Save the operator's changes; a reseller whose partner ID or tenant ID changed is checked with
    Partner Center again. Returns what changed ({field: (from, to)}); raises OnboardingError."""
    names = RESELLER_FIELDS if account.kind == "reseller" else CUSTOMER_FIELDS
    new = _cleaned({name: details.get(name) for name in names})
    changed = {name: (getattr(account, name), new[name]) for name in names if getattr(account, name) != new[name]}
    if not changed:
        return {}
    check = None
    if account.kind == "reseller" and ({"partner_id", "partner_tenant_id"} & set(changed)):
        _own_partner_id(new["partner_id"], account)
        check = _ask_network(new["partner_id"], new["partner_tenant_id"], actor,
                             _serving(new.get("country") or account.country, account))
    if account.kind == "customer" and ({"country", *ADDRESS_FIELDS} & set(changed)):
        _check_address(new, actor, _serving(new.get("country") or account.country, account))
    for name, (_, value) in changed.items():
        setattr(account, name, value)
    if check is not None:
        record_readiness(account, check)
    audit.record("account_updated", actor=actor, account=account, subject=account.name, origin=origin,
                 details={**{k: {"from": v[0], "to": v[1]} for k, v in changed.items()},
                          **({"readiness": check.readiness.upper()} if check else {})})
    db.session.flush()
    return changed


# ----------------------------------------------------------------------------------- suspending

def pin_connection(account: Account, connection: str | None, *, actor: User, origin: Origin) -> None:
    """Serve the account by `connection` whatever its market (None: by its market again)."""
    before = account.partner_center_connection
    account.partner_center_connection = connection
    audit.record("account_connection_pinned" if connection else "account_connection_unpinned", actor=actor,
                 account=account, subject=account.name, origin=origin,
                 details={"from": before or "by market", "to": connection or "by market"})
    db.session.flush()


def suspend(account: Account, reason: str | None, *, actor: User, origin: Origin) -> bool:
    """Its users can no longer sign in or order (their sessions end); nothing is deleted. False when
    it already was suspended."""
    if account.is_suspended:
        return False
    account.status = "suspended"
    account.suspended_at = utcnow()
    account.suspension_reason = (reason or "").strip() or None
    for user in account.users:  # signed out for good: reactivating asks for the password again
        end_all_sessions(user)
    audit.record("account_suspended", actor=actor, account=account, subject=account.name, origin=origin,
                 details={"reason": account.suspension_reason} if account.suspension_reason else {})
    db.session.flush()
    return True


def reactivate(account: Account, *, actor: User, origin: Origin) -> bool:
    """Its users sign in and order again. False when it was not suspended."""
    if not account.is_suspended:
        return False
    account.status = "active"
    account.suspended_at = None
    account.suspension_reason = None
    audit.record("account_reactivated", actor=actor, account=account, subject=account.name, origin=origin)
    db.session.flush()
    return True
