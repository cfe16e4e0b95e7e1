"""My profile: name; email (the new address is confirmed by a link mailed to it, the old one told);
password with the current one, which ends every other session of the user."""
from __future__ import annotations

import pytest

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.auth.models import EmailChange
from tests.helpers import Client, sign_in, signed_in, soup, text_of
from tests.support.links import mailed_link, mails_to

NEW = "correct horse battery staple"


def _user(db, email) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _refused(response, field: str) -> str:
    """The message beside `field` (its element id) of a form the page refused."""
    assert response.status_code == 422
    return soup(response).select_one(f"#{field}-error").get_text()


@pytest.mark.parametrize("who", ["operator_client", "operator_member_client", "reseller_client",
                                 "reseller_member_client", "customer_client", "customer_member_client"])
def test_every_role_has_a_profile(demo, request, who):
    page = request.getfixturevalue(who).get("/profile")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one("h1").get_text() == "My profile"
    assert {f["id"] for f in html.select("main form[id]")} >= {"name-form", "email-form", "password-form"}


def test_signed_out_visitors_are_sent_to_sign_in(demo):
    response = Client(demo.test_client()).get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=/profile")


def test_changing_the_name(db, reseller_client):
    response = reseller_client.post("/profile/name", {"name-name": "  Rita Reseller-Smith "})
    assert response.status_code == 303
    assert soup(reseller_client.get("/profile")).select_one("input[name=name-name]")["value"] == "Rita Reseller-Smith"
    assert _user(db, "reseller@example.com").name == "Rita Reseller-Smith"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "profile_renamed")).one()
    assert event.details == {"from": "Rita Reseller", "to": "Rita Reseller-Smith"}


def test_an_empty_name_is_refused_next_to_the_field(reseller_client):
    response = reseller_client.post("/profile/name", {"name-name": " "})
    assert _refused(response, "name-name") == "Enter your name."


# ------------------------------------------------------------------------------------ password

def _change_password(client, current="demo-password", new=NEW):
    return client.post("/profile/password", {"password-current_password": current, "password-new_password": new})


def test_a_password_change_ends_every_other_session_and_keeps_this_one(demo, db, reseller_client):
    elsewhere = signed_in(demo, "reseller@example.com")
    remembered = Client(demo.test_client())
    sign_in(remembered, "reseller@example.com", remember="y")
    remembered.http.delete_cookie("session")  # a restarted browser: only "remember me" is left

    response = _change_password(reseller_client)
    assert response.status_code == 303 and response.headers["Location"] == "/profile"

    page = reseller_client.get("/profile")
    assert page.status_code == 200 and "Every other session of your user has been signed out." in text_of(page)
    assert elsewhere.get("/").status_code == 302
    assert remembered.get("/").status_code == 302
    assert sign_in(Client(demo.test_client()), "reseller@example.com", NEW).status_code == 302
    assert [m.subject for m in mails_to("reseller@example.com")] == ["Your password was changed"]
    assert db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action == "password_changed")).all()


def test_a_remembered_browser_stays_remembered_after_its_own_password_change(demo):
    browser = Client(demo.test_client())
    sign_in(browser, "reseller@example.com", remember="y")
    assert _change_password(browser).status_code == 303
    browser.http.delete_cookie("session")
    assert browser.get("/profile").status_code == 200


def test_a_wrong_current_password_changes_nothing(demo, db, reseller_client):
    response = _change_password(reseller_client, current="not-my-password")
    assert _refused(response, "password-current_password") == "Your current password is not this one."
    assert not soup(response).select_one("input[name=password-new_password]").get("value")
    assert _user(db, "reseller@example.com").check_password("demo-password")
    assert db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.action == "password_change_refused")).all() == ["password_change_refused"]


def test_a_wrong_current_password_and_a_too_short_new_one_are_both_said(db, reseller_client):
    """Not the current password's message alone, and the new one's only on the next submit: both at once."""
    response = _change_password(reseller_client, current="not-my-password", new="short")
    assert _refused(response, "password-current_password") == "Your current password is not this one."
    assert _refused(response, "password-new_password") == "Use at least 12 characters (this one has 5)."
    assert _user(db, "reseller@example.com").check_password("demo-password")


@pytest.mark.parametrize("new, message", [
    ("short", "Use at least 12 characters (this one has 5)."),
    ("reseller@example.com", "Do not use your email address as your password."),
    ("1qaz2wsx3edc", "This is one of the most common passwords"),
    ("demo-password", "This is your current password; choose a new one."),
])
def test_the_new_password_follows_the_rules(db, reseller_client, new, message):
    assert _refused(_change_password(reseller_client, new=new), "password-new_password").startswith(message)
    assert _user(db, "reseller@example.com").check_password("demo-password")


# --------------------------------------------------------------------------------------- email

def _change_email(client, new="rita@adatum.example.com", password="demo-password"):
    return client.post("/profile/email", {"email-new_email": new, "email-password": password})


def test_a_new_email_address_is_confirmed_by_a_link_mailed_to_it(demo, db, reseller_client):
    response = _change_email(reseller_client)
    assert response.status_code == 303
    profile = reseller_client.get("/profile")
    assert "We sent a link to rita@adatum.example.com" in text_of(profile)
    assert "rita@adatum.example.com" in soup(profile).select_one("#pending-email").get_text()
    # Nothing changes until the link is opened: the old address still signs in.
    assert _user(db, "reseller@example.com") is not None
    link = mailed_link("rita@adatum.example.com", "email_change")

    other_browser = Client(demo.test_client())  # the mailbox may be read anywhere
    page = other_browser.get(link)
    assert page.status_code == 200 and soup(page).select_one("#new-email").get_text() == "rita@adatum.example.com"
    token = soup(page).select_one("#confirm-form input[name=token]")["value"]
    confirmed = other_browser.post("/profile/confirm-email", {"token": token})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/sign-in"

    assert _user(db, "reseller@example.com") is None
    assert _user(db, "rita@adatum.example.com").name == "Rita Reseller"
    assert sign_in(Client(demo.test_client()), "rita@adatum.example.com").status_code == 302
    [notice] = mails_to("reseller@example.com", "email_changed")
    assert "now signs in with rita@adatum.example.com" in notice.text
    assert reseller_client.get("/profile").status_code == 200  # this session goes on
    used = Client(demo.test_client()).get(link)
    assert used.status_code == 410 and soup(used).select_one("h1").get_text() == "This address is already confirmed"


def test_an_email_change_needs_the_password(db, reseller_client):
    response = _change_email(reseller_client, password="wrong-password")
    assert _refused(response, "email-password") == "Your current password is not this one."
    assert soup(response).select_one("input[name=email-new_email]")["value"] == "rita@adatum.example.com"
    assert mails_to("rita@adatum.example.com") == []


@pytest.mark.parametrize("new, message", [
    ("customer@example.com", "Another user already has this email address."),
    ("reseller@example.com", "This is already your email address."),
    ("rita at adatum", "Enter an email address like name@example.com."),
])
def test_an_email_change_to_an_unusable_address_is_refused(db, reseller_client, new, message):
    assert _refused(_change_email(reseller_client, new=new), "email-new_email") == message
    assert db.session.scalar(db.select(db.func.count(EmailChange.id))) == 0


def test_a_newer_request_or_a_cancel_ends_the_earlier_link(demo, db, reseller_client):
    _change_email(reseller_client, new="first@adatum.example.com")
    first = mailed_link("first@adatum.example.com", "email_change")
    _change_email(reseller_client, new="second@adatum.example.com")
    second = mailed_link("second@adatum.example.com", "email_change")
    assert Client(demo.test_client()).get(first).status_code == 410
    assert reseller_client.post("/profile/email/cancel", {"cancel-csrf_token": reseller_client.csrf_token}
                                ).status_code == 303
    response = Client(demo.test_client()).get(second)
    assert response.status_code == 410 and soup(response).select_one("h1").get_text() == "This link no longer works"
    assert soup(reseller_client.get("/profile")).select_one("#pending-email") is None


def test_send_a_confirmation_link_pressed_twice_mails_one_link_that_works(demo, db, reseller_client):
    """Without JavaScript a double click sends the form twice: the second press is the first one again, not a
    newer request that would mail a second link and make the first one (the one in the first email) stop working."""
    assert _change_email(reseller_client, new="twice@adatum.example.com").status_code == 303
    assert _change_email(reseller_client, new="twice@adatum.example.com").status_code == 303
    assert len(mails_to("twice@adatum.example.com", "email_change")) == 1
    page = Client(demo.test_client()).get(mailed_link("twice@adatum.example.com", "email_change"))
    assert page.status_code == 200 and soup(page).select_one("#new-email").get_text() == "twice@adatum.example.com"
    assert "We sent a link to twice@adatum.example.com" in text_of(reseller_client.get("/profile"))


def test_an_address_taken_meanwhile_is_not_confirmed(demo, db, reseller_client):
    from tests.factories import UserFactory

    _change_email(reseller_client, new="taken@adatum.example.com")
    link = mailed_link("taken@adatum.example.com", "email_change")
    UserFactory(email="taken@adatum.example.com")
    browser = Client(demo.test_client())
    token = soup(browser.get(link)).select_one("#confirm-form input[name=token]")["value"]
    response = browser.post("/profile/confirm-email", {"token": token})
    assert response.status_code == 422
    assert "Another user has taken this email address" in soup(response).select_one("[role=alert]").get_text()
    assert _user(db, "reseller@example.com") is not None
