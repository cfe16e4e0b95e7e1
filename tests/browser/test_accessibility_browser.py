"""Every page passes axe-core's WCAG 2.1 A and AA rules (tests/browser/vendor/axe-core), as each role
sees it, signed out, and with JavaScript off.

The walk is every GET route of url_map that the role may open, so a page added later is checked
without anyone listing it here. Its ids are the isolation test's samples (reseller A's objects: the
reseller's pages are full, other accounts see their 404 page), on a live server of its own
(`walk_server`) that also holds open checkouts at the last step, so every step of the wizard is a
page. Event streams and CSV downloads are not pages: they are skipped.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.web.access import POLICY, Permission, Role, access_of
from app.web.layout import NAVIGATION
from tests.support.accessibility import axe_violations, without_page_scripts
from tests.support.browser import sign_in_as
from tests.web.test_isolation import SAMPLES

pytestmark = pytest.mark.browser

ROLES = {
    "operator admin": ("admin@example.com", Role.OPERATOR_ADMIN, "operator"),
    "operator member": ("operator-member@example.com", Role.OPERATOR_MEMBER, "operator"),
    "reseller admin": ("reseller@example.com", Role.ACCOUNT_ADMIN, "reseller"),
    "reseller member": ("reseller-member@example.com", Role.ACCOUNT_MEMBER, "reseller"),
    "customer admin": ("customer@example.com", Role.ACCOUNT_ADMIN, "customer"),
    "customer member": ("customer-member@example.com", Role.ACCOUNT_MEMBER, "customer"),
}

# Parameters the isolation samples do not give as a page to walk: (scene, kind of account) -> values.
WALK_SAMPLES = {
    "catalog.product": lambda scene, kind: [{"product_id": scene.product_id}],
    # The isolation samples ask for another account's market; every walked account is in the US.
    "catalog.price_list": lambda scene, kind: [{"market": "US"}],
    "layout.section": lambda scene, kind: [{"key": entry.key} for entry in NAVIGATION.get(kind, [])
                                           if entry.is_group],
}


# Files served as attachments (a browser downloads them; there is no page to check).
DOWNLOADS = {"migration.invoice_document"}


def _not_a_page(rule) -> bool:
    return rule.rule.endswith("/events") or rule.rule.endswith(".csv") or rule.endpoint in DOWNLOADS


def _values(rule, scene, kind) -> list[dict]:
    if not rule.arguments:
        return [{}]
    if rule.endpoint in WALK_SAMPLES:
        return WALK_SAMPLES[rule.endpoint](scene, kind)
    if rule.endpoint in SAMPLES:
        return [{name: fill(scene.isolation, "owner") for name, fill in SAMPLES[rule.endpoint].items()}]
    raise AssertionError(f"{rule.endpoint} ({rule.rule}) takes {sorted(rule.arguments)}: add a sample to SAMPLES in "
                         f"tests/web/test_isolation.py, or to WALK_SAMPLES in {__name__}.")


def pages_for(app, scene, role: Role | None, kind: str | None) -> list[str]:
    """The addresses of every page `role` may open (signed out: None, the public pages)."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or _not_a_page(rule):
            continue
        permission = access_of(app.view_functions[rule.endpoint]).permission
        if permission is not Permission.PUBLIC and role not in POLICY[permission].roles:
            continue
        urls += [rule.build(values, append_unknown=False)[1] for values in _values(rule, scene, kind)]
    return urls


@contextlib.contextmanager
def _own_page(browser) -> Iterator[Page]:
    """A page in a browser context of its own (its own cookies, so one role signs in), closed after."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
    finally:
        context.close()


def _check(page, base: str, path: str, problems: list[str]):
    response = page.goto(base + path)
    assert response.status < 500, f"{path} answered {response.status}"
    if "text/html" not in response.headers.get("content-type", ""):
        return
    problems += [f"{path}: {found}" for found in axe_violations(page)]


@pytest.mark.parametrize("role_name", list(ROLES))
def test_every_page_passes_wcag_21_aa_as_each_role(browser, walk_server, role_name):
    base, app, scene = walk_server
    email, role, kind = ROLES[role_name]
    with _own_page(browser) as page:
        sign_in_as(page, base, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        problems: list[str] = []
        walked = pages_for(app, scene, role, kind)
        for path in walked:
            _check(page, base, path, problems)
        # The menus are hidden until opened, and axe checks only what is shown: open each in turn.
        page.goto(base + "/")
        nav = page.get_by_role("navigation", name="Main")
        for group in [entry.label for entry in NAVIGATION[kind] if entry.is_group]:
            menu_button = nav.get_by_role("button", name=group)
            if menu_button.count():
                menu_button.click()
                expect(menu_button).to_have_attribute("aria-expanded", "true")
                problems += [f"/ with the {group} menu open: {found}" for found in axe_violations(page)]
    assert "/" in walked and "/orders" in walked
    assert not problems, f"{len(problems)} WCAG 2.1 AA violations as the {role_name}:\n" + "\n".join(problems)


def test_signed_out_pages_pass_wcag_21_aa(page, walk_server):
    base, app, scene = walk_server
    problems: list[str] = []
    walked = pages_for(app, scene, None, None)
    for path in walked:
        _check(page, base, path, problems)
    assert "/sign-in" in walked
    assert not problems, f"{len(problems)} WCAG 2.1 AA violations signed out:\n" + "\n".join(problems)


@pytest.mark.parametrize("role_name", ["operator admin", "reseller admin"])
def test_pages_pass_wcag_21_aa_with_javascript_off(browser, walk_server, role_name):
    """A sample as a browser without JavaScript shows it: the navigation's headings are links to the
    section pages, htmx does not run, and <noscript> content shows."""
    base, app, scene = walk_server
    email, role, kind = ROLES[role_name]
    with _own_page(browser) as page:
        page.route("**/*", without_page_scripts)
        problems: list[str] = []
        _check(page, base, "/sign-in", problems)
        sign_in_as(page, base, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto(base + "/")  # a redirect's target is not routed: sign-in's was served with scripts
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Settings")).to_have_attribute("href", "/sections/settings")
        expect(nav.get_by_role("button")).to_have_count(0)
        samples = ["/", "/orders", f"/orders/{scene.isolation.order_number}", "/subscriptions", "/catalog/products",
                   f"/catalog/products/{scene.product_id}"]
        samples += [f"/sections/{entry.key}" for entry in NAVIGATION[kind] if entry.is_group]
        if kind == "reseller":
            samples += ["/cart", "/checkout/customer", "/checkout/service", "/checkout/review"]
        for path in samples:
            _check(page, base, path, problems)
            assert page.url == base + path, f"{path} redirected to {page.url}, which was served with its scripts"
    assert not problems, f"{len(problems)} WCAG 2.1 AA violations with JavaScript off:\n" + "\n".join(problems)
