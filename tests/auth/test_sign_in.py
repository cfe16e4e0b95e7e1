"""Sign-in: each role lands home, one message for wrong credentials, throttling, remember me, sign out."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.audit.models import AuditEvent
from tests.helpers import Client, sign_in, soup, text_of


@pytest.mark.parametrize("email, heading", [
    ("admin@example.com", "Operator home"),
    ("reseller@example.com", "Reseller home"),
    ("customer@example.com", "Your account"),
])
def test_each_demo_user_lands_on_a_home_page_for_its_role(demo, email, heading):
    c = Client(demo.test_client())
    response = sign_in(c, email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = c.get("/")
    assert home.status_code == 200
    assert soup(home).select_one("h1").get_text() == heading


def test_navigation_depends_on_the_role(operator_client, reseller_client):
    operator_nav = [a.get_text() for a in soup(operator_client.get("/")).select("nav[aria-label=Main] a")]
    reseller_nav = [a.get_text() for a in soup(reseller_client.get("/")).select("nav[aria-label=Main] a")]
    assert "Storefront options" in operator_nav and "Audit log" in operator_nav
    assert "Storefront options" not in reseller_nav


def test_wrong_password_and_unknown_email_get_the_same_message(demo):
    c = Client(demo.test_client())
    wrong_password = sign_in(c, "reseller@example.com", "not-the-password")
    unknown_email = sign_in(c, "nobody@example.com", "not-the-password")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert soup(response).select_one("#sign-in-form [role=alert]").get_text() == "The email or password is incorrect."
    # What was typed is kept (the email), the password is never echoed back.
    field = soup(wrong_password).select_one("input[name=email]")
    assert field["value"] == "reseller@example.com"
    assert not soup(wrong_password).select_one("input[name=password]").get("value")
    assert c.get("/").status_code == 302  # still signed out


def test_forgot_your_password_after_a_wrong_one_keeps_the_typed_email(demo):
    """The likeliest next press after a wrong password: the address is not to be typed a second time."""
    c = Client(demo.test_client())
    refused = soup(sign_in(c, "reseller@example.com", "not-the-password"))
    link = refused.find("a", string="Forgot password?")["href"]
    assert soup(c.get(link)).select_one("input[name=email]")["value"] == "reseller@example.com"
    # Before anything is typed it is the plain page.
    plain = soup(c.get("/sign-in")).find("a", string="Forgot password?")["href"]
    assert plain == "/forgot-password" and not soup(c.get(plain)).select_one("input[name=email]").get("value")


def test_invalid_email_is_explained_next_to_the_field(demo):
    c = Client(demo.test_client())
    response = sign_in(c, "not-an-email", "x")
    assert response.status_code == 422
    assert soup(response).select_one("#email-error").get_text() == "Enter an email address like name@example.com."


@pytest.fixture
def app_config():
    return {"LOGIN_MAX_FAILURES_PER_EMAIL": 3, "LOGIN_MAX_FAILURES_PER_IP": 6, "LOGIN_FAILURE_WINDOW_SECONDS": 600}


def test_repeated_failures_for_one_email_are_slowed_down(demo, redis):
    c = Client(demo.test_client())
    for _ in range(3):
        assert sign_in(c, "reseller@example.com", "wrong").status_code == 422
    throttled = sign_in(c, "reseller@example.com", "demo-password")  # even the right password waits
    assert throttled.status_code == 429
    assert "Too many failed sign-in attempts" in text_of(throttled)
    assert "wait about 10 minutes" in text_of(throttled)
    assert int(throttled.headers["Retry-After"]) > 500
    # Another account from elsewhere is not affected by this email's counter.
    other = Client(demo.test_client())
    assert sign_in(other, "customer@example.com", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302
    # When the window passes, the right password works again.
    for key in redis.scan_iter("signin:fail:*"):
        redis.delete(key)
    assert sign_in(c, "reseller@example.com").status_code == 302


def test_a_paused_sign_in_keeps_the_form_with_the_way_to_a_new_password(demo):
    """The pause was an error page with only "Go to sign in": the email typed was lost, and nothing said that
    choosing a new password (which lifts the pause of the address) was a way out."""
    c = Client(demo.test_client())
    for _ in range(3):
        sign_in(c, "reseller@example.com", "wrong")
    throttled = sign_in(c, "reseller@example.com", "demo-password")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 500
    page = soup(throttled)
    alert = page.select_one("#sign-in-form [role=alert]").get_text()
    assert alert.startswith("Too many failed sign-in attempts.") and "wait about 10 minutes" in alert
    assert "choose a new one with Forgot password? below" in alert
    assert page.select_one("input[name=email]")["value"] == "reseller@example.com"
    assert not page.select_one("input[name=password]").get("value")
    link = page.select_one("#sign-in-form").find("a", string="Forgot password?")["href"]
    assert urlsplit(link).path == "/forgot-password" and parse_qs(urlsplit(link).query) == {"email": ["reseller@example.com"]}


def test_repeated_failures_from_one_ip_are_slowed_down_across_emails(demo):
    c = Client(demo.test_client())
    for i in range(6):
        assert sign_in(c, f"guess{i}@example.com", "wrong").status_code == 422
    response = sign_in(c, "admin@example.com")
    assert response.status_code == 429 and "Too many failed sign-in attempts" in text_of(response)


def test_a_deactivated_user_with_the_right_password_is_told_why_and_whom_to_ask(demo, db):
    """They were told "The email or password is incorrect.", and Forgot password? then mailed them nothing:
    no way to learn that an admin had deactivated them. A wrong password still gets the one message."""
    from app.accounts.models import User

    member = db.session.scalar(db.select(User).where(User.email == "reseller-member@example.com"))
    member.is_active_user = False
    db.session.commit()
    c = Client(demo.test_client())
    wrong = sign_in(c, "reseller-member@example.com", "not-the-password")
    assert soup(wrong).select_one("#sign-in-form [role=alert]").get_text() == "The email or password is incorrect."
    refused = sign_in(c, "reseller-member@example.com")
    assert refused.status_code == 403
    assert soup(refused).select_one("#sign-in-form [role=alert]").get_text() == (
        "Your user of Adatum IT Services is deactivated, so you cannot sign in. Ask one of its account admins to "
        "reactivate you.")
    assert c.get("/").status_code == 302  # still signed out
    assert db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject == "reseller-member@example.com")
                              .order_by(AuditEvent.id)).all() == ["sign_in_failed", "sign_in_refused_deactivated"]


def test_failed_and_successful_sign_ins_are_audited(demo, db):
    c = Client(demo.test_client())
    sign_in(c, "reseller@example.com", "wrong")
    sign_in(c, "reseller@example.com")
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in_failed", "signed_in"]
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "signed_in")).one()
    assert event.ip_address == "127.0.0.1" and event.account.name == "Adatum IT Services"


def test_remember_me_sets_a_lasting_cookie(demo):
    c = Client(demo.test_client())
    sign_in(c, "reseller@example.com", remember="y")
    assert c.http.get_cookie("remember_token") is not None
    plain = Client(demo.test_client())
    sign_in(plain, "reseller@example.com")
    assert plain.http.get_cookie("remember_token") is None


def test_sign_out_ends_the_session(reseller_client):
    reseller_client.get("/")
    response = reseller_client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert reseller_client.get("/").status_code == 302


def test_next_parameter_returns_to_the_page_but_never_to_another_site(demo):
    c = Client(demo.test_client())
    c.get("/sign-in?next=/admin/options")
    response = c.post("/sign-in?next=/admin/options", {"email": "admin@example.com", "password": "demo-password"})
    assert response.headers["Location"] == "/admin/options"
    evil = Client(demo.test_client())
    evil.get("/sign-in")
    response = evil.post("/sign-in?next=https://evil.example.com/", {"email": "admin@example.com",
                                                                      "password": "demo-password"})
    assert response.headers["Location"] == "/"


def test_a_sign_in_page_left_open_past_its_session_signs_in_at_the_second_press(demo):
    """The sign-in page open while the session cookie ended (the browser kept the tab, not the cookie): Sign in
    read "Security check failed … Go back, reload the page and submit the form again", and the email was gone.
    The form comes back with the email, says what happened, and signs in when pressed again."""
    c = Client(demo.test_client())
    c.get("/sign-in?next=/orders")
    c.http.delete_cookie("session")
    stale = c.post("/sign-in?next=/orders", {"email": "reseller@example.com", "password": "demo-password"})
    assert stale.status_code == 400
    page = soup(stale)
    assert page.select_one("h1").get_text() == "Sign in"
    assert page.select_one("#sign-in-form [role=alert]").get_text() == (
        "This page had been open for a long time, so it could not be sent safely. Enter your password and sign in "
        "again.")
    assert page.select_one("input#email")["value"] == "reseller@example.com"
    assert not page.select_one("input#password").get("value")
    again = c.post("/sign-in?next=/orders", {"email": "reseller@example.com", "password": "demo-password"})
    assert again.status_code == 302 and again.headers["Location"] == "/orders"


def test_sign_out_pressed_after_the_session_ended_just_says_signed_out(demo):
    """Sign out pressed on a page left open while the session cookie ended read "Security check failed … Go back,
    reload the page and submit the form again", though the person was signed out already."""
    c = Client(demo.test_client())
    sign_in(c, "reseller@example.com")
    c.get("/orders")
    c.http.delete_cookie("session")
    response = c.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert soup(c.get("/sign-in")).select_one("#flash-region").get_text(" ", strip=True) == "You have been signed out."
    # A sign-out forged from another site (no token) is still refused.
    assert Client(demo.test_client()).post("/sign-out", csrf=False).status_code == 400
