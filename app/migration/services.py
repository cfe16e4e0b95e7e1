"""The rules of a migration: scheduling an account, completing it (the legacy users are mailed and
invited), what its users are told (banner before, notices after), the read-only archive scoped to
the signed-in account, and the onboarding webinars. No request here; writes flush, callers commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.accounts.models import Account, User
from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.auth import invitations
from app.auth.models import Invitation
from app.extensions import db
from app.mail import absolute_url, queue_mail
from app.migration.models import (MIGRATED, NOTICE_ENROL, NOTICE_WEBINARS, SCHEDULED, ArchivedInvoice,
                                  ArchivedOrder, HiddenNotice, MigratedAccount, MigratedUser, OnboardingWebinar)
from app.time import utcnow
from app.web.refusal import FieldRefused

ARCHIVE_PATH = "/archive"  # where the migrated history is read (routes: migration.archive)
GETTING_STARTED_PATH = "/getting-started"


class MigrationError(FieldRefused):
    """A migration change that cannot be made; `field` names the form field the message goes next to."""


def migration_of(account: Account | None) -> MigratedAccount | None:
    if account is None:
        return None
    return db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.account_id == account.id))


def migrated_accounts() -> list[MigratedAccount]:
    return db.session.scalars(db.select(MigratedAccount).join(Account)
                              .order_by(MigratedAccount.state.desc(), Account.name)).all()


def accounts_to_schedule() -> list[Account]:
    """Resellers and direct customers not yet in a migration, for the operator's Schedule form."""
    taken = db.select(MigratedAccount.account_id)
    return db.session.scalars(db.select(Account).where(Account.kind.in_(("reseller", "customer")),
                                                       Account.id.not_in(taken)).order_by(Account.name)).all()


# ------------------------------------------------------------------------------------- operator

def schedule(account: Account | None, *, legacy_id: str, scheduled_for: date | None, actor: User,
             origin: Origin) -> MigratedAccount:
    """Announce that an existing account will be migrated: its users see the banner from now on. The
    legacy id is the account's id in the migration file, so the import updates this account."""
    legacy_id = (legacy_id or "").strip()
    if account is None or account.kind not in ("reseller", "customer"):
        raise MigrationError("account", "Choose a reseller or a direct customer.")
    if migration_of(account) is not None:
        raise MigrationError("account", f"{account.name} is already in a migration.")
    if not legacy_id:
        raise MigrationError("legacy_id", "Enter the account's id in the previous portal (its legacy_id in the "
                                          "migration file).")
    if len(legacy_id) > 64:
        raise MigrationError("legacy_id", "Use at most 64 characters.")
    if db.session.scalar(db.select(MigratedAccount.id).where(MigratedAccount.legacy_id == legacy_id)):
        raise MigrationError("legacy_id", f"Legacy id {legacy_id} is already used by another account.")
    migrated = MigratedAccount(legacy_id=legacy_id, account=account, state=SCHEDULED, scheduled_for=scheduled_for)
    db.session.add(migrated)
    audit.record("migration_scheduled", actor=actor, account=account, subject=account.name, origin=origin,
                 details={"legacy_id": legacy_id, "scheduled_for": scheduled_for.isoformat() if scheduled_for else None})
    db.session.flush()
    return migrated


def migrated_account_by_id(migrated_id: int) -> MigratedAccount | None:
    return db.session.get(MigratedAccount, migrated_id)


def complete_migration(migrated: MigratedAccount, *, actor: User | None, origin: Origin = SYSTEM,
                       invite: bool = True) -> dict[str, str]:
    """Mark the account migrated (once) and mail every legacy user not yet invited: a message that the
    account moved, and an invitation to join it. {legacy user id: why it was not invited}.
    `invite=False` is for the demo data, which creates the users itself: no mail, no audit event."""
    account = migrated.account
    if migrated.state != MIGRATED:
        migrated.state, migrated.migrated_at = MIGRATED, utcnow()
        if invite:
            audit.record("account_migrated", actor=actor, account=account, subject=account.name, origin=origin,
                         details={"legacy_id": migrated.legacy_id})
    problems = {}
    if not invite:
        db.session.flush()
        return problems
    for person in migrated.users:
        if person.invitation_id is not None or person.user_id is not None:
            continue
        try:
            with db.session.begin_nested():
                invitation = invitations.invite(account, email=person.email, first_name=person.first_name,
                                    last_name=person.last_name, role=person.role, invited_by=actor, origin=origin)
                person.invitation_id = invitation.id
                _mail_moved(person, account)
                db.session.flush()
        except invitations.InvitationError as refused:
            problems[person.legacy_id] = f"Not invited: {refused.message}"
    db.session.flush()
    return problems


def _mail_moved(person: MigratedUser, account: Account) -> None:
    queue_mail(to=person.email, subject=f"{account.name} has moved to the new storefront", template="account_migrated",
               category="invitations", account_id=account.id,
               context={"first_name": person.first_name, "account_name": account.name,
                        "is_reseller": account.kind == "reseller", "archive_url": absolute_url(ARCHIVE_PATH),
                        "getting_started_url": absolute_url(GETTING_STARTED_PATH),
                        "webinars": upcoming_webinars()})


def invitation_status(person: MigratedUser) -> str:
    """"joined", "invited", "invitation expired", "not invited yet", "revoked" for the operator's list."""
    if person.user_id is not None:
        return "joined"
    if person.invitation_id is None:
        return "not invited yet"
    invitation = db.session.get(Invitation, person.invitation_id)
    return {"accepted": "joined", "pending": "invited", "expired": "invitation expired",
            "revoked": "invitation revoked"}[invitation.status()]


# ----------------------------------------------------------------------------- what users see

@dataclass(frozen=True)
class History:
    """What every page's layout asks about the signed-in account: whether it has migrated history (its
    navigation shows Archive) and its migration (the banner before it, the notices after it)."""
    has_archive: bool
    migration: MigratedAccount | None


def has_archive_expression(account_id, *, operator: bool = False):
    """Whether the account `account_id` (a value or a bind parameter) has migrated history (the
    operator: whether any account has), as a SQL expression (the navigation's Archive entry)."""
    return db.or_(*(db.select(model.id).where(db.true() if operator else model.account_id == account_id).exists()
                    for model in (ArchivedOrder, ArchivedInvoice)))


def migration_id_expression(account_id):
    """The id of the migration of the account `account_id` (a value or a bind parameter), if any, as a
    scalar SQL expression."""
    return db.select(MigratedAccount.id).where(MigratedAccount.account_id == account_id).scalar_subquery()


_UNREAD = object()  # migration not read yet


def banner_for(user, migrated=_UNREAD) -> MigratedAccount | None:
    """The migration of the user's account while it is scheduled (the "migrated soon" banner).
    `migrated`: the account's migration when the caller has read it already."""
    if user is None or not user.is_authenticated or user.account.kind == "operator":
        return None
    if migrated is _UNREAD:
        migrated = migration_of(user.account)
    return migrated if migrated is not None and migrated.state == SCHEDULED else None


def hidden_notices(user) -> dict[str, datetime]:
    return {row.notice: row.hidden_at for row in db.session.scalars(
        db.select(HiddenNotice).where(HiddenNotice.user_id == user.id))}


def notices_for(user, migrated=_UNREAD, *, enrolled: bool = False) -> dict:
    """After migration: the prompt to enrol in the CSP Partner Program (resellers, until the account is
    `enrolled`: it has a usable certificate) and the upcoming onboarding webinars, each until the user
    hides it (a webinar added later shows it again).
    `migrated`: the account's migration when the caller has read it already."""
    if user is None or not user.is_authenticated or user.account.kind == "operator":
        return {}
    if migrated is _UNREAD:
        migrated = migration_of(user.account)
    if migrated is None or migrated.state != MIGRATED:
        return {}
    hidden = hidden_notices(user)
    notices = {}
    if user.account.kind == "reseller" and not enrolled and NOTICE_ENROL not in hidden:
        notices[NOTICE_ENROL] = True
    webinars = upcoming_webinars()
    if webinars and (NOTICE_WEBINARS not in hidden
                     or max(w.created_at for w in webinars) > hidden[NOTICE_WEBINARS]):
        notices[NOTICE_WEBINARS] = webinars
    return notices


def hide_notice(user: User, notice: str) -> None:
    if notice not in (NOTICE_ENROL, NOTICE_WEBINARS):
        raise MigrationError("notice", "There is no such notice.")
    row = db.session.scalar(db.select(HiddenNotice).where(HiddenNotice.user_id == user.id,
                                                          HiddenNotice.notice == notice))
    if row is None:
        db.session.add(HiddenNotice(user_id=user.id, notice=notice, hidden_at=utcnow()))
    else:
        row.hidden_at = utcnow()
    db.session.flush()


def has_archive(account: Account) -> bool:
    """Whether the account has migrated history, an order or an invoice (its navigation shows Archive;
    the operator's when any account has)."""
    return any(db.session.scalar(_scoped(model, account).with_only_columns(model.id).limit(1)) is not None
               for model in (ArchivedOrder, ArchivedInvoice))


# ------------------------------------------------------------------------------------ archive

def _scoped(model, account: Account):
    query = db.select(model)
    if account.kind != "operator":
        query = query.where(model.account_id == account.id)
    return query


def archived_orders(account: Account) -> list[ArchivedOrder]:
    """The account's imported orders (the operator: every account's), newest first."""
    return db.session.scalars(_scoped(ArchivedOrder, account)
                              .order_by(ArchivedOrder.placed_on.desc(), ArchivedOrder.id.desc())).all()


def archived_invoices(account: Account) -> list[ArchivedInvoice]:
    return db.session.scalars(_scoped(ArchivedInvoice, account)
                              .order_by(ArchivedInvoice.issued_on.desc(), ArchivedInvoice.id.desc())).all()


def archived_order_of(account: Account, order_id: int) -> ArchivedOrder | None:
    """One imported order of the account by id (the operator: any account's); None otherwise."""
    return db.session.scalar(_scoped(ArchivedOrder, account).where(ArchivedOrder.id == order_id))


def archived_invoice_of(account: Account, invoice_id: int) -> ArchivedInvoice | None:
    return db.session.scalar(_scoped(ArchivedInvoice, account).where(ArchivedInvoice.id == invoice_id))


def invoices_of_order(order: ArchivedOrder) -> list[ArchivedInvoice]:
    return [invoice for invoice in db.session.scalars(db.select(ArchivedInvoice).where(
        ArchivedInvoice.account_id == order.account_id).order_by(ArchivedInvoice.issued_on))
        if order.number in (invoice.order_numbers or [])]


# ----------------------------------------------------------------------------------- webinars

def upcoming_webinars(now: datetime | None = None) -> list[OnboardingWebinar]:
    return db.session.scalars(db.select(OnboardingWebinar).where(OnboardingWebinar.starts_at >= (now or utcnow()))
                              .order_by(OnboardingWebinar.starts_at)).all()


def all_webinars() -> list[OnboardingWebinar]:
    return db.session.scalars(db.select(OnboardingWebinar).order_by(OnboardingWebinar.starts_at.desc())).all()


def add_webinar(*, title: str, starts_at: datetime, url: str, actor: User, origin: Origin) -> OnboardingWebinar:
    webinar = OnboardingWebinar(title=title.strip(), starts_at=starts_at, url=url.strip(), created_at=utcnow())
    db.session.add(webinar)
    db.session.flush()
    audit.record("onboarding_webinar_added", actor=actor, subject=webinar.title, origin=origin,
                 details={"starts_at": starts_at.isoformat(), "url": webinar.url})
    db.session.flush()
    return webinar


def change_webinar(webinar: OnboardingWebinar, *, title: str, starts_at: datetime, url: str, actor: User,
                   origin: Origin) -> None:
    """A new title, time or link (a webinar moved, or its registration page changed); audited from and to."""
    new = {"title": title.strip(), "starts_at": starts_at, "url": url.strip()}
    changes = {name: {"from": _audited(getattr(webinar, name)), "to": _audited(value)}
               for name, value in new.items() if getattr(webinar, name) != value}
    for name, value in new.items():
        setattr(webinar, name, value)
    if changes:
        audit.record("onboarding_webinar_changed", actor=actor, subject=webinar.title, origin=origin, details=changes)
    db.session.flush()


def _audited(value):
    return value.isoformat() if isinstance(value, datetime) else value


def remove_webinar(webinar: OnboardingWebinar, *, actor: User, origin: Origin) -> None:
    audit.record("onboarding_webinar_removed", actor=actor, subject=webinar.title, origin=origin,
                 details={"starts_at": webinar.starts_at.isoformat(), "url": webinar.url})
    db.session.delete(webinar)
    db.session.flush()
