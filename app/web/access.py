"""Access decorators. Every view carries exactly one of them; a convention test walks url_map.

`public` marks pages anyone may see. The others require a signed-in user and, optionally, a
kind of account (operator, reseller, customer) or the account-admin role. A signed-out visit is
sent to sign-in by the login manager's unauthorized handler (redirect, or 401 + HX-Redirect).
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

ACCESS_ATTR = "_storefront_access"


def public(view):
    setattr(view, ACCESS_ATTR, "public")
    return view


def signed_in(view):
    """Any signed-in user."""
    wrapped = login_required(view)
    setattr(wrapped, ACCESS_ATTR, "signed_in")
    return wrapped


def account_kinds(*kinds: str, admin: bool = False):
    """Signed-in users of the given kinds of account; `admin=True` also requires the account-admin role."""

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if current_user.account.kind not in kinds:
                abort(403)
            if admin and not current_user.is_account_admin:
                abort(403)
            return view(*args, **kwargs)

        wrapped = login_required(checked)
        setattr(wrapped, ACCESS_ATTR, f"kinds:{','.join(kinds)}{':admin' if admin else ''}")
        return wrapped

    return decorator


operator_only = account_kinds("operator")
resellers_only = account_kinds("reseller")
buyers_only = account_kinds("reseller", "customer")


def unprotected_endpoints(app) -> list[str]:
    """Endpoints whose view carries no access decision (neither public nor a check).

    The convention test fails on any; `static` is Flask's own file route and public by nature.
    """
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, ACCESS_ATTR, None):
            missing.append(rule.endpoint)
    return sorted(set(missing))
