"""Who may do what: four roles, the permissions views ask for, and one table between them.

Every view carries exactly one `@allow(...)`, naming the permission it needs; a convention test
walks url_map and fails on any view without one. `POLICY` below is the only place that says
which role holds which permission; the README's "Who may do what" table is this table (a test
compares them).

A view that both shows a page (GET) and changes something (POST) names the stricter permission
of its POST with `post=`, e.g. `@allow(Permission.ADMIN_VIEW, post=Permission.OPTIONS_CHANGE)`:
an operator member reads the options page but cannot save it.

Permissions say what a role may do in general; which objects it may do it to is decided where
the objects are loaded (services scope every lookup by id to the signed-in account, the operator
sees every account's). A signed-out visit is sent to sign-in by the login manager's unauthorized
handler (a redirect, or 401 + HX-Redirect for htmx); a signed-in user without the permission gets 403.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import wraps

from flask import current_app, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden

ACCESS_ATTR = "_storefront_access"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(str, Enum):
    OPERATOR_ADMIN = "operator admin"
    OPERATOR_MEMBER = "operator member"
    ACCOUNT_ADMIN = "account admin"
    ACCOUNT_MEMBER = "account member"


def role_of(user) -> Role | None:
    """The role of a user: the kind of its account (operator, or reseller / direct customer) and
    whether it is that account's admin. None when nobody is signed in."""
    if user is None or not user.is_authenticated:
        return None
    if user.account.kind == "operator":
        return Role.OPERATOR_ADMIN if user.is_account_admin else Role.OPERATOR_MEMBER
    return Role.ACCOUNT_ADMIN if user.is_account_admin else Role.ACCOUNT_MEMBER


class Permission(str, Enum):
    PUBLIC = "public"
    HOME = "home"
    CATALOG = "catalog"
    CART = "cart"
    CHECKOUT = "checkout"
    ORDERS_VIEW = "orders.view"
    ORDERS_ACT = "orders.act"
    ARCHIVE_VIEW = "archive.view"
    SUBSCRIPTIONS_VIEW = "subscriptions.view"
    SUBSCRIPTIONS_CHANGE = "subscriptions.change"
    PROGRAMS = "programs"
    GDAP_PARTNER = "gdap.partner"
    NOTIFICATIONS = "notifications"
    PROFILE = "profile"
    ACCOUNT_SETTINGS = "account.settings"
    ADMIN_VIEW = "admin.view"
    OPTIONS_CHANGE = "admin.options"
    ACCOUNTS_MANAGE = "admin.accounts"
    MIGRATION_RUN = "admin.migration"
    CONNECTIONS_CHANGE = "admin.connections"
    TOOLS_RUN = "admin.tools"
    PROGRAMS_MANAGE = "admin.programs"
    SANDBOX_CONTROLS = "sandbox.controls"


@dataclass(frozen=True)
class Rule:
    what: str  # the row of the README's table
    roles: frozenset[Role]


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


EVERYONE = _roles(*Role)
OPERATORS = _roles(Role.OPERATOR_ADMIN, Role.OPERATOR_MEMBER)
BUYERS = _roles(Role.ACCOUNT_ADMIN, Role.ACCOUNT_MEMBER)

POLICY: dict[Permission, Rule] = {
    Permission.PUBLIC: Rule("Sign in, sign out, accept an invitation, reset a forgotten password, "
                            "confirm a new email address, health check, deliver Partner Center's webhook events "
                            "(verified by their signature) (signed out too)", EVERYONE),
    Permission.HOME: Rule("Home page", EVERYONE),
    Permission.CATALOG: Rule("Browse products and price lists (the operator: every market)", EVERYONE),
    Permission.CART: Rule("Cart", BUYERS),
    Permission.CHECKOUT: Rule("Checkout (the purchase wizard)", BUYERS),
    Permission.ORDERS_VIEW: Rule("Read orders (the operator: every account's; others: their account's)", EVERYONE),
    Permission.ORDERS_ACT: Rule("Edit a querying order's parameters, Process it",
                                _roles(Role.OPERATOR_ADMIN, *BUYERS)),
    Permission.ARCHIVE_VIEW: Rule("Read the Archive: orders and invoices migrated from a previous portal, and download "
                                  "the invoices (the operator: every account's)", EVERYONE),
    Permission.SUBSCRIPTIONS_VIEW: Rule("Read subscriptions and agreements (the operator: every account's)",
                                        EVERYONE),
    Permission.SUBSCRIPTIONS_CHANGE: Rule("Change seats, auto-renewal, names; cancel; terminate agreements",
                                          _roles(Role.OPERATOR_ADMIN, *BUYERS)),
    Permission.PROGRAMS: Rule("Partner programs: enroll, read the account's certificates, correct a pending one and "
                              "Process it (resellers)", BUYERS),
    Permission.GDAP_PARTNER: Rule("Delegated admin (GDAP) as a partner: connect the reseller's partner tenant, approve "
                                  "or reject the relationships the distributor created for it (resellers)",
                                  _roles(Role.ACCOUNT_ADMIN)),
    Permission.NOTIFICATIONS: Rule("Own notifications", EVERYONE),
    Permission.PROFILE: Rule("My profile: own name, email address, password, notification preferences", EVERYONE),
    Permission.ACCOUNT_SETTINGS: Rule("Account settings: users, licensees, notification settings",
                                      _roles(Role.OPERATOR_ADMIN, Role.ACCOUNT_ADMIN)),
    Permission.ADMIN_VIEW: Rule("Read admin pages: accounts, options, catalog sync, Partner Center, stuck work, "
                                "reconciliation runs and findings, customer imports, MCA log, audit log", OPERATORS),
    Permission.OPTIONS_CHANGE: Rule("Change storefront options", _roles(Role.OPERATOR_ADMIN)),
    Permission.ACCOUNTS_MANAGE: Rule("Onboard and manage accounts: create resellers and direct customers, edit, "
                                     "suspend, reactivate, deactivate or reactivate their users",
                                     _roles(Role.OPERATOR_ADMIN)),
    Permission.MIGRATION_RUN: Rule("Migrate accounts from a previous portal: import files, announce and complete "
                                   "migrations, edit the onboarding webinars", _roles(Role.OPERATOR_ADMIN)),
    Permission.CONNECTIONS_CHANGE: Rule("Add or change Partner Center connections", _roles(Role.OPERATOR_ADMIN)),
    Permission.TOOLS_RUN: Rule("Run tools: catalog sync, connection check, retry stuck work, reconciliation and "
                               "its corrections, customer import",
                               _roles(Role.OPERATOR_ADMIN)),
    Permission.PROGRAMS_MANAGE: Rule("Partner programs: approve, refuse or expire certificates, set the terms and "
                                     "validity period, turn partner requests (Become a partner) into reseller accounts",
                                     _roles(Role.OPERATOR_ADMIN)),
    Permission.SANDBOX_CONTROLS: Rule("Sandbox controls: faults, clock, review, reset (sandbox mode)",
                                      _roles(Role.OPERATOR_ADMIN)),
}


# What a signed-in user who may not open a page is told: who may, so they know whom to ask.
_ACCOUNT_ADMINS = _roles(Role.OPERATOR_ADMIN, Role.ACCOUNT_ADMIN)
REFUSALS: dict[frozenset[Role], str] = {
    _ACCOUNT_ADMINS: "This page is for your account's admins. Ask one of them if something here needs to change.",
    _roles(Role.ACCOUNT_ADMIN): "This page is for a reseller's account admins. Ask one of your account's admins if "
                                "something here needs to change.",
    _roles(Role.OPERATOR_ADMIN): "This is for the distributor's administrators only.",
    OPERATORS: "This page is for the distributor's staff.",
    BUYERS: "This is for resellers and customers who buy through the storefront.",
    _roles(Role.OPERATOR_ADMIN, *BUYERS): "You can read this, but changes are made by the buyer's own users or the "
                                          "distributor's administrators.",
}


def refusal(permission: Permission) -> str | None:
    """The sentence of the 403 page for `permission` (None: the generic one)."""
    return REFUSALS.get(POLICY[permission].roles)


def may(user, permission: Permission) -> bool:
    """Whether `user` (signed in or not) holds `permission`."""
    if permission is Permission.PUBLIC:
        return True
    return role_of(user) in POLICY[permission].roles


def may_current(permission: Permission | str) -> bool:
    """For templates: `{% if may("admin.options") %}` shows a button only to who may press it."""
    return may(current_user, Permission(permission))


@dataclass(frozen=True)
class Access:
    """What a view declared: the permission for reading it, and the one for POST (and other
    unsafe methods)."""

    permission: Permission
    post: Permission

    def needed(self, method: str) -> Permission:
        return self.permission if method in SAFE_METHODS else self.post


def allow(permission: Permission, *, post: Permission | None = None):
    """The one access declaration of a view. `post` names a stricter permission for POST."""
    access = Access(permission, post or permission)

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            needed = access.needed(request.method)
            if needed is not Permission.PUBLIC:
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()
                if not may(current_user, needed):
                    refused = Forbidden()
                    refused.storefront_message = refusal(needed)
                    raise refused
            return view(*args, **kwargs)

        setattr(checked, ACCESS_ATTR, access)
        return checked

    return decorator


def access_of(view) -> Access | None:
    return getattr(view, ACCESS_ATTR, None)


def undeclared_endpoints(app) -> list[str]:
    """Endpoints whose view carries no `@allow(...)`. `static` is Flask's own file route, public by nature."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        if access_of(app.view_functions[rule.endpoint]) is None:
            missing.append(rule.endpoint)
    return sorted(set(missing))
