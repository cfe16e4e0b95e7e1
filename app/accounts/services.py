"""Accounts, users, licensees: creation rules."""
from __future__ import annotations

from app.accounts.models import Account, User
from app.extensions import db

def create_account(kind: str, name: str, **fields) -> Account:
    account = Account(kind=kind, name=name, **fields)
    db.session.add(account)
    return account


def create_user(account: Account, name: str, email: str, password: str, role: str = "member") -> User:
    user = User(account=account, name=name, email=email.strip().lower(), role=role)
    user.set_password(password)
    db.session.add(user)
    return user


_OPERATOR = db.select(Account).where(Account.kind == "operator").limit(1)  # built once: many pages name it


def operator_account() -> Account | None:
    return db.session.scalar(_OPERATOR)


def accounts_to_filter_by(user: User) -> list[tuple[int, str]] | None:
    """The Account filter of the operator's lists (orders, subscriptions): every reseller and direct customer
    (the operator buys nothing itself), as (id, name) by name. None for anyone else: their lists show their
    own account's rows only, and offer no such filter."""
    if user.account.kind != "operator":
        return None
    query = db.select(Account.id, Account.name).where(Account.kind.in_(("reseller", "customer")))
    return [tuple(row) for row in db.session.execute(query.order_by(db.func.lower(Account.name), Account.id))]


def suspension_notice(account: Account) -> str:
    """What the users of a suspended account are told when they try to order."""
    from app.accounts.identity import operator_identity  # identity reads operator_account from here

    operator = operator_identity()
    contact = operator["operator_name"] + (f" at {operator['support_email']}" if operator.get("support_email") else "")
    return (f"The account of {account.name} is suspended, so its users cannot sign in or order. Nothing was "
            f"deleted: contact {contact} to have it reactivated.")


def partner_id_holder(partner_id: str, *, but_not: int | None = None) -> Account | None:
    """The account of this storefront that holds a partner ID (one partner ID, one reseller)."""
    query = db.select(Account).where(Account.partner_id == partner_id)
    if but_not is not None:
        query = query.where(Account.id != but_not)
    return db.session.scalar(query.limit(1))
