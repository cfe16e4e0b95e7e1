"""Forgot password: one answer whether or not the address has a user (the lookup happens in a job);
a reset link works once, for an hour, and ends every session of the user."""
from __future__ import annotations

from datetime import timedelta

from rq import SimpleWorker

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.auth.models import PasswordReset
from app.auth.recovery import send_reset_link
from app.jobs import get_queue
from app.mail import MailMessage
from app.time import utcnow
from tests.helpers import Client, sign_in, signed_in, soup, text_of
from tests.support.links import mailed_link, mails_to
from tests.support.smtp import deliver_queued, links_in

NEW = "correct horse battery staple"


def _ask(client: Client, email: str):
    client.get("/forgot-password")
    return client.post("/forgot-password", {"email": email})


def _set_password(client: Client, link: str, password: str = NEW):
    token = soup(client.get(link)).select_one("#reset-form input[name=token]")["value"]
    return client.post("/reset-password", {"token": token, "password": password})


def _reset_link(email: str = "reseller@example.com") -> str:
    assert send_reset_link(email) == "link sent"
    return mailed_link(email, "password_reset")


def test_the_answer_is_the_same_for_an_address_with_a_user_and_one_without(demo, db, redis):
    known = _ask(Client(demo.test_client()), "reseller@example.com")
    unknown = _ask(Client(demo.test_client()), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    same = text_of(known).replace("reseller@example.com", "ADDRESS")
    assert same == text_of(unknown).replace("nobody@example.com", "ADDRESS")
    assert "If ADDRESS is the address of a user of this storefront, a link" in same
    # The request itself wrote nothing and mailed nothing for either: both only queued the same job.
    assert db.session.scalar(db.select(db.func.count(MailMessage.id))) == 0
    assert db.session.scalar(db.select(db.func.count(PasswordReset.id))) == 0
    jobs = get_queue().jobs
    assert [(j.func_name, j.args[0]) for j in jobs] == [("app.auth.recovery.send_reset_link", "reseller@example.com"),
                                                        ("app.auth.recovery.send_reset_link", "nobody@example.com")]
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    assert [m.to_email for m in db.session.scalars(db.select(MailMessage))] == ["reseller@example.com"]
    outcomes = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "password_reset_requested")
                                  .order_by(AuditEvent.subject)).all()
    assert [(e.subject, e.details["outcome"], e.ip_address) for e in outcomes] == [
        ("nobody@example.com", "no active user", "127.0.0.1"), ("reseller@example.com", "link sent", "127.0.0.1")]


def test_an_invalid_address_is_explained_next_to_the_field(demo):
    response = _ask(Client(demo.test_client()), "not-an-address")
    assert response.status_code == 422
    assert soup(response).select_one("#email-error").get_text() == "Enter an email address like name@example.com."
    assert soup(response).select_one("input[name=email]")["value"] == "not-an-address"


def test_the_reset_link_comes_by_smtp_and_sets_a_new_password(demo, db, smtp_server):
    send_reset_link("reseller@example.com")
    deliver_queued()
    [message] = smtp_server.to("reseller@example.com")
    assert message["Subject"] == "Reset your password"
    [link] = [u for u in links_in(message) if "/reset-password?token=" in u]
    browser = Client(demo.test_client())
    response = _set_password(browser, link.replace("http://127.0.0.1:5000", ""))
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
    assert "Your password has been changed" in text_of(browser.get("/sign-in"))
    assert sign_in(Client(demo.test_client()), "reseller@example.com", NEW).status_code == 302
    assert sign_in(Client(demo.test_client()), "reseller@example.com", "demo-password").status_code == 422
    assert [m.subject for m in mails_to("reseller@example.com")] == ["Reset your password", "Your password was changed"]


def test_a_reset_link_works_once(demo, db):
    link = _reset_link()
    assert _set_password(Client(demo.test_client()), link).status_code == 303
    again = Client(demo.test_client()).get(link)
    assert again.status_code == 410
    assert soup(again).select_one("h1").get_text() == "This link has already been used"
    assert soup(again).select_one('a[href="/forgot-password"]').get_text() == "Ask for a new link"
    late = Client(demo.test_client())
    late.get("/forgot-password")
    assert late.post("/reset-password", {"token": link.split("token=")[1], "password": "another fine passphrase"}
                     ).status_code == 410
    user = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    db.session.refresh(user)
    assert user.check_password(NEW)


def test_a_reset_link_expires_after_an_hour(demo, db):
    link = _reset_link()
    reset = db.session.scalars(db.select(PasswordReset)).one()
    assert timedelta(minutes=59) < reset.expires_at - reset.created_at <= timedelta(minutes=60)
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = Client(demo.test_client()).get(link)
    assert response.status_code == 410
    assert soup(response).select_one("h1").get_text() == "This link has expired"


def test_a_new_password_ends_every_other_reset_link(demo, db):
    first = _reset_link()
    db.session.execute(db.update(PasswordReset).values(created_at=utcnow() - timedelta(minutes=5)))
    second = _reset_link()
    assert _set_password(Client(demo.test_client()), second).status_code == 303
    assert Client(demo.test_client()).get(first).status_code == 410


def test_a_reset_ends_every_session_of_the_user(demo, db):
    before = signed_in(demo, "reseller@example.com")
    remembered = Client(demo.test_client())
    sign_in(remembered, "reseller@example.com", remember="y")
    remembered.http.delete_cookie("session")  # a browser restarted: only the "remember me" cookie is left
    assert before.get("/").status_code == 200 and remembered.get("/").status_code == 200
    remembered.http.delete_cookie("session")

    assert _set_password(Client(demo.test_client()), _reset_link()).status_code == 303

    assert before.get("/").status_code == 302
    assert remembered.get("/").status_code == 302
    other = signed_in(demo, "reseller-member@example.com")  # another user of the account is untouched
    assert other.get("/").status_code == 200


def test_a_weak_new_password_is_refused_next_to_the_field(demo, db):
    link = _reset_link()
    response = _set_password(Client(demo.test_client()), link, "qwerty123456")
    assert response.status_code == 422
    assert soup(response).select_one("#password-error").get_text().startswith("This is one of the most common")
    assert Client(demo.test_client()).get(link).status_code == 200  # the link still works


def test_asking_again_within_two_minutes_mails_nothing_new(demo, db):
    assert send_reset_link("reseller@example.com") == "link sent"
    assert send_reset_link("reseller@example.com") == "link sent moments ago"
    assert len(mails_to("reseller@example.com", "password_reset")) == 1


def test_a_deactivated_user_gets_no_link(demo, db):
    user = db.session.scalar(db.select(User).where(User.email == "reseller-member@example.com"))
    user.is_active_user = False
    db.session.commit()
    assert send_reset_link("reseller-member@example.com") == "no active user"
    assert mails_to("reseller-member@example.com") == []


def test_resetting_clears_the_paused_sign_in_of_that_address(demo, db, redis):
    for _ in range(5):
        sign_in(Client(demo.test_client()), "reseller@example.com", "wrong")
    assert sign_in(Client(demo.test_client()), "reseller@example.com", "demo-password").status_code == 429
    assert _set_password(Client(demo.test_client()), _reset_link()).status_code == 303
    assert sign_in(Client(demo.test_client()), "reseller@example.com", NEW).status_code == 302
