"""Which sessions count: the session version in every session id, deactivated users and suspended
accounts; and signing in to a suspended account is refused in plain words (to the right password only)."""
from __future__ import annotations

from app.accounts.models import Account, User
from app.audit.models import AuditEvent
from tests.helpers import Client, sign_in, signed_in, soup


def _account(db, name) -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _suspend(db, name="Adatum IT Services"):
    _account(db, name).status = "suspended"
    db.session.commit()


def test_the_users_of_a_suspended_account_cannot_sign_in_and_are_told_why(demo, db):
    _suspend(db)
    response = sign_in(Client(demo.test_client()), "reseller@example.com")
    assert response.status_code == 403
    assert soup(response).select_one("#sign-in-form [role=alert]").get_text().startswith(
        "The account of Adatum IT Services is suspended, so its users cannot sign in for now. "
        "Contact Northwind Cloud Distribution")
    assert db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.action == "sign_in_refused_suspended")).all() == ["sign_in_refused_suspended"]


def test_a_wrong_password_for_a_suspended_account_reveals_nothing(demo, db):
    _suspend(db)
    response = sign_in(Client(demo.test_client()), "reseller@example.com", "wrong-password")
    assert response.status_code == 422
    assert soup(response).select_one("#sign-in-form [role=alert]").get_text() == "The email or password is incorrect."


def test_suspending_an_account_ends_the_sessions_of_its_users(demo, db):
    rita = signed_in(demo, "reseller@example.com")
    lidia = signed_in(demo, "reseller2@example.com")
    _suspend(db)
    assert rita.get("/").status_code == 302
    assert lidia.get("/").status_code == 200
    _account(db, "Adatum IT Services").status = "active"
    db.session.commit()
    assert sign_in(Client(demo.test_client()), "reseller@example.com").status_code == 302


def test_deactivating_a_user_ends_their_session(demo, db):
    ray = signed_in(demo, "reseller-member@example.com")
    db.session.scalar(db.select(User).where(User.email == "reseller-member@example.com")).is_active_user = False
    db.session.commit()
    assert ray.get("/").status_code == 302


def test_a_session_id_of_another_version_or_without_one_is_signed_out(demo, db):
    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    assert rita.get_id() == f"{rita.id}:{rita.session_version}"
    for session_id in (str(rita.id), f"{rita.id}:{rita.session_version + 1}", f"{rita.id}:x", rita.get_id()):
        browser = signed_in(demo, "reseller@example.com")
        with browser.http.session_transaction() as session:
            session["_user_id"] = session_id
        expected = 200 if session_id == rita.get_id() else 302
        assert browser.get("/").status_code == expected, session_id
