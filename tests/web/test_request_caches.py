"""What a process remembers between requests (the decoded session cookie, the signed CSRF token, built URLs,
app/web/session_cache.py and app/web/urls.py) answers exactly as working it out again would."""
from __future__ import annotations

import time

import pytest
from flask import url_for

from tests.helpers import Client, signed_in, soup


def _cookie(client: Client) -> str:
    return client.http.get_cookie("session").value


def _session_serializer(app):
    return app.session_interface.get_signing_serializer(app)


def test_a_tampered_session_cookie_is_refused_after_the_genuine_one_was_read(demo, reseller_client):
    assert reseller_client.get("/orders").status_code == 200
    genuine = _cookie(reseller_client)
    # The same session with one character of the signature changed (not its last: base64 may leave that
    # character's lowest bits unused, and the signature would read the same).
    tampered = genuine[:-5] + ("A" if genuine[-5] != "A" else "B") + genuine[-4:]
    reseller_client.http.set_cookie("session", tampered)
    answer = reseller_client.get("/orders")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    reseller_client.http.set_cookie("session", genuine)
    assert reseller_client.get("/orders").status_code == 200


@pytest.mark.parametrize("app_config", [{"PERMANENT_SESSION_LIFETIME": 2}])
def test_a_session_past_its_lifetime_is_refused_even_though_it_was_read_before(demo):
    client = signed_in(demo, "reseller@example.com")
    client.get("/orders")
    cookie = _cookie(client)
    assert client.get("/orders").status_code == 200  # this cookie is read, and remembered
    assert _cookie(client) == cookie
    time.sleep(3.1)
    answer = client.get("/orders")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_a_message_flashed_in_one_request_does_not_come_back_with_the_same_cookie(demo, reseller_client):
    """Two tabs send the same cookie: what one request adds to the session's messages belongs to its own answer."""
    reseller_client.get("/cart")
    serializer = _session_serializer(demo)
    data = serializer.loads(_cookie(reseller_client))
    with_a_message = serializer.dumps({**data, "_flashes": [("info", "A message from before.")]})

    reseller_client.http.set_cookie("session", with_a_message)
    updated = reseller_client.post("/cart/update", {})
    assert updated.status_code == 302  # the message "Your cart was updated." went into that answer's cookie

    reseller_client.http.set_cookie("session", with_a_message)
    shown = [alert.get_text(strip=True) for alert in soup(reseller_client.get("/cart")).select("#flash-region .alert")]
    assert shown == ["A message from before."]


def test_a_csrf_token_shown_to_one_browser_is_refused_from_another(demo):
    rita = signed_in(demo, "reseller@example.com")
    other = signed_in(demo, "reseller@example.com")
    rita.get("/cart")
    other.get("/cart")
    assert rita.csrf_token and other.csrf_token and rita.csrf_token != other.csrf_token
    # The same browser is shown the same token again (kept, not signed anew) and it still posts.
    token = rita.csrf_token
    rita.get("/orders")
    assert rita.csrf_token == token
    assert rita.post("/cart/update", {}).status_code == 302
    # Another browser's token is refused.
    refused = other.post("/cart/update", {"csrf_token": token}, csrf=False)
    assert refused.status_code == 400


def test_urls_are_built_for_their_own_values_root_and_blueprint(demo):
    with demo.test_request_context("/orders"):
        # 1 and True are equal as keys, but not as URLs.
        assert url_for("catalog.products", q=1) == "/catalog/products?q=1"
        assert url_for("catalog.products", q=True) == "/catalog/products?q=True"
        assert url_for("catalog.products", q=1, _anchor="top") == "/catalog/products?q=1#top"
        assert url_for(".index") == "/orders"
        assert url_for("home.index", _external=True) == "http://localhost/"
    with demo.test_request_context("/orders", base_url="http://shop.example.com/store"):
        assert url_for("catalog.products", q=1) == "/store/catalog/products?q=1"
        assert url_for("home.index", _external=True) == "http://shop.example.com/store/"
    with demo.test_request_context("/subscriptions"):
        assert url_for(".index") == "/subscriptions"


def test_a_coroutine_view_is_still_handed_to_flask_to_run(demo):
    """StorefrontFlask.ensure_sync answers plain functions from their code; anything else is Flask's to judge."""
    def view():
        return "plain"

    async def coroutine_view():
        return "coroutine"

    assert demo.ensure_sync(view) is view
    try:
        wrapped = demo.ensure_sync(coroutine_view)
    except RuntimeError as error:  # Flask without its "async" extra refuses coroutine views
        assert "async" in str(error)
    else:
        assert wrapped is not coroutine_view and wrapped() == "coroutine"


def _header(client: Client, url: str = "/orders") -> dict:
    header = soup(client.get(url)).select_one("header")
    profile = header.select_one(".profile-link")
    count = header.select_one("#cart-badge .cart-count")
    return {"user": header.select_one(".user-name").get_text(" ", strip=True),
            "cart": count.get_text() if count else None,
            "profile_open": profile.get("aria-current") if profile else None,
            "sign_out_token": header.select_one("form input[name=csrf_token]")["value"]}


def test_the_header_kept_between_requests_follows_the_user_the_cart_and_the_page(demo, db, reseller_client,
                                                                                reseller2_client):
    """app.web.layout.user_header keeps the signed-in part of the header: whatever it shows changes with what it
    shows, and one user's is never another's."""
    from app.accounts.models import User
    from app.catalog.models import Cart, CartLine, Sku

    first = _header(reseller_client)
    assert first["user"].startswith("Rita") and "Adatum" in first["user"] and first["cart"] == "0"
    assert first["profile_open"] is None and _header(reseller_client, "/profile")["profile_open"] == "page"
    assert _header(reseller_client) == first  # the same page again: the same header

    litware = _header(reseller2_client)
    assert "Rita" not in litware["user"] and "Litware" in litware["user"]
    assert litware["sign_out_token"] != first["sign_out_token"]

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    rita.name = "Rita Renamed"
    rita.account.name = "Adatum Renamed"
    cart = db.session.scalar(db.select(Cart).where(Cart.user_id == rita.id)) or Cart(user_id=rita.id)
    db.session.add(cart)
    db.session.flush()
    db.session.add(CartLine(cart_id=cart.id, sku_pk=db.session.scalars(db.select(Sku.id)).first(), quantity=1,
                            term_duration="P1Y", billing_plan="monthly"))
    db.session.commit()
    after = _header(reseller_client)
    assert after["user"].startswith("Rita Renamed") and "Adatum Renamed" in after["user"] and after["cart"] == "1"
    assert "Renamed" not in _header(reseller2_client)["user"]
