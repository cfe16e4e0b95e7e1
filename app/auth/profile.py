"""My profile: a user's own name, email address and password.

A new email address becomes the user's only when the link mailed to it is opened (so a typo never
locks anyone out, and nobody takes an address they cannot read); the old address is told. A new
password needs the current one, and ends every other session (app/auth/recovery.set_new_password).
Writes flush; the view commits.
"""
from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import Origin
from app.auth import tokens
from app.auth.models import EmailChange
from app.auth.passwords import password_problem
from app.auth.recovery import set_new_password
from app.auth.tokens import UNKNOWN, VALID, Opened  # noqa: F401  (the routes read them here)
from app.extensions import db
from app.mail import absolute_url, queue_mail
from app.time import utcnow
from app.web.refusal import FieldRefused

EMAIL_CHANGE_HOURS = 24
TOKEN_KIND = "email-change"
CONFIRM_PATH = "/profile/confirm-email"  # the page of auth.confirm_email
WRONG_PASSWORD = "Your current password is not this one."
# The same new address asked for again this soon after is the same press twice (a double click without
# JavaScript sends the form twice), not a newer request.
SAME_PRESS = timedelta(seconds=10)


class ProfileError(FieldRefused):
    """A change to one's profile refused; `field` names the form field the message goes next to."""


def rename(user: User, name: str, *, origin: Origin) -> bool:
    name = (name or "").strip()
    if not name:
        raise ProfileError("name", "Enter your name.")
    if len(name) > 120:
        raise ProfileError("name", "Use at most 120 characters.")
    if name == user.name:
        return False
    audit.record("profile_renamed", actor=user, subject=user.email, origin=origin, details={"from": user.name, "to": name})
    user.name = name
    db.session.flush()
    return True


def change_password(user: User, *, current: str, new: str, origin: Origin) -> None:
    if not user.check_password(current or ""):
        audit.record("password_change_refused", actor=user, subject=user.email, origin=origin)
        raise ProfileError("current_password", WRONG_PASSWORD)
    problem = password_problem(new or "", email=user.email)
    if problem:
        raise ProfileError("new_password", problem)
    if user.check_password(new):
        raise ProfileError("new_password", "This is your current password; choose a new one.")
    set_new_password(user, new)
    audit.record("password_changed", actor=user, subject=user.email, origin=origin)
    db.session.flush()


# --------------------------------------------------------------------------------- email change

def request_email_change(user: User, *, new_email: str, password: str, origin: Origin) -> EmailChange:
    """Mail a confirmation link to `new_email`; the address changes when it is opened."""
    new_email = (new_email or "").strip().lower()
    try:
        validate_email(new_email, check_deliverability=False)
    except EmailNotValidError:
        raise ProfileError("new_email", "Enter an email address like name@example.com.") from None
    if new_email == user.email:
        raise ProfileError("new_email", "This is already your email address.")
    if not user.check_password(password or ""):
        audit.record("email_change_refused", actor=user, subject=user.email, origin=origin)
        raise ProfileError("password", WRONG_PASSWORD)
    if _taken(new_email, user):
        raise ProfileError("new_email", "Another user already has this email address.")
    now = utcnow()
    pressed = pending_change(user)
    if pressed is not None and pressed.new_email == new_email and pressed.created_at > now - SAME_PRESS:
        return pressed  # the same press twice: its link is mailed already, and a second would end it
    _cancel_open(user, now)
    change = EmailChange(user=user, new_email=new_email, secret_hash="", created_at=now,
                         expires_at=now + timedelta(hours=EMAIL_CHANGE_HOURS))
    db.session.add(change)
    db.session.flush()
    issued = tokens.issue(TOKEN_KIND, change.id)
    change.secret_hash = issued.secret_hash
    queue_mail(to=new_email, subject="Confirm your new email address", template="email_change",
               category="email_changes", account_id=user.account_id, user_id=user.id,
               context={"name": user.name, "old_email": user.email, "new_email": new_email,
                        "link": absolute_url(f"{CONFIRM_PATH}?token={issued.token}"), "hours": EMAIL_CHANGE_HOURS})
    audit.record("email_change_requested", actor=user, subject=user.email, origin=origin, details={"new_email": new_email})
    db.session.flush()
    return change


def pending_change(user: User) -> EmailChange | None:
    """The user's unconfirmed, unexpired request, if any."""
    return db.session.scalars(db.select(EmailChange).where(
        EmailChange.user_id == user.id, EmailChange.confirmed_at.is_(None), EmailChange.cancelled_at.is_(None),
        EmailChange.expires_at > utcnow()).order_by(EmailChange.id.desc())).first()


def cancel_email_change(user: User, *, origin: Origin) -> bool:
    change = pending_change(user)
    if change is None:
        return False
    _cancel_open(user, utcnow())
    audit.record("email_change_cancelled", actor=user, subject=user.email, origin=origin,
                 details={"new_email": change.new_email})
    db.session.flush()
    return True


def open_link(token: str | None) -> Opened:
    """The email change a confirmation link names (`row`), and whether it can still be confirmed."""
    return tokens.open_single_use(
        TOKEN_KIND, token, EmailChange, used=lambda change: change.confirmed_at is not None,
        expired=lambda change: change.cancelled_at is not None or change.expires_at <= utcnow())


def confirm_email_change(change: EmailChange, *, origin: Origin) -> User:
    """The new address becomes the user's; the old one is told."""
    user = change.user
    if _taken(change.new_email, user):
        raise ProfileError("new_email", "Another user has taken this email address since you asked for it.")
    old_email = user.email
    now = utcnow()
    user.email = change.new_email
    change.confirmed_at = now
    queue_mail(to=old_email, subject="Your email address was changed", template="email_changed",
               category="email_changes", account_id=user.account_id, user_id=user.id,
               context={"name": user.name, "old_email": old_email, "new_email": change.new_email, "changed_at": now})
    audit.record("email_changed", actor=user, subject=change.new_email, origin=origin,
                 details={"from": old_email, "to": change.new_email})
    db.session.flush()
    return user


def _taken(email: str, user: User) -> bool:
    return db.session.scalar(db.select(User.id).where(User.email == email, User.id != user.id)) is not None


def _cancel_open(user: User, now) -> None:
    db.session.execute(db.update(EmailChange).where(
        EmailChange.user_id == user.id, EmailChange.confirmed_at.is_(None), EmailChange.cancelled_at.is_(None))
        .values(cancelled_at=now))
