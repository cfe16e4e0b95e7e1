"""The first start of a storefront without demo data: the operator's account and its first admin
(`flask create-operator`). The admin gets a password now, or an invitation by email."""
from __future__ import annotations

from app.accounts.models import Account, User
from app.accounts.services import create_user, operator_account
from app.audit import services as audit
from app.audit.services import Origin
from app.auth.invitations import InvitationError, invite
from app.auth.passwords import password_problem
from app.extensions import db

CLI = Origin(user_agent="flask create-operator")


class OperatorSetupError(Exception):
    """Why the operator (or its first admin) cannot be created, in words for the person at the console."""


def existing_admins(operator: Account) -> list[User]:
    return [u for u in operator.users if u.is_account_admin and u.is_active_user]


def check_setup(email: str) -> Account | None:
    """The operator account to complete (one without an active admin), or None when there is none
    yet; raises OperatorSetupError when the storefront already has its operator admin or the email
    is taken."""
    operator = operator_account()
    if operator is not None and existing_admins(operator):
        raise OperatorSetupError(
            f"The operator account {operator.name} already has an admin ({existing_admins(operator)[0].email}). "
            "Operator admins invite more admins from the storefront; nothing was changed.")
    if db.session.scalar(db.select(User.id).where(User.email == email.strip().lower())) is not None:
        raise OperatorSetupError(f"There is already a user with the email {email.strip().lower()}; nothing was "
                                 "changed.")
    return operator


def create_operator(*, name: str, country: str, first_name: str, last_name: str, email: str,
                    password: str | None) -> tuple[Account, str]:
    """The operator's account (or the existing one that has no admin) and its first admin: a user
    with `password`, or (without one) an invitation mailed to `email`. Returns the account and what
    to tell the person at the console. Flushes; the caller commits."""
    operator = check_setup(email)
    if operator is None:
        name = (name or "").strip()
        if not name:
            raise OperatorSetupError("Give the operator's name (your company's name).")
        operator = Account(kind="operator", name=name[:200], country=(country or "US").upper())
        db.session.add(operator)
        db.session.flush()
        audit.record("operator_created", account=operator, subject=operator.name, origin=CLI)
    if password is None:
        try:
            invitation = invite(operator, email=email, first_name=first_name, last_name=last_name, role="admin",
                                invited_by=None, origin=CLI)
        except InvitationError as refused:
            raise OperatorSetupError(refused.message) from None
        db.session.flush()
        return operator, (f"{invitation.email} is invited to be the first admin of {operator.name}: the link in the "
                          f"mail is valid for 7 days. The worker (`flask serve`) delivers it.")
    problem = password_problem(password, email=email)
    if problem:
        raise OperatorSetupError(problem)
    user = create_user(operator, f"{first_name.strip()} {last_name.strip()}".strip(), email, password, role="admin")
    db.session.flush()
    audit.record("operator_admin_created", actor=user, account=operator, subject=user.email, origin=CLI)
    db.session.flush()
    return operator, f"{operator.name} is set up: sign in as {user.email}."
