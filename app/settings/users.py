"""An account's users as its admins manage them: change a role, deactivate, reactivate (the operator's admins
deactivate and reactivate them too, from the account's page in admin > Accounts).

An account always keeps at least one active admin: the last one can be neither demoted nor
deactivated (the check runs with the account's row locked, so two admins demoting each other at the
same moment cannot both succeed). A deactivated user cannot sign in and is signed out of every
session (the login manager loads active users only); nothing of theirs is deleted. Writes flush;
the view commits.
"""
from __future__ import annotations

from app.accounts.models import USER_ROLES, Account, User
from app.audit import services as audit
from app.audit.services import Origin
from app.auth.sessions import end_all_sessions
from app.extensions import db

ROLE_LABELS = {"admin": "Account admin", "member": "Member"}


class UserChangeRefused(Exception):
    """A change the rules refuse, with the message to show."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def users_of(account: Account) -> list[User]:
    return db.session.scalars(db.select(User).where(User.account_id == account.id)
                              .order_by(User.is_active_user.desc(), User.name, User.id)).all()


def user_of(account: Account, user_id: int) -> User | None:
    """One of the account's users; another account's is None, as if it did not exist."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.account_id == account.id else None


def _lock(account: Account) -> None:
    db.session.execute(db.select(Account.id).where(Account.id == account.id).with_for_update())


def _other_active_admins(user: User) -> int:
    return db.session.scalar(db.select(db.func.count(User.id)).where(
        User.account_id == user.account_id, User.id != user.id, User.role == "admin",
        User.is_active_user.is_(True))) or 0


def _last_admin(user: User, doing: str, actor: User | None = None) -> UserChangeRefused:
    """`actor` of another account (the operator, from admin > Accounts): told what it can do there instead."""
    instead = ("Invite another account admin first, or suspend the account to stop all its users signing in."
               if actor is not None and actor.account_id != user.account_id
               else "Make another user an account admin first.")
    return UserChangeRefused(f"{user.name} is the only active account admin of {user.account.name}, so you cannot "
                             f"{doing}. {instead}")


def change_role(user: User, role: str, *, actor: User, origin: Origin) -> bool:
    """Make `user` an admin or a member; False when it already was."""
    if role not in USER_ROLES:
        raise UserChangeRefused("Choose Account admin or Member.")
    if user.role == role:
        return False
    _lock(user.account)
    if user.role == "admin" and user.is_active_user and not _other_active_admins(user):
        raise _last_admin(user, "make them a member")
    before, user.role = user.role, role
    audit.record("user_role_changed", actor=actor, account=user.account, subject=user.email, origin=origin,
                 details={"user_id": user.id, "from": before, "to": role})
    db.session.flush()
    return True


def deactivation_refusal(user: User, actor: User) -> str | None:
    """Why `actor` cannot deactivate `user`, or None: asked before the admin is asked to confirm, so that
    nobody confirms what is then refused (deactivate checks it again, with the account locked)."""
    if user.id == actor.id:
        return "You cannot deactivate yourself. Ask another account admin to do it."
    if user.is_active_user and user.role == "admin" and not _other_active_admins(user):
        return _last_admin(user, "deactivate them", actor).message
    return None


def deactivate(user: User, *, actor: User, origin: Origin) -> bool:
    """Stop a user signing in (and end their sessions); False when already inactive."""
    if not user.is_active_user:
        return False
    if user.id == actor.id:
        raise UserChangeRefused(deactivation_refusal(user, actor))
    _lock(user.account)
    refusal = deactivation_refusal(user, actor)
    if refusal:
        raise UserChangeRefused(refusal)
    user.is_active_user = False
    end_all_sessions(user)  # signed out for good: reactivating asks for the password again
    audit.record("user_deactivated", actor=actor, account=user.account, subject=user.email, origin=origin,
                 details={"user_id": user.id})
    db.session.flush()
    return True


def reactivate(user: User, *, actor: User, origin: Origin) -> bool:
    if user.is_active_user:
        return False
    user.is_active_user = True
    audit.record("user_reactivated", actor=actor, account=user.account, subject=user.email, origin=origin,
                 details={"user_id": user.id})
    db.session.flush()
    return True
