"""Every route declares who may use it (one `@allow(...)`), signed-out visits go to sign-in, and
the roles of the permission table are enforced.

Convention tests walk url_map, so a new route is checked without anyone remembering to add it
here; each failure says how to fix it (in the style of GOV.UK Notify's tests/app/main/test_permissions.py).
"""
from __future__ import annotations

import inspect
import os

import pytest

from app.web.access import POLICY, Permission, Role, access_of, allow, undeclared_endpoints

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Sample values for the URL parameters of admin routes, so the walk below can call them.
ADMIN_SAMPLES = {"name": "default", "sync_id": "1", "job_id": "partner-center-check-default",
                 "number": "ORD-0000-0000-0000", "account_id": "1", "kind": "reseller", "invitation_id": "1",
                 "certificate_id": "1", "request_id": "1"}
ADMIN_SAMPLES.update(event_id="1")  # admin > Audit log: one event

ADMIN_SAMPLES.update(run_id="1", migrated_id="1", webinar_id="1")  # admin > Migration

ADMIN_SAMPLES.update(candidate_id="1")  # admin > Tools > Customer import: a customer found (run_id above)

ADMIN_SAMPLES.update(user_id="1")  # admin > Accounts > an account: one of its users


def _where(app, endpoint: str) -> str:
    view = inspect.unwrap(app.view_functions[endpoint])
    try:
        return f"{os.path.relpath(inspect.getsourcefile(view), ROOT)}, def {view.__name__}"
    except TypeError:
        return endpoint


def test_every_route_declares_a_permission(app):
    problems = [
        f"{endpoint} has no access declaration. Add one line above `{_where(app, endpoint)}`: "
        f"@allow(Permission.SOMETHING) from app.web.access, choosing the permission in its POLICY table "
        f"(add a row there and in the README's 'Who may do what' table if none fits)."
        for endpoint in undeclared_endpoints(app)]
    assert not problems, "\n".join(problems)


# Adds a route: the app is this test's own.
@pytest.mark.fresh_app
def test_the_convention_check_catches_an_undeclared_route(app):
    @app.route("/_forgotten")
    def forgotten():
        return "secret"

    assert undeclared_endpoints(app) == ["forgotten"]


def test_every_permission_has_a_row_in_the_policy_table():
    assert set(POLICY) == set(Permission)
    assert all(rule.roles for rule in POLICY.values())


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            yield rule


def _admin_post_problems(app) -> list[str]:
    problems = []
    for rule in _admin_rules(app):
        if "POST" not in rule.methods:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        needed = access.needed("POST") if access else None
        if needed is None or POLICY[needed].roles != {Role.OPERATOR_ADMIN}:
            problems.append(
                f"POST {rule.rule} ({_where(app, rule.endpoint)}) is allowed to "
                f"{sorted(r.value for r in POLICY[needed].roles) if needed else 'anyone'}. A POST under /admin "
                f"changes something: declare it @allow(Permission.ADMIN_VIEW, post=Permission.<an operator-admin "
                f"permission>) (or that permission alone for a POST-only view).")
    return problems


def test_state_changing_admin_routes_are_for_operator_admins_only(app):
    """An operator member reads admin pages but changes nothing: options, connections, tools."""
    problems = _admin_post_problems(app)
    assert not problems, "\n".join(problems)


# Adds a route: the app is this test's own.
@pytest.mark.fresh_app
def test_the_convention_check_catches_an_admin_post_open_to_members(app):
    @app.route("/admin/_purge", methods=["GET", "POST"])
    @allow(Permission.ADMIN_VIEW)
    def purge():
        return "purged"

    [problem] = _admin_post_problems(app)
    assert problem.startswith("POST /admin/_purge (tests/web/test_access_convention.py, def purge) is allowed to "
                              "['operator admin', 'operator member']")


def _url(rule) -> str:
    missing = [a for a in rule.arguments if a not in ADMIN_SAMPLES]
    assert not missing, (f"{rule.rule} takes {missing}: add a sample value to ADMIN_SAMPLES in "
                         f"tests/web/test_access_convention.py so the role tests reach it.")
    return rule.build({a: ADMIN_SAMPLES[a] for a in rule.arguments}, append_unknown=False)[1]


def test_operator_member_reads_every_admin_page(app, operator_member_client):
    pages = [rule for rule in _admin_rules(app) if "GET" in rule.methods and not rule.arguments]
    assert {r.rule for r in pages} >= {"/admin/options", "/admin/audit", "/admin/mca", "/admin/catalog",
                                       "/admin/partner-center/"}
    for rule in pages:
        assert operator_member_client.get(rule.rule).status_code == 200, rule.rule


def test_operator_member_is_refused_every_admin_post(app, db, operator_member_client, redis):
    """Options, connections, catalog sync, connection check: 403, and nothing happens."""
    from app.admin.models import StorefrontSetting
    from app.audit.models import AuditEvent
    from app.catalog.models import CatalogSync

    syncs = db.session.scalar(db.select(db.func.count(CatalogSync.id)))
    posts = [rule for rule in _admin_rules(app) if "POST" in rule.methods]
    assert {r.endpoint for r in posts} >= {"admin.options", "catalog.sync", "connections.index", "connections.check"}
    for rule in posts:
        response = operator_member_client.post(_url(rule), {"storefront_name": "Taken over", "name": "default"})
        assert response.status_code == 403, rule.rule
    assert db.session.scalars(db.select(StorefrontSetting)).all() == []
    assert db.session.scalar(db.select(db.func.count(CatalogSync.id))) == syncs
    assert [k for k in redis.keys("rq:job:*")] == []
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action != "signed_in")) is None


def test_operator_admin_may_post_to_admin_routes(operator_client, db):
    from app.catalog.models import CatalogSync

    syncs = db.session.scalar(db.select(db.func.count(CatalogSync.id)))
    response = operator_client.post("/admin/catalog", {})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(CatalogSync.id))) == syncs + 1


def test_pages_offer_only_what_the_role_may_do(scene, operator_client, operator_member_client, reseller_member_client):
    """The operator member reads the same pages as the operator admin, without the buttons that
    would answer 403; an account member acts on its account's orders and subscriptions."""
    from tests.helpers import soup

    for c, may_change in ((operator_client, True), (operator_member_client, False)):
        options = soup(c.get("/admin/options"))
        assert bool(options.select("#options-form button[type=submit]")) == may_change
        assert bool(options.select("#read-only")) != may_change
        assert bool(soup(c.get("/admin/catalog")).select("form.sync-form")) == may_change
        connections = soup(c.get("/admin/partner-center/"))
        assert bool(connections.find("button", string="Check connection")) == may_change
        assert bool(connections.select('a[href$="/_sandbox/admin"]')) == may_change
    for c, may_act in ((operator_client, True), (operator_member_client, False), (reseller_member_client, True)):
        assert bool(soup(c.get(f"/orders/{scene.order_number}")).select("#process-button")) == may_act
        assert bool(soup(c.get(f"/subscriptions/{scene.sub_id}")).select("#quantity-panel form")) == may_act
        terminate = soup(c.get(f"/agreements/{scene.agreement_number}/terminate"))
        assert bool(terminate.select("form.confirm-termination")) == may_act


def _protected_get_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        access = access_of(app.view_functions[rule.endpoint])
        if access.needed("GET") is Permission.PUBLIC:
            continue
        if "GET" in rule.methods and not rule.arguments:
            yield rule.rule


def test_signed_out_visit_redirects_to_sign_in(app, client):
    urls = list(_protected_get_endpoints(app))
    assert "/" in urls and "/admin/options" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        if url == "/":  # the front door goes straight to sign-in, without a "please sign in" note
            assert response.headers["Location"] == "/sign-in", url
        else:
            assert response.headers["Location"].startswith("/sign-in?next="), url


def test_signed_out_htmx_request_gets_401_with_hx_redirect(client):
    response = client.get("/admin/options", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in?next=/admin/options"


@pytest.mark.parametrize("who", ["reseller_client", "customer_client", "reseller_member_client",
                                 "customer_member_client"])
def test_non_operators_are_refused_admin_pages(app, demo, request, who):
    c = request.getfixturevalue(who)
    for rule in _admin_rules(app):
        if "GET" in rule.methods:
            assert c.get(_url(rule)).status_code == 403, rule.rule


def test_operator_reaches_admin_pages(operator_client):
    assert operator_client.get("/admin/options").status_code == 200
    assert operator_client.get("/admin/audit").status_code == 200


@pytest.mark.parametrize("who", ["reseller_member_client", "customer_member_client"])
def test_account_members_browse_buy_and_follow_their_orders(demo, request, who):
    c = request.getfixturevalue(who)
    request.getfixturevalue("something_to_buy")  # (the checkout buys the cart)
    for url in ("/", "/catalog/products", "/catalog/price-lists", "/cart", "/orders", "/subscriptions",
                "/notifications"):
        assert c.get(url).status_code == 200, url
    step = c.get("/checkout/")
    assert step.status_code == 302 and step.headers["Location"].startswith("/checkout/")
    assert c.get(step.headers["Location"]).status_code == 200


def test_operators_do_not_buy(operator_client, operator_member_client):
    for c in (operator_client, operator_member_client):
        assert c.get("/cart").status_code == 403
        assert c.get("/checkout/").status_code == 403
        assert c.get("/orders").status_code == 200


@pytest.mark.parametrize("email, role", [
    ("admin@example.com", Role.OPERATOR_ADMIN), ("operator-member@example.com", Role.OPERATOR_MEMBER),
    ("reseller@example.com", Role.ACCOUNT_ADMIN), ("reseller-member@example.com", Role.ACCOUNT_MEMBER),
    ("reseller2@example.com", Role.ACCOUNT_ADMIN), ("customer@example.com", Role.ACCOUNT_ADMIN),
    ("customer-member@example.com", Role.ACCOUNT_MEMBER)])
def test_demo_users_have_the_roles_the_readme_names(demo, db, email, role):
    from app.accounts.models import User
    from app.web.access import role_of

    assert role_of(db.session.scalar(db.select(User).where(User.email == email))) == role


# Adds a route: the app is this test's own.
@pytest.mark.fresh_app
def test_account_settings_are_for_account_admins(app, demo, client):
    """No account-settings page exists yet (issue 12 adds them); one declared with the permission
    answers 200 to account admins and the operator admin, 403 to every member."""
    @app.route("/_settings-example", methods=["GET", "POST"])
    @allow(Permission.ACCOUNT_SETTINGS)
    def settings_example():
        return "settings"

    from tests.helpers import Client, sign_in

    expected = {"admin@example.com": 200, "reseller@example.com": 200, "reseller2@example.com": 200,
                "customer@example.com": 200, "operator-member@example.com": 403,
                "reseller-member@example.com": 403, "customer-member@example.com": 403}
    for email, status in expected.items():
        c = Client(app.test_client())
        sign_in(c, email)
        assert c.get("/_settings-example").status_code == status, email
    assert client.get("/_settings-example").status_code == 302


def test_signed_out_visit_says_why_it_was_sent_to_sign_in(client):
    from tests.helpers import text_of

    response = client.get("/admin/options")
    assert "Please sign in to see that page." in text_of(client.get(response.headers["Location"]))
    client.get("/")
    assert "Please sign in" not in text_of(client.get("/sign-in"))


# ----------------------------------------------------------------------------------- the README's table

README_COLUMNS = ["operator admin", "operator member", "account admin", "account member"]


def _readme_table() -> dict[str, set[str]]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("### Who may do what", 1)
    assert len(section) == 2, "README.md has no '### Who may do what' section"
    block = []
    for line in section[1].splitlines()[1:]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    assert block, "the 'Who may do what' section has no table"
    header = [cell.strip() for cell in block[0].strip("|").split("|")]
    assert header == ["what", *README_COLUMNS], header
    table = {}
    for line in block[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = {column for column, cell in zip(README_COLUMNS, cells[1:]) if cell == "✓"}
    return table


def test_the_readme_table_is_the_policy_table():
    expected = {rule.what: {role.value for role in rule.roles} for rule in POLICY.values()}
    assert _readme_table() == expected, (
        "README.md's 'Who may do what' table differs from POLICY in app/web/access.py; print it with "
        "`python -c 'from tests.web.test_access_convention import readme_rows; print(readme_rows())'`.")


def readme_rows() -> str:
    """The README table as POLICY says it should read."""
    rows = ["| what | " + " | ".join(README_COLUMNS) + " |", "|---" * (len(README_COLUMNS) + 1) + "|"]
    for rule in POLICY.values():
        rows.append(f"| {rule.what} | " + " | ".join("✓" if Role(c) in rule.roles else "—"
                                                     for c in README_COLUMNS) + " |")
    return "\n".join(rows)

