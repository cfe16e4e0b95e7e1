"""What every page's layout needs: the navigation for the signed-in user and the permission check.

The navigation is grouped so it stays one row as areas are added: a group's heading is a plain link
to its section page (/sections/<key>, listing the group's entries), which static/js/nav.js turns
into a disclosure button for its menu (the WAI-ARIA disclosure navigation pattern). An entry shows
only when its endpoint exists and the user may open it, so pages that land later appear by
themselves and nobody is offered a page that would answer 403.

The storefront's name is an operator option: the admin area puts it in every page's context."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Flask, abort, current_app, request, url_for
from flask_login import current_user

from app.web.access import Permission, access_of, allow, may, may_current
from app.web.rendering import render


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    description: str = ""  # shown on the section page
    is_group = False

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


@dataclass(frozen=True)
class NavGroup:
    key: str  # the section page's address, /sections/<key>
    label: str
    items: tuple[NavItem, ...]
    is_group = True

    @property
    def url(self) -> str:
        return url_for("layout.section", key=self.key)

    @property
    def menu_id(self) -> str:
        return f"nav-menu-{self.key}"

    @property
    def current(self) -> bool:
        """The section page itself is open."""
        return request.endpoint == "layout.section" and (request.view_args or {}).get("key") == self.key

    @property
    def holds_current(self) -> bool:
        """One of its entries is open (the heading is marked, so one sees where one is)."""
        return any(item.current for item in self.items)


HOME = NavItem("Home", "home.index")
ORDERS = NavItem("Orders", "orders.index", "Every order and its provisioning, with what blocks the querying ones.")
SUBSCRIPTIONS = NavItem("Subscriptions", "subscriptions.index",
                        "Seats, renewals and auto-renewal; changes and cancellations.")
AGREEMENTS = NavItem("Agreements", "subscriptions.agreements",
                     "Each customer's agreements per tenant and product line, with their subscriptions and orders.")
WORKSPACES = NavItem("Workspaces", "subscriptions.workspaces",
                     "Each customer tenant: its subscriptions, delegated admin (GDAP) and portal shortcuts.")
PRODUCTS = NavItem("Products", "catalog.products", "Search the catalog, see prices, add to the cart.")
PRICE_LISTS = NavItem("Price lists", "catalog.price_lists", "Prices per market, to read or download.")

# The account settings of resellers and direct customers (and of the operator's own users).
USERS = NavItem("Users", "settings.users", "Invite colleagues, change their role, deactivate them.")
LICENSEES = NavItem("Licensees", "settings.licensees", "The customers you resell to: add, edit, archive.")
ARCHIVE = NavItem("Archive", "migration.archive", "Orders and invoices imported from the previous portal, read-only.")
PROGRAMS = NavItem("Programs", "programs.index",
                   "The CSP Partner Program: enroll, your certificates, and what to fix on a pending one.")
NOTIFICATION_SETTINGS = NavItem("Notifications", "settings.notifications",
                                "Which messages the account receives, who receives them, and the log of mail sent.")

# Navigation by kind of account. New pages join a group here; a group with nothing the user may
# open is left out.
NAVIGATION: dict[str, list[NavItem | NavGroup]] = {
    "operator": [
        HOME,
        NavGroup("sales", "Sales", (ORDERS, SUBSCRIPTIONS, AGREEMENTS, WORKSPACES, ARCHIVE)),
        NavGroup("catalog", "Catalog", (
            PRODUCTS, PRICE_LISTS,
            NavItem("Catalog sync", "catalog.sync", "Synchronise products and prices from Partner Center."))),
        NavGroup("partners", "Partners", (
            NavItem("Accounts", "partners.accounts",
                    "Resellers and direct customers: create, invite their first admin, suspend, edit."),
            NavItem("Programs", "programs.admin_index",
                    "Enrolments in the CSP Partner Program: approve, refuse, expire; terms and validity period."),
            NavItem("Partner requests", "programs.admin_requests",
                    "Companies that asked to become partners; turn one into a reseller account."),
            NavItem("Migration", "migration.admin_index",
                    "Import accounts and their history from the previous portal; announce migrations; webinars."))),
        NavGroup("tools", "Tools", (
            NavItem("Stuck work", "tools.stuck",
                    "Orders and catalog syncs that stopped at a deadline, with Retry."),
            NavItem("Reconciliation", "tools.reconciliation",
                    "Compare subscriptions with Partner Center and correct what differs."),
            NavItem("Customer import", "tools.customer_import",
                    "Partner Center customers the storefront does not know: import them with their subscriptions."),)),
        NavGroup("settings", "Settings", (
            NavItem("Storefront options", "admin.options",
                    "Billing plans, MCA acceptance, billing addresses, catalog updates, support email."),
            NavItem("Partner Center", "connections.index", "Connections, and the sandbox's pages and controls."),
            NavItem("MCA acceptances", "mca.log", "Who accepted or confirmed the Microsoft Customer Agreement."),
            NavItem("Audit log", "admin.audit_log", "Sign-ins, option changes and every order action."),
            USERS, NOTIFICATION_SETTINGS)),
    ],
    "reseller": [HOME, ORDERS, SUBSCRIPTIONS, AGREEMENTS, WORKSPACES, PRODUCTS, PRICE_LISTS, PROGRAMS, ARCHIVE,
                 NavGroup("settings", "Settings", (USERS, LICENSEES, NOTIFICATION_SETTINGS))],
    "customer": [HOME, ORDERS, SUBSCRIPTIONS, AGREEMENTS, WORKSPACES, PRODUCTS, PRICE_LISTS, ARCHIVE,
                 NavGroup("settings", "Settings", (USERS, NOTIFICATION_SETTINGS))],
}

# Entries shown only to some accounts of a kind (Archive: to accounts with migrated history): the
# area that owns the page registers a test of the signed-in user here, so this module imports no area.
NAV_CONDITIONS: dict[str, Callable[[object], bool]] = {}

# The user's own page, beside the name in the header.
PROFILE = NavItem("My profile", "auth.profile")


def _exists(item: NavItem) -> bool:
    return item.endpoint in current_app.view_functions


def _opens(item: NavItem) -> bool:
    """The page exists and the signed-in user may open it."""
    if not _exists(item):
        return False
    access = access_of(current_app.view_functions[item.endpoint])
    if access is None or not may(current_user, access.permission):
        return False
    condition = NAV_CONDITIONS.get(item.endpoint)
    return condition is None or condition(current_user)


def navigation_for_current_user() -> list[NavItem | NavGroup]:
    entries = []
    for entry in NAVIGATION.get(current_user.account.kind, []):
        if isinstance(entry, NavGroup):
            items = tuple(item for item in entry.items if _opens(item))
            if items:
                entries.append(NavGroup(entry.key, entry.label, items))
        elif _opens(entry):
            entries.append(entry)
    return entries


bp = Blueprint("layout", __name__)


@bp.route("/sections/<key>")
@allow(Permission.HOME)
def section(key: str):
    """A group's entries as a page: where the group's heading leads without JavaScript."""
    group = next((entry for entry in navigation_for_current_user()
                  if isinstance(entry, NavGroup) and entry.key == key), None)
    if group is None:
        declared = next((entry for entry in NAVIGATION.get(current_user.account.kind, [])
                         if isinstance(entry, NavGroup) and entry.key == key), None)
        # A section of this kind of account whose pages exist, none of which this user may open.
        if declared is not None and any(_exists(item) for item in declared.items):
            abort(403)
        abort(404)
    return render("layout/section.html", group=group)


def full_stop(name: str | None) -> str:
    """The full stop that ends a sentence after `name`: none after a name that has its own
    ("Fabrikam, Inc."), so a page never says "Fabrikam, Inc.."."""
    return "" if (name or "").endswith(".") else "."


def register_layout(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(full_stop)

    @app.context_processor
    def layout_context():
        nav, profile = [], None
        if current_user.is_authenticated:
            nav = navigation_for_current_user()
            profile = PROFILE if _opens(PROFILE) else None
        return {"navigation": nav, "profile_link": profile, "may": may_current}
