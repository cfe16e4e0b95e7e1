"""Every route declares who may see it; signed-out visits go to sign-in; roles are enforced."""
from __future__ import annotations

import pytest

from app.web.access import unprotected_endpoints


def test_every_route_is_public_or_checked(app):
    assert unprotected_endpoints(app) == []


def test_the_convention_check_catches_an_unprotected_route(app):
    @app.route("/_forgotten")
    def forgotten():
        return "secret"

    assert unprotected_endpoints(app) == ["forgotten"]


def _protected_get_endpoints(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "_storefront_access", None) == "public" or rule.endpoint == "static":
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


@pytest.mark.parametrize("who", ["reseller_client", "customer_client"])
def test_non_operators_are_refused_admin_pages(request, demo, who):
    c = request.getfixturevalue(who)
    assert c.get("/admin/options").status_code == 403
    assert c.get("/admin/audit").status_code == 403


def test_operator_reaches_admin_pages(operator_client):
    assert operator_client.get("/admin/options").status_code == 200
    assert operator_client.get("/admin/audit").status_code == 200


def test_signed_out_visit_says_why_it_was_sent_to_sign_in(client):
    from tests.helpers import text_of

    response = client.get("/admin/options")
    assert "Please sign in to see that page." in text_of(client.get(response.headers["Location"]))
    client.get("/")
    assert "Please sign in" not in text_of(client.get("/sign-in"))
