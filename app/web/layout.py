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

from flask import Blueprint, Flask, abort, current_app, g, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from app.extensions import db
from app.time import utcnow
from app.web.access import POLICY, Permission, access_of, allow, may_current, refusal, role_of
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

    @property
    def endpoints(self) -> tuple[str, ...]:
        return (self.endpoint,)


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

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(item.endpoint for item in self.items)


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
                    "Enrollments in the CSP Partner Program: approve, refuse, expire; terms and validity period."),
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


def _permitted(item: NavItem, role) -> bool:
    """The page exists and users of `role` may open it (the same for every user of the role)."""
    if not _exists(item):
        return False
    access = access_of(current_app.view_functions[item.endpoint])
    return access is not None and (access.permission is Permission.PUBLIC or role in POLICY[access.permission].roles)


_NAVIGATION_CACHE = "layout_navigation"


def _navigation_of(kind: str, role) -> tuple[list[NavItem | NavGroup], tuple[NavItem, ...], bool]:
    """The entries users of `kind` with `role` may open, before the per-user conditions; those of them shown only to
    some users (with a condition); and whether the role may open its profile page. The same for all of them as
    long as the app's routes are, so kept on the app (every page shows it; working it out cost about a tenth of
    a page)."""
    cache = current_app.extensions.setdefault(_NAVIGATION_CACHE, {})
    key = (kind, role)
    if key not in cache:
        entries = []
        for entry in NAVIGATION.get(kind, []):
            if isinstance(entry, NavGroup):
                items = tuple(item for item in entry.items if _permitted(item, role))
                if items:
                    entries.append(NavGroup(entry.key, entry.label, items))
            elif _permitted(entry, role):
                entries.append(entry)
        cache[key] = (entries, _conditioned(entries), _permitted(PROFILE, role))
    return cache[key]


def _meets_condition(item: NavItem, user) -> bool:
    condition = NAV_CONDITIONS.get(item.endpoint)
    return condition is None or condition(user)


def _conditioned(entries: list[NavItem | NavGroup]) -> tuple[NavItem, ...]:
    """The entries (in groups too) shown only to some users: those with a condition."""
    items = [item for entry in entries for item in (entry.items if isinstance(entry, NavGroup) else (entry,))]
    return tuple(item for item in items if item.endpoint in NAV_CONDITIONS)


_SHOWN_NAVIGATION = "layout_shown_navigation"


def _shown_navigation(user) -> tuple[tuple, list[NavItem | NavGroup], bool]:
    """The signed-in user's entries, and a key that names them: its kind of account, its role and the outcome
    of each per-user condition. Users with the same key see the same entries, so they are worked out once.
    Last, whether the user's profile page is shown."""
    kind, role = user.account.kind, role_of(user)
    permitted, conditioned, profile = _navigation_of(kind, role)
    met = {item.endpoint: bool(_meets_condition(item, user)) for item in conditioned}
    key = (kind, role, tuple(met.values()))
    kept = current_app.extensions.setdefault(_SHOWN_NAVIGATION, {})
    if key not in kept:
        entries = []
        for entry in permitted:
            if isinstance(entry, NavGroup):
                items = tuple(item for item in entry.items if met.get(item.endpoint, True))
                if len(items) == len(entry.items):
                    entries.append(entry)
                elif items:
                    entries.append(NavGroup(entry.key, entry.label, items))
            elif met.get(entry.endpoint, True):
                entries.append(entry)
        kept[key] = entries
    return key, kept[key], profile and _meets_condition(PROFILE, user)


def navigation_for_current_user() -> list[NavItem | NavGroup]:
    return _shown_navigation(current_user._get_current_object())[1]


_NAVIGATION_MARKUP = "layout_navigation_markup"


def navigation_markup(shown: tuple, entries: list[NavItem | NavGroup]) -> Markup:
    """The main navigation drawn for these entries (`shown` names them: _shown_navigation) and the open page: the
    same entries on the same page draw the same markup, so it is drawn once and kept on the app (drawing it was
    a fifth of a page's layout). The open page counts only where an entry points at it."""
    endpoint, section = request.endpoint, None
    if endpoint == "layout.section":
        section = (request.view_args or {}).get("key")
    elif not any(endpoint in entry.endpoints for entry in entries):
        endpoint = None  # a page the navigation does not point at: drawn as for any other such page
    key = (shown, endpoint, section, request.script_root)
    kept = current_app.extensions.setdefault(_NAVIGATION_MARKUP, {})
    markup = kept.get(key)
    if markup is None:
        # Straight from the template, without render_template's context processors (this runs inside one).
        markup = kept[key] = Markup(current_app.jinja_env.get_template("_navigation.html").render(navigation=entries))
    return markup


_USER_HEADERS = "layout_user_headers"
KEPT_HEADERS = 5_000  # signed-in headers a process remembers; when full it starts again


def user_header(shown: tuple, entries: list[NavItem | NavGroup], profile: NavItem | None, csrf_token: str) -> Markup:
    """The signed-in part of the header (templates/layout/_user_header.html): the navigation, the badges, the
    user's and account's names, the profile link and the sign-out form. It shows nothing but what the key holds
    (the navigation's markup, which names the open page; the header's facts, which the badges show; the names;
    whether the profile page is open; the session's CSRF token), so it is drawn once per key and kept on the app:
    drawing it (two includes, each with a copy of the page's context) was most of a page's layout."""
    user = current_user._get_current_object()
    nav = navigation_markup(shown, entries)
    facts = layout_facts()
    account = user.account
    key = (nav, user.name, account.name, account.kind, tuple(facts.items()),
           profile is not None and profile.current, csrf_token, request.script_root)
    kept = current_app.extensions.setdefault(_USER_HEADERS, {})
    markup = kept.get(key)
    if markup is None:
        if len(kept) >= KEPT_HEADERS:
            kept.clear()
        # Straight from the template, without render_template's context processors (this runs inside one).
        markup = kept[key] = Markup(current_app.jinja_env.get_template("layout/_user_header.html").render(
            nav=nav, user=user, profile_link=profile, page_csrf_token=csrf_token))
    return markup


_HEAD_ASSETS = "layout_head_assets"


def head_assets() -> Markup:
    """The links of every page's head to its icon, stylesheet and scripts (templates/layout/_head_assets.html). Their
    addresses depend only on the root the storefront is served under (each names its file's version, read once per
    process: app/web/urls.py), so they are drawn once per root and kept on the app: seven URLs built on every page."""
    kept = current_app.extensions.setdefault(_HEAD_ASSETS, {})
    markup = kept.get(request.script_root)
    if markup is None:
        # Straight from the template, without render_template's context processors (this runs inside one).
        markup = kept[request.script_root] = Markup(
            current_app.jinja_env.get_template("layout/_head_assets.html").render())
    return markup


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
        # A section of this kind of account whose pages exist, none of which this user may open: who may is
        # said as on the pages themselves, when they all say the same.
        existing = [item for item in declared.items if _exists(item)] if declared is not None else []
        if existing:
            refused = Forbidden()
            said = {refusal(access_of(current_app.view_functions[item.endpoint]).permission) for item in existing}
            refused.storefront_message = said.pop() if len(said) == 1 else None
            raise refused
        abort(404)
    return render("layout/section.html", group=group)


# ------------------------------------------------------------------ what the header says of the user
#
# Every page's header shows a few counts of the signed-in user's (the cart's lines, unread notifications,
# whether the account has migrated history). Each area registers the SQL expression of its own here (so
# this module imports no area), and the first one a page asks for reads them all in one statement. The
# values are kept for the rest of the request until the session next writes (a page that adds to the
# cart and then shows the badge reads them again).

# The signed-in user's id and account id in a fact's expression: the statement is built once per kind of
# account and only these values change from request to request.
USER_ID = bindparam("layout_user_id")
ACCOUNT_ID = bindparam("layout_account_id")
NOW = bindparam("layout_now")  # app.time.utcnow() of the request, for facts that depend on dates

LayoutFact = Callable[[str], object]  # the kind of account -> a scalar SQL expression, or None: not asked
LAYOUT_FACTS: dict[str, tuple[LayoutFact, object]] = {}
_STATEMENTS: dict[str, object] = {}  # kind of account -> the statement that reads its facts
_READ = "layout_facts"


def register_layout_fact(name: str, expression: LayoutFact, default: object = 0) -> None:
    """`expression(kind)`: a scalar SQL expression of the signed-in user's (USER_ID, ACCOUNT_ID, NOW) for an
    account of that kind, or None when it does not apply to that kind; `default`: its value then, when
    nobody is signed in, or when the database cannot answer."""
    LAYOUT_FACTS[name] = (expression, default)
    _STATEMENTS.clear()
    _WITH_FACTS.clear()


def layout_fact(name: str):
    """The fact's value for the signed-in user."""
    return layout_facts().get(name, LAYOUT_FACTS[name][1])


def layout_facts() -> dict:
    """Every fact of the signed-in user's that applies to its kind of account, read with the first one asked for
    (nobody signed in: none)."""
    if not has_request_context():
        return {}
    # Facts are kept only for a signed-in user (app/auth/sessions.py forgets those read with a user it then
    # refuses), so kept facts answer without asking current_user, whose proxy costs more than the lookup.
    facts = g.get(_READ)
    if facts is None:
        if not current_user.is_authenticated:
            return {}
        facts = g.layout_facts = _read_facts(current_user._get_current_object())
    return facts


def _statement(kind: str):
    if kind not in _STATEMENTS:
        columns = [column.label(name) for name, (expression, _) in LAYOUT_FACTS.items()
                   if (column := expression(kind)) is not None]
        _STATEMENTS[kind] = select(*columns) if columns else None
    return _STATEMENTS[kind]


def facts_params(user_id: int, account_id: int) -> dict:
    """The values of USER_ID, ACCOUNT_ID and NOW for a statement with the facts."""
    return {"layout_user_id": user_id, "layout_account_id": account_id, "layout_now": utcnow()}


def _read_facts(user) -> dict:
    statement = _statement(user.account.kind)
    if statement is None:
        return {}
    try:
        return dict(db.session.execute(statement, facts_params(user.id, user.account_id)).one()._mapping)
    except SQLAlchemyError:  # the layout must render even when the database is down
        db.session.rollback()
        return {}


# Reading the facts with the signed-in user: the user loader (app/auth/sessions.py) knows, from an earlier
# request, the user's account and its kind, and asks for the user and the facts in one statement.
_WITH_FACTS: dict[tuple[int, str], tuple[object, list[str]]] = {}


def _with_facts(statement, kind: str) -> tuple[object, list[str]]:
    key = (id(statement), kind)
    if key not in _WITH_FACTS:
        facts = _statement(kind)
        columns = list(facts.selected_columns) if facts is not None else []
        _WITH_FACTS[key] = (statement.add_columns(*columns), [column.key for column in columns])
    return _WITH_FACTS[key]


def with_facts(statement, kind: str):
    """`statement` (built once, selecting the user) with the facts of a `kind` account as further columns."""
    return _with_facts(statement, kind)[0]


def keep_facts(statement, kind: str, row) -> None:
    """The facts read with the user (`row`, of `with_facts(statement, kind)`) stand for this request."""
    if has_request_context():
        mapping = row._mapping
        g.layout_facts = {name: mapping[name] for name in _with_facts(statement, kind)[1]}


@event.listens_for(Session, "after_flush")
def _forget_facts(*_args) -> None:
    if has_request_context():
        g.pop(_READ, None)


def forget_facts() -> None:
    """The facts kept for this request are read again when next asked (app/auth/sessions.py: the user they were
    read with is not signed in after all)."""
    _forget_facts()


@event.listens_for(Session, "do_orm_execute")
def _forget_facts_on_statement(state) -> None:
    """An UPDATE, DELETE or INSERT statement (marking notifications read is one) writes without a flush."""
    if state.is_update or state.is_delete or state.is_insert:
        _forget_facts()


def full_stop(name: str | None) -> str:
    """The full stop that ends a sentence after `name`: none after a name that has its own
    ("Fabrikam, Inc."), so a page never says "Fabrikam, Inc.."."""
    return "" if (name or "").endswith(".") else "."


def register_layout(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(full_stop)
    app.add_template_global(head_assets)

    @app.context_processor
    def layout_context():
        shown, nav, profile = None, [], None
        user = current_user._get_current_object()
        if user.is_authenticated:
            shown, nav, profile_shown = _shown_navigation(user)
            profile = PROFILE if profile_shown else None
        return {"navigation": nav, "navigation_markup": lambda: navigation_markup(shown, nav), "profile_link": profile,
                "may": may_current, "user_header": lambda csrf_token: user_header(shown, nav, profile, csrf_token)}
