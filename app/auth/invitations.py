"""Invitations: a person is asked by email to join an account, and becomes a user by accepting.

    from app.auth.invitations import invite
    invite(account, email=..., first_name=..., last_name=..., role="member", invited_by=me, origin=origin)

The link is signed and single-use, valid for INVITATION_DAYS; resending mails a new link (the old
one stops working) good for INVITATION_DAYS again; revoking ends it. A link that no longer works
says why, and an expired or revoked one lets the invitee ask the account's admins for a new one.
Writes flush; the caller commits (the mail leaves after that commit).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import url_for
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.accounts.models import USER_ROLES, Account, TenantLock, User
from app.audit import services as audit
from app.audit.services import Origin
from app.auth import tokens
from app.auth.models import ACCEPTED, EXPIRED, PENDING, REVOKED, Invitation
from app.auth.passwords import password_problem
from app.extensions import db
from app.mail import absolute_url, queue_mail
from app.time import utcnow

INVITATION_DAYS = 7
TOKEN_KIND = "invitation"
ACCEPT_PATH = "/accept-invitation"  # the accept page (routes: auth.accept_invitation); mailed from jobs and the CLI too
# The invitee may ask for a new link once a day: a second click should not mail the admins again.
RENEWAL_REQUEST_EVERY = timedelta(days=1)
ROLE_LABELS = {"admin": "account admin", "member": "member"}
# The role as the invitation mail says it: "join Adatum as a member".
ROLE_WITH_ARTICLE = {"admin": "an account admin", "member": "a member"}


class InvitationError(Exception):
    """An invitation that cannot be made or changed; `field` names the form field the message goes
    next to (first_name, last_name, email or role)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# ------------------------------------------------------------------------------------- inviting

def invite(account: Account, *, email: str, first_name: str, last_name: str, role: str,
           invited_by: User | None, origin: Origin) -> Invitation:
    """Invite `email` to `account` with `role` ("admin" or "member") and mail the link."""
    email = _checked_email(email)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name:
        raise InvitationError("first_name", "Enter the first name.")
    if not last_name:
        raise InvitationError("last_name", "Enter the last name.")
    if len(first_name) > 60 or len(last_name) > 60:
        raise InvitationError("first_name" if len(first_name) > 60 else "last_name", "Use at most 60 characters.")
    if role not in USER_ROLES:
        raise InvitationError("role", "Choose Account admin or Member.")
    _lock_address(email)
    _refuse_taken(email, account)
    now = utcnow()
    invitation = Invitation(account=account, email=email, first_name=first_name, last_name=last_name, role=role,
                            invited_by=invited_by, secret_hash="", created_at=now, sent_at=now, send_count=1,
                            expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    _mail_link(invitation)
    audit.record("user_invited", actor=invited_by, account=account, subject=email, origin=origin,
                 details={"role": role, "name": invitation.name, "invitation_id": invitation.id})
    db.session.flush()
    return invitation


def _lock_address(email: str) -> None:
    """Hold the address's lock row until the transaction ends: the same address invited twice at once (a form
    sent twice, both posts reaching the server) is checked one after the other, and the second sees the first's
    invitation. The rows of app.orders.tenancy.lock_tenant serve (their keys are domains and tenant ids; this
    key is neither): the insert makes SQLite take its write lock, SELECT ... FOR UPDATE locks the row on
    PostgreSQL."""
    key = "invitation:" + hashlib.sha256(email.encode()).hexdigest()[:40]
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(TenantLock).values(key=key).on_conflict_do_nothing(index_elements=["key"]))
    db.session.execute(db.select(TenantLock.key).where(TenantLock.key == key).with_for_update())


# The same invitation asked for again by the same person this soon after is the same press twice (a double
# click, a form sent again), not a second invitation.
SAME_PRESS = timedelta(seconds=10)


def just_sent(account: Account, *, email: str, first_name: str, last_name: str, role: str,
              invited_by: User) -> Invitation | None:
    """The pending invitation `invited_by` sent a moment ago with these very details: inviting again would be
    refused ("already been invited"), although the first press was answered and mailed."""
    return db.session.scalar(db.select(Invitation).where(
        Invitation.account_id == account.id, Invitation.invited_by_id == invited_by.id,
        Invitation.email == (email or "").strip().lower(), Invitation.first_name == (first_name or "").strip(),
        Invitation.last_name == (last_name or "").strip(), Invitation.role == role,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.created_at > utcnow() - SAME_PRESS).limit(1))


def resend(invitation: Invitation, *, by: User | None, origin: Origin, sends_seen: int | None = None) -> Invitation:
    """Mail a new link (the previous one stops working), valid for INVITATION_DAYS from now.

    `sends_seen`: how many times the invitation had been sent on the page whose Resend was pressed. When it has
    been sent more often since, that press was answered already (Resend pressed twice): nothing is mailed again,
    which would only make the first new link stop working."""
    status = invitation.status()
    if sends_seen is not None and invitation.send_count > sends_seen and status not in (ACCEPTED, REVOKED):
        return invitation
    if status == ACCEPTED:
        raise InvitationError("email", f"{invitation.email} has already accepted this invitation.")
    if status == REVOKED:
        raise InvitationError("email", "This invitation was revoked; invite the person again.")
    if user_with_email(invitation.email) is not None:
        raise InvitationError("email", EMAIL_TAKEN)
    now = utcnow()
    invitation.sent_at = now
    invitation.send_count += 1
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    _mail_link(invitation)
    audit.record("invitation_resent", actor=by, account=invitation.account, subject=invitation.email, origin=origin,
                 details={"invitation_id": invitation.id, "was": status})
    db.session.flush()
    return invitation


def revoke(invitation: Invitation, *, by: User | None, origin: Origin) -> Invitation:
    """End the invitation: its link says it was withdrawn."""
    status = invitation.status()
    if status == ACCEPTED:
        raise InvitationError("email", f"{invitation.email} has already accepted this invitation; deactivate "
                                       "the user instead.")
    if status == REVOKED:
        return invitation
    invitation.revoked_at = utcnow()
    audit.record("invitation_revoked", actor=by, account=invitation.account, subject=invitation.email, origin=origin,
                 details={"invitation_id": invitation.id})
    db.session.flush()
    return invitation


def pending(account: Account) -> list[Invitation]:
    """The account's invitations not yet accepted nor revoked (expired ones included: they can be
    resent), newest first."""
    return db.session.scalars(db.select(Invitation).where(
        Invitation.account_id == account.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())).all()


def invitation_of(account: Account, invitation_id: int) -> Invitation | None:
    """One of the account's invitations by id; None when it has none by that id."""
    invitation = db.session.get(Invitation, invitation_id)
    return invitation if invitation is not None and invitation.account_id == account.id else None


def _checked_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise InvitationError("email", "Enter an email address like name@example.com.") from None
    return email


EMAIL_TAKEN = "There is already a user with this email address."


def user_with_email(email: str) -> User | None:
    """The user, of any account, who signs in with `email` (stored lower-cased)."""
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def _refuse_taken(email: str, account: Account) -> None:
    taken = user_with_email(email)
    if taken is not None and taken.account_id == account.id and not taken.is_active_user:
        raise InvitationError("email", f"{taken.name} is a deactivated user of this account; reactivate them from "
                                       "the Users list (Reactivate) instead.")
    if taken is not None:
        raise InvitationError("email", EMAIL_TAKEN)
    waiting = db.session.scalars(db.select(Invitation).where(
        Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow())).first()
    if waiting is None:
        return
    if waiting.account_id == account.id:
        raise InvitationError("email", "This address has already been invited and the invitation is still "
                                       "valid; resend it instead.")
    raise InvitationError("email", "This address already has an invitation waiting from another organisation.")


def _mail_link(invitation: Invitation) -> None:
    issued = tokens.issue(TOKEN_KIND, invitation.id)
    invitation.secret_hash = issued.secret_hash
    inviter = invitation.invited_by
    queue_mail(to=invitation.email, subject=f"You are invited to join {invitation.account.name}",
               template="invitation", category="invitations", account_id=invitation.account_id,
               context={"first_name": invitation.first_name, "account_name": invitation.account.name,
                        "inviter_name": inviter.name if inviter else None, "role_label": ROLE_WITH_ARTICLE[invitation.role],
                        "link": absolute_url(f"{ACCEPT_PATH}?token={issued.token}"),
                        "expires_at": invitation.expires_at, "days": INVITATION_DAYS})


# ------------------------------------------------------------------------------------ accepting

@dataclass(frozen=True)
class Opened:
    """What a link leads to: the invitation (None for a link this storefront never issued, or one
    replaced by a newer link) and its status; SUSPENDED when the account is suspended."""

    invitation: Invitation | None
    status: str


SUSPENDED, UNKNOWN = "suspended", "unknown"


def open_link(token: str | None) -> Opened:
    read = tokens.read(TOKEN_KIND, token)
    invitation = db.session.get(Invitation, read[0]) if read else None
    if invitation is None:
        return Opened(None, UNKNOWN)
    if not tokens.matches(invitation.secret_hash, read[1]):
        # An older link of an invitation that was resent: the newest mail has the working one. A
        # used or withdrawn invitation says so whichever of its links is opened.
        status = invitation.status()
        return Opened(invitation, status if status in (ACCEPTED, REVOKED) else "replaced")
    status = invitation.status()
    if status == PENDING and invitation.account.is_suspended:
        return Opened(invitation, SUSPENDED)
    return Opened(invitation, status)


class AcceptError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def accept(invitation: Invitation, *, name: str, password: str, origin: Origin) -> User:
    """Create the invitee's user (the invitation must be pending and its account not suspended)."""
    name = (name or "").strip()
    if not name:
        raise AcceptError("name", "Enter your name.")
    if len(name) > 120:
        raise AcceptError("name", "Use at most 120 characters.")
    problem = password_problem(password, email=invitation.email)
    if problem:
        raise AcceptError("password", problem)
    user = User(account_id=invitation.account_id, name=name, email=invitation.email, role=invitation.role)
    user.set_password(password)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Someone took the address meanwhile (the same invitation accepted in another tab).
        raise AcceptError("password", "This invitation has already been used: sign in instead.") from None
    now = utcnow()
    invitation.accepted_at = now
    invitation.user = user
    user.last_sign_in_at = now
    audit.record("invitation_accepted", actor=user, account=invitation.account, subject=user.email, origin=origin,
                 details={"invitation_id": invitation.id, "role": user.role})
    db.session.flush()
    return user


def ask_for_new_link(invitation: Invitation, *, origin: Origin) -> bool:
    """Tell the account's admins (and whoever invited) that the invitee would like a new link; False
    when they were already told in the last day."""
    now = utcnow()
    if invitation.renewal_requested_at is not None and now - invitation.renewal_requested_at < RENEWAL_REQUEST_EVERY:
        return False
    invitation.renewal_requested_at = now
    admins = _who_can_invite_again(invitation)
    for admin in admins:
        queue_mail(to=admin.email, subject=f"{invitation.name} asks for a new invitation", template="invitation_requested",
                   category="invitations", account_id=invitation.account_id, user_id=admin.id,
                   context={"admin_name": admin.name, "invitee_name": invitation.name, "invitee_email": invitation.email,
                            "account_name": invitation.account.name, "status": invitation.status(now),
                            "users_url": absolute_url(_users_page_for(admin, invitation))})
    audit.record("invitation_renewal_requested", account=invitation.account, subject=invitation.email, origin=origin,
                 details={"invitation_id": invitation.id, "admins_told": [a.email for a in admins]})
    db.session.flush()
    return True


def _who_can_invite_again(invitation: Invitation) -> list[User]:
    """The account's active admins and whoever invited (an operator admin for a new account's first
    admin). An account without an active admin yet (its first admin is the invitee) has nobody of
    its own to ask: the operator's admins, who onboarded it, are told then."""
    active = User.is_active_user.is_(True)
    people = db.session.scalars(db.select(User).where(active, db.or_(
        db.and_(User.account_id == invitation.account_id, User.role == "admin"),
        User.id == invitation.invited_by_id)).order_by(User.id)).all()
    own_admins = [u for u in people if u.account_id == invitation.account_id and u.role == "admin"]
    if not own_admins and invitation.account.kind != "operator":
        people += db.session.scalars(db.select(User).join(Account, User.account_id == Account.id).where(
            active, Account.kind == "operator", User.role == "admin",
            User.id.not_in([u.id for u in people])).order_by(User.id)).all()
    return people


def answered_by(invitation: Invitation) -> tuple[str, bool]:
    """Who the invitee of a link that no longer works hears from and asks for a new one, as the pages name it:
    (the account's name, True) when it has active admins of its own; else (the operator's name, False): an
    account without an admin yet (its first admin is the invitee) is invited for by the operator, which
    onboarded it, and whose admins are told (_who_can_invite_again)."""
    account = invitation.account
    if account.kind == "operator" or db.session.scalar(db.select(User.id).where(
            User.account_id == account.id, User.role == "admin", User.is_active_user.is_(True)).limit(1)):
        return account.name, True
    from app.accounts.services import operator_account

    operator = operator_account()
    return (operator.name, False) if operator is not None else (account.name, True)


def _users_page_for(admin: User, invitation: Invitation) -> str:
    """Where `admin` resends it: their own Settings > Users, or, for the operator's admins, the
    account's page in admin > Accounts."""
    if admin.account_id == invitation.account_id:
        return url_for("settings.users")
    return url_for("partners.account", account_id=invitation.account_id)


__all__ = ["invite", "resend", "revoke", "pending", "invitation_of", "InvitationError", "open_link", "accept",
           "ask_for_new_link", "AcceptError", "INVITATION_DAYS", "PENDING", "ACCEPTED", "REVOKED", "EXPIRED",
           "SUSPENDED", "UNKNOWN"]
