"""The sandbox stays a sandbox: mounted beside the storefront, its controls answer only to a
signed-in operator admin, its overview only to operators, and its acceptance page to anyone with
the link, with its own CSRF token and a banner saying it is a simulation.

Requests go through the WSGI stack that is served (app.serving.storefront_wsgi), as a browser's would.
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from werkzeug.test import Client as WsgiClient

from app.connections.services import get_client
from app.serving import sandbox_permission, storefront_wsgi

CONTROL_PAGES = ["/sandbox/_sandbox/admin", "/sandbox/_sandbox/state", "/sandbox/_sandbox/calls",
                 "/sandbox/_sandbox/clock", "/sandbox//_sandbox/admin"]


class Browser:
    """A browser on the served stack: cookies kept, one app context per request (as in a server)."""

    def __init__(self, app, email: str | None = None):
        self.app = app
        self.http = WsgiClient(storefront_wsgi(app))
        if email:
            page = self.get("/sign-in").get_data(as_text=True)
            token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
            signed_in = self.post("/sign-in", data={"email": email, "password": "demo-password", "csrf_token": token})
            assert signed_in.status_code == 302, email

    def get(self, url, **kw):
        with self.app.app_context():
            return self.http.get(url, **kw)

    def post(self, url, **kw):
        with self.app.app_context():
            return self.http.post(url, **kw)


@pytest.fixture
def browsers(demo):
    return {who: Browser(demo, email) for who, email in [
        ("signed out", None), ("reseller", "reseller@example.com"), ("customer", "customer@example.com"),
        ("operator member", "operator-member@example.com"), ("operator admin", "admin@example.com")]}


def test_controls_answer_only_to_an_operator_admin(browsers, sandbox_store):
    for url in CONTROL_PAGES:
        signed_out = browsers["signed out"].get(url)
        assert signed_out.status_code == 302, url
        assert signed_out.headers["Location"].startswith("/sign-in?next=/sandbox/"), url
        for who in ("reseller", "customer", "operator member"):
            refused = browsers[who].get(url)
            assert refused.status_code == 403, (who, url)
            assert BeautifulSoup(refused.get_data(as_text=True), "html.parser").select_one("h1").get_text() == \
                "Access denied"
    admin = browsers["operator admin"]
    page = admin.get("/sandbox/_sandbox/admin")
    assert page.status_code == 200
    assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#clock form")
    assert admin.get("/sandbox/_sandbox/state").json["clock"]["offsetSeconds"] == 0


def test_signing_in_from_the_controls_comes_back_to_them(browsers):
    visitor = browsers["signed out"]
    location = visitor.get("/sandbox/_sandbox/admin").headers["Location"]
    page = visitor.get(location).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    signed_in = visitor.post(location, data={"email": "admin@example.com", "password": "demo-password",
                                             "csrf_token": token})
    assert signed_in.headers["Location"] == "/sandbox/_sandbox/admin"
    assert visitor.get("/sandbox/_sandbox/admin").status_code == 200


@pytest.mark.parametrize("who", ["signed out", "reseller", "customer", "operator member"])
def test_nobody_else_moves_the_clock_resets_or_injects_faults(browsers, sandbox_store, who):
    tenants = len(sandbox_store.documents("tenant"))
    get_client().create_customer(domain="gatekeptco", company_name="Gatekept Ltd", email="it@gatekept.example.com",
                                 address={"addressLine1": "1 Main Street", "city": "Seattle", "state": "WA",
                                          "postalCode": "98101", "country": "US", "phoneNumber": "2065550100"},
                                 first_name="Ann", last_name="Admin")
    visitor = browsers[who]
    for url, body in [("/sandbox/_sandbox/clock/advance", {"days": 30}), ("/sandbox/_sandbox/reset", {}),
                      ("/sandbox/_sandbox/faults", {"kind": "error", "count": 5}),
                      ("/sandbox/_sandbox/admin/reset", None), ("/sandbox/_sandbox/admin/clock", None)]:
        response = visitor.post(url, json=body) if body is not None else visitor.post(url, data={"days": "30"})
        assert response.status_code == (302 if who == "signed out" else 403), (who, url)
    assert sandbox_store.clock_offset().total_seconds() == 0
    assert sandbox_store.faults() == []
    assert len(sandbox_store.documents("tenant")) == tenants + 1


def test_the_operator_admin_uses_the_controls_with_the_pages_token(browsers, sandbox_store):
    admin = browsers["operator admin"]
    page = BeautifulSoup(admin.get("/sandbox/_sandbox/admin").get_data(as_text=True), "html.parser")
    form = page.select_one("#clock form")
    token = form.select_one("input[name=sandbox_csrf]")["value"]
    assert form["action"] == "/sandbox/_sandbox/admin/clock"
    forged = admin.post(form["action"], data={"days": "2", "hours": "0", "action": "advance"})
    assert forged.status_code == 400
    assert sandbox_store.clock_offset().total_seconds() == 0
    moved = admin.post(form["action"], data={"sandbox_csrf": token, "days": "2", "hours": "0", "action": "advance"})
    assert moved.status_code == 302
    assert sandbox_store.clock_offset().total_seconds() == pytest.approx(2 * 86400)


def test_the_overview_is_for_operators(browsers):
    assert browsers["signed out"].get("/sandbox/").status_code == 302
    assert browsers["reseller"].get("/sandbox/").status_code == 403
    for who in ("operator member", "operator admin"):
        overview = browsers[who].get("/sandbox/")
        assert overview.status_code == 200, who
        assert "fabrikam.onmicrosoft.com" in overview.get_data(as_text=True)


def _acceptance_path() -> str:
    link = get_client().get_relationship_request().url
    return link.split("127.0.0.1:5000", 1)[1].split("#")[0]


def test_the_acceptance_page_is_open_to_anyone_with_the_link_and_says_it_is_a_simulation(browsers, sandbox_store):
    path = _acceptance_path()
    visitor = browsers["signed out"]
    page = visitor.get(path)
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("#simulation-banner").get_text(" ", strip=True).startswith(
        "Simulation: this is the Partner Center sandbox, not Microsoft.")
    form = soup.select_one("form")
    token = form.select_one("input[name=sandbox_csrf]")["value"]
    wingtip = sandbox_store.tenant_by_domain("wingtiptoys.onmicrosoft.com")["id"]
    accepted = visitor.post(form["action"], data={"sandbox_csrf": token, "tenantId": wingtip})
    assert accepted.status_code == 200
    assert BeautifulSoup(accepted.get_data(as_text=True), "html.parser").select_one("#accepted")
    assert sandbox_store.document("tenant", wingtip)["relationship"]


@pytest.mark.parametrize("who", ["signed out", "operator admin"])
def test_an_acceptance_without_the_pages_token_is_refused(browsers, sandbox_store, who):
    """Not even a signed-in storefront user's session stands in for the sandbox's own token."""
    path = _acceptance_path()
    visitor = browsers[who]
    assert visitor.get(path).status_code == 200
    wingtip = sandbox_store.tenant_by_domain("wingtiptoys.onmicrosoft.com")["id"]
    refused = visitor.post(path, data={"tenantId": wingtip})
    assert refused.status_code == 400
    soup = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    assert soup.select_one("#simulation-banner") and soup.select_one(".problem[role=alert]")
    assert soup.select_one("#open-again")["href"] == path
    fresh = Browser(browsers[who].app)  # a page from another browser gives a token that is not this one's cookie
    other_token = BeautifulSoup(fresh.get(path).get_data(as_text=True), "html.parser").select_one(
        "input[name=sandbox_csrf]")["value"]
    assert visitor.post(path, data={"sandbox_csrf": other_token, "tenantId": wingtip}).status_code == 400
    assert sandbox_store.document("tenant", wingtip)["relationship"] is None


def test_only_the_acceptance_page_and_the_api_are_open():
    from app.web.access import Permission

    assert sandbox_permission("/Adminportal/Home") is None
    assert sandbox_permission("/v1/customers") is None
    assert sandbox_permission("/8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c/oauth2/v2.0/token") is None
    assert sandbox_permission("/") is Permission.ADMIN_VIEW
    assert sandbox_permission("/./_sandbox/reset") is Permission.SANDBOX_CONTROLS


def test_a_standalone_sandbox_leaves_its_controls_open_for_development(tmp_path):
    from app.sandbox import create_app as create_sandbox

    sandbox = create_sandbox({"SANDBOX_DATA_DIR": str(tmp_path / "standalone")})
    with sandbox.test_client() as browser:
        assert browser.get("/_sandbox/admin").status_code == 200
        assert browser.post("/_sandbox/clock/advance", json={"days": 1}).status_code == 200


def _header_links(response) -> list[str]:
    return [a.get_text() for a in BeautifulSoup(response.get_data(as_text=True), "html.parser").select("header a")]


def test_the_sandbox_header_offers_only_the_pages_that_open_for_the_person(browsers):
    """An operator member is refused the controls, the token controls and the resellers' GDAP page
    (403): their links are not offered; the operator admin has them all."""
    everything = ["Overview", "Mailbox", "Sandbox controls", "Sign-in and tokens", "GDAP for resellers"]
    assert _header_links(browsers["operator admin"].get("/sandbox/")) == everything
    for path in ("/sandbox/", "/sandbox/mail"):
        assert _header_links(browsers["operator member"].get(path)) == ["Overview", "Mailbox"], path
    for link in ("/sandbox/_sandbox/admin", "/sandbox/_sandbox/tokens/admin", "/sandbox/_sandbox/gdap"):
        assert browsers["operator member"].get(link).status_code == 403, link
        assert browsers["operator admin"].get(link).status_code == 200, link
    assert _header_links(browsers["reseller"].get("/sandbox/mail")) == ["Mailbox"]
