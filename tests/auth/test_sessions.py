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


# ----------------------------------------------------------------- a session that ends while a form is open

SIGNED_OUT_MID_FORM = ("You were signed out, so what you sent was not saved. Sign in to go back to the page and "
                       "send it again.")


def _flash(c, location) -> str:
    return soup(c.get(location)).select_one("#flash-region").get_text(" ", strip=True)


def test_a_form_sent_after_signing_out_in_another_tab_leads_back_to_its_page(demo):
    """Check connection pressed after signing out in another tab: sign-in led "back" to the button's own
    address, which answers POST only, so the operator landed on "Not allowed" (405), and was never told that
    the check had not started."""
    c = signed_in(demo, "admin@example.com")
    c.get("/admin/partner-center/")  # the page with the form, open in this tab
    c.get(c.post("/sign-out").headers["Location"])  # another tab
    sent = c.post("/admin/partner-center/default/check", headers={"Referer": "http://localhost/admin/partner-center/"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/sign-in?next=/admin/partner-center/"
    assert _flash(c, sent.headers["Location"]) == SIGNED_OUT_MID_FORM
    back = sign_in(c, "admin@example.com", next="/admin/partner-center/")
    assert back.headers["Location"] == "/admin/partner-center/" and c.get(back.headers["Location"]).status_code == 200


def test_with_javascript_the_same_is_said_and_the_page_is_the_one_open(demo):
    c = signed_in(demo, "reseller@example.com")
    c.get("/settings/users")
    c.get(c.post("/sign-out").headers["Location"])
    sent = c.post("/settings/users", {"first_name": "Ann", "last_name": "Lee", "email": "ann@adatum.example.com"},
                  htmx=True, headers={"HX-Current-URL": "http://localhost/settings/users"})
    assert sent.status_code == 401 and sent.headers["HX-Redirect"] == "/sign-in?next=/settings/users"
    assert _flash(c, sent.headers["HX-Redirect"]) == SIGNED_OUT_MID_FORM


def test_a_form_sent_after_the_session_cookie_expired_is_sent_to_sign_in_not_to_a_security_error(demo):
    """The session cookie gone (the browser closed, or it expired) took the form's security token with it: the
    person read "Security check failed … Go back, reload the page", though what happened is that they were signed
    out."""
    c = signed_in(demo, "reseller@example.com")
    c.get("/settings/users")
    c.http.delete_cookie("session")
    for htmx in (False, True):
        sent = c.post("/settings/users", {"first_name": "Ann", "last_name": "Lee", "email": "ann@adatum.example.com"},
                      htmx=htmx, headers={"Referer": "http://localhost/settings/users",
                                          "HX-Current-URL": "http://localhost/settings/users"})
        assert sent.status_code == (401 if htmx else 302)
        location = sent.headers["HX-Redirect" if htmx else "Location"]
        assert location == "/sign-in?next=/settings/users"
        assert _flash(c, location) == SIGNED_OUT_MID_FORM


def test_a_page_of_another_site_is_never_where_sign_in_leads_back(demo):
    c = signed_in(demo, "admin@example.com")
    c.get(c.post("/sign-out").headers["Location"])
    sent = c.post("/admin/partner-center/default/check", headers={"Referer": "https://evil.example.com/admin/"})
    assert sent.headers["Location"] == "/sign-in"


# ----------------------------------------------------------------- the user as a row (app/auth/sessions.py)

def _as_loaded(user) -> dict:
    """What the ORM holds of a loaded user and its account: values, and which attributes are loaded or changed."""
    from sqlalchemy import inspect

    def state(instance):
        s = inspect(instance)
        columns = {p.key: getattr(instance, p.key) for p in s.mapper.column_attrs}
        return dict(columns=columns, persistent=s.persistent, key=s.key, unloaded=set(s.unloaded),
                    expired=set(s.expired_attributes), modified=s.modified, committed=dict(s.committed_state))

    return {"user": state(user), "account": state(user.account)}


def test_the_user_read_as_a_row_is_the_user_the_orm_loads(demo, db):
    """The user loader reads the user, its account and the header's facts with SQLAlchemy Core and makes the ORM's
    objects of them: they are what the ORM statement gives (values, identity, loaded and unchanged), live in the
    session, and a change to them is written."""
    from app.auth import sessions

    user_id = db.session.scalar(db.select(User.id).where(User.email == "reseller@example.com"))
    with demo.test_request_context("/"):
        db.session.expunge_all()
        sessions._ACCOUNT_OF_USER.pop(user_id, None)  # (known from an earlier test)
        by_orm = sessions._user_and_facts(user_id)  # the first time: the ORM statement, which learns the account
        assert user_id in sessions._ACCOUNT_OF_USER
        expected = _as_loaded(by_orm)
        db.session.expunge_all()
        by_row = sessions._user_and_facts(user_id)
        assert by_row is not by_orm and by_row in db.session and by_row.account in db.session
        assert _as_loaded(by_row) == expected
        assert db.session.get(User, user_id) is by_row  # in the identity map, as loaded
        assert [u.email for u in by_row.account.users][:1]  # relationships load as usual
        by_row.name = "Rita Renamed"
        db.session.flush()
        db.session.expire_all()
        assert db.session.scalar(db.select(User.name).where(User.id == user_id)) == "Rita Renamed"


def test_a_user_already_in_the_session_is_the_one_the_user_loader_answers(demo, db):
    """Something loaded before the user (a statement of the request's own): the ORM statement reads the user, so
    the session's own copy is answered, never a second one."""
    from app.auth import sessions

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    with demo.test_request_context("/"):
        sessions._user_and_facts(rita.id)
        assert sessions._user_and_facts(rita.id) is rita


def test_the_users_and_accounts_columns_are_plain_columns_of_their_tables():
    """What the user loader's row assumes of the models (app/auth/sessions.py, _columns)."""
    for model in (User, Account):
        mapper = model.__mapper__
        assert mapper.inherits is None and not mapper.polymorphic_map
        for prop in mapper.column_attrs:
            assert len(prop.columns) == 1 and prop.columns[0].table is model.__table__ and not prop.deferred, prop.key
