"""Forgot password: a reset link by email, short-lived and single-use, and never a hint whether an
account exists.

The page's request does the same for every address: it enqueues `send_reset_link` and answers
"check your email". Looking the address up, and mailing a link when a user has it, happen in the
job, so neither the answer nor its timing differs between an address that has a user and one
that has none. Using a link sets the password, ends every session of the user and every other
open reset link.
"""
from __future__ import annotations

from datetime import timedelta

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import Origin
from app.auth import tokens
from app.auth.models import PasswordReset
from app.auth.passwords import password_problem
from app.auth.sessions import end_all_sessions
from app.auth.tokens import UNKNOWN, VALID, Opened  # noqa: F401  (the routes read them here)
from app.extensions import db
from app.jobs import enqueue
from app.mail import absolute_url, queue_mail
from app.time import utcnow

RESET_MINUTES = 60
TOKEN_KIND = "password-reset"
# The pages of auth.reset_password and auth.forgot_password: a job has no request to build them from.
RESET_PATH, FORGOT_PATH = "/reset-password", "/forgot-password"
# A second request within this time mails nothing new: the first link still works, and a stranger
# cannot fill someone's mailbox by pressing the button again and again.
ONE_MAIL_EVERY = timedelta(minutes=2)


def request_reset(email: str, *, origin: Origin) -> None:
    """The request's part: the same work whatever the address (see the module's docstring)."""
    enqueue(send_reset_link, (email or "").strip().lower(), origin.ip_address, origin.user_agent,
            description="password reset request")


def send_reset_link(email: str, ip_address: str | None = None, user_agent: str | None = None) -> str:
    """The job: mail a reset link to the user with `email`, if there is an active one. Returns what
    happened (for the log and the tests; the person who asked is never told)."""
    origin = Origin(ip_address, user_agent)
    now = utcnow()
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None or not user.is_active:
        outcome = "no active user"
    elif db.session.scalar(db.select(PasswordReset.id).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at > now - ONE_MAIL_EVERY)) is not None:
        outcome = "link sent moments ago"
    else:
        _mail_link(user, now)
        outcome = "link sent"
    audit.record("password_reset_requested", actor=user, subject=email, origin=origin, details={"outcome": outcome})
    db.session.commit()
    return outcome


def _mail_link(user: User, now) -> PasswordReset:
    reset = PasswordReset(user=user, secret_hash="", created_at=now, expires_at=now + timedelta(minutes=RESET_MINUTES))
    db.session.add(reset)
    db.session.flush()
    issued = tokens.issue(TOKEN_KIND, reset.id)
    reset.secret_hash = issued.secret_hash
    queue_mail(to=user.email, subject="Reset your password", template="password_reset", category="password_resets",
               account_id=user.account_id, user_id=user.id,
               context={"name": user.name, "link": absolute_url(f"{RESET_PATH}?token={issued.token}"),
                        "minutes": RESET_MINUTES})
    return reset


def open_link(token: str | None) -> Opened:
    """The reset a link names (`row`), and whether it can still set a password."""
    return tokens.open_single_use(
        TOKEN_KIND, token, PasswordReset, used=lambda reset: reset.used_at is not None,
        expired=lambda reset: reset.expires_at <= utcnow() or not reset.user.is_active)


class ResetError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def reset_password(reset: PasswordReset, password: str, *, origin: Origin) -> User:
    """Set the new password from a valid link; every session of the user ends."""
    user = reset.user
    problem = password_problem(password, email=user.email)
    if problem:
        raise ResetError(problem)
    set_new_password(user, password)
    audit.record("password_reset", actor=user, subject=user.email, origin=origin, details={"reset_id": reset.id})
    db.session.flush()
    return user


def set_new_password(user: User, password: str) -> None:
    """Every change of a password: the hash, every session ended, every open reset link used up, and
    a notice to the user's address (whoever changed it, its owner hears of it)."""
    now = utcnow()
    user.set_password(password)
    end_all_sessions(user)
    db.session.execute(db.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                       .values(used_at=now))
    queue_mail(to=user.email, subject="Your password was changed", template="password_changed",
               category="password_resets", account_id=user.account_id, user_id=user.id,
               context={"name": user.name, "changed_at": now, "forgot_url": absolute_url(FORGOT_PATH)})
