"""Suspending and reactivating an account: its users cannot sign in or order meanwhile, those signed
in are signed out, and nothing of it is deleted."""
from __future__ import annotations

import pytest

from app.accounts.models import Account, Licensee, User
from app.audit.models import AuditEvent
from app.orders.models import Order
from app.orders.placing import AccountSuspended
from tests.helpers import Client, sign_in, soup, text_of
from tests.support.orders import place, reseller_request


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


def _kept(db, account: Account) -> tuple:
    return (db.session.scalar(db.select(db.func.count(User.id)).where(User.account_id == account.id)),
            db.session.scalar(db.select(db.func.count(Licensee.id)).where(Licensee.reseller_id == account.id)),
            db.session.scalar(db.select(db.func.count(Order.id)).where(Order.account_id == account.id)))


def _suspend(operator_client, account: Account, reason: str = "Unpaid invoices"):
    """Suspend, confirmed (as the confirm dialog's or the confirmation page's button sends it)."""
    return operator_client.post(f"/admin/accounts/{account.id}/suspend", {"reason": reason, "confirmed": "yes"})


def test_suspending_asks_first_and_changes_nothing_until_confirmed(operator_client, reseller_client, db):
    """Suspending signs the account's users out at once: the button's post (without JavaScript; with it,
    hx-confirm asks and sends confirmed=yes) opens a page that asks, keeping the reason typed."""
    adatum = _adatum(db)
    asked = operator_client.post(f"/admin/accounts/{adatum.id}/suspend", {"reason": "Unpaid invoices"})
    assert asked.status_code == 200
    page = soup(asked)
    assert page.select_one("h1").get_text() == "Suspend Adatum IT Services now?"
    consequences = page.select_one("#suspend-consequences").get_text(" ", strip=True)
    assert ("Its 2 active users cannot sign in or order until it is reactivated; those signed in now are signed out "
            "at once.") in consequences
    assert page.select_one("#suspend-reason").get_text(strip=True).endswith("Unpaid invoices")
    assert page.find("a", string="Keep it active")["href"] == f"/admin/accounts/{adatum.id}"
    db.session.expire_all()
    assert adatum.status == "active"
    assert reseller_client.get("/orders").status_code == 200  # still signed in
    form = page.select_one("#confirm-suspend")
    done = operator_client.post(form["action"], {f["name"]: f.get("value", "") for f in form.select("input[name]")})
    assert done.status_code == 303
    db.session.expire_all()
    assert adatum.status == "suspended" and adatum.suspension_reason == "Unpaid invoices"
    # The account page's button asks with JavaScript and posts the confirmation itself.
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    button_form = soup(operator_client.get(f"/admin/accounts/{litware.id}")).select_one("#suspend-form")
    assert button_form["hx-confirm"] == ("Suspend Litware Systems Sp. z o.o. now? Its 1 active user cannot sign in or "
                                         "order until it is reactivated; those signed in now are signed out at once.")
    assert button_form["hx-vals"] == '{"confirmed": "yes"}'


def test_suspending_keeps_everything_and_says_so_on_the_account(operator_client, db):
    adatum = _adatum(db)
    before = _kept(db, adatum)
    response = _suspend(operator_client, adatum)
    assert response.status_code == 303
    db.session.expire_all()
    assert adatum.status == "suspended" and adatum.suspension_reason == "Unpaid invoices"
    assert _kept(db, adatum) == before
    page = operator_client.get(response.headers["Location"])
    assert "Adatum IT Services is suspended: its users cannot sign in or order until it is reactivated." in text_of(page)
    notice = soup(page).select_one("#suspended-notice").get_text(" ", strip=True)
    assert notice.startswith("Suspended since") and "Unpaid invoices" in notice
    assert soup(page).find("button", string="Reactivate account")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account_suspended"))
    assert event.account_id == adatum.id and event.details == {"reason": "Unpaid invoices"}
    assert event.actor.email == "admin@example.com"
    assert "suspended by admin@example.com: Unpaid invoices" in soup(page).select_one("#account-history").get_text()


def test_a_user_of_a_suspended_account_cannot_sign_in_and_is_told_why(operator_client, app, db):
    _suspend(operator_client, _adatum(db))
    browser = Client(app.test_client())
    response = sign_in(browser, "reseller@example.com")
    assert response.status_code != 302
    assert "suspended" in text_of(response)
    assert browser.get("/orders").status_code == 302  # not signed in


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_those_signed_in_are_signed_out_and_cannot_order(operator_client, reseller_client, db):
    assert reseller_client.get("/checkout/").status_code == 302  # into the wizard while active
    adatum = _adatum(db)
    orders = _kept(db, adatum)[2]
    _suspend(operator_client, adatum)
    step = reseller_client.get("/checkout/customer")
    assert step.status_code == 302 and step.headers["Location"].startswith("/sign-in")
    review = reseller_client.post("/checkout/review", {"terms": "y"})
    assert review.status_code == 302 and review.headers["Location"].startswith("/sign-in")
    assert _kept(db, adatum)[2] == orders



def test_those_signed_out_by_the_suspension_are_told_why_on_the_sign_in_page(operator_client, reseller_client, db):
    _suspend(operator_client, _adatum(db))
    sent = reseller_client.get("/orders")
    assert sent.status_code == 302 and sent.headers["Location"] == "/sign-in?next=/orders"
    flashed = soup(reseller_client.get(sent.headers["Location"])).select_one("#flash-region").get_text(" ", strip=True)
    assert "The account of Adatum IT Services is suspended, so its users cannot sign in for now." in flashed
    assert "Please sign in to see that page." not in flashed
    home = reseller_client.get("/")  # the front door too
    assert "is suspended" in soup(reseller_client.get(home.headers["Location"])).select_one("#flash-region").get_text()


def test_placing_refuses_a_suspended_account_in_plain_words(demo, db):
    adatum = _adatum(db)
    adatum.status = "suspended"
    db.session.commit()
    with pytest.raises(AccountSuspended) as refused:
        place(db, reseller_request(db))
    assert refused.value.message == (
        "The account of Adatum IT Services is suspended, so its users cannot sign in or order. Nothing was deleted: "
        "contact Northwind Cloud Distribution at support@example.com to have it reactivated.")
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.account_id == adatum.id)) == 0


def test_reactivating_lets_its_users_sign_in_again(operator_client, app, db):
    adatum = _adatum(db)
    _suspend(operator_client, adatum)
    response = operator_client.post(f"/admin/accounts/{adatum.id}/reactivate", {})
    assert response.status_code == 303
    db.session.expire_all()
    assert (adatum.status, adatum.suspended_at, adatum.suspension_reason) == ("active", None, None)
    assert "Adatum IT Services is active again" in text_of(operator_client.get(response.headers["Location"]))
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account_reactivated"))
    assert sign_in(Client(app.test_client()), "reseller@example.com").status_code == 302


def test_suspending_twice_or_reactivating_an_active_account_changes_nothing(operator_client, db):
    adatum = _adatum(db)
    _suspend(operator_client, adatum)
    again = _suspend(operator_client, adatum, "Another reason")
    assert "Adatum IT Services was already suspended." in text_of(operator_client.get(again.headers["Location"]))
    db.session.expire_all()
    assert adatum.suspension_reason == "Unpaid invoices"
    operator_client.post(f"/admin/accounts/{adatum.id}/reactivate", {})
    twice = operator_client.post(f"/admin/accounts/{adatum.id}/reactivate", {})
    assert "Adatum IT Services was not suspended." in text_of(operator_client.get(twice.headers["Location"]))
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.account_id == adatum.id,
                                                                    AuditEvent.action.like("account_%"))).all()
    assert sorted(actions) == ["account_reactivated", "account_suspended"]


def test_a_too_long_reason_is_refused_next_to_the_field(operator_client, db):
    adatum = _adatum(db)
    response = _suspend(operator_client, adatum, "x" * 501)
    assert response.status_code == 422
    assert soup(response).select_one("#reason-error").get_text() == "Field cannot be longer than 500 characters."
    db.session.expire_all()
    assert adatum.status == "active"


def test_a_browser_signed_out_by_the_suspension_stays_signed_out_after_reactivation(operator_client, reseller_client,
                                                                                   db):
    """"Those signed in now are signed out at once": a browser that was signed in when the account was suspended
    asks for the password again once it is reactivated (it was let straight back in, unasked)."""
    adatum = _adatum(db)
    assert reseller_client.get("/orders").status_code == 200
    _suspend(operator_client, adatum)
    sent = reseller_client.get("/orders")
    assert sent.status_code == 302 and sent.headers["Location"] == "/sign-in?next=/orders"
    assert "is suspended" in soup(reseller_client.get(sent.headers["Location"])).select_one("#flash-region").get_text()
    assert operator_client.post(f"/admin/accounts/{adatum.id}/reactivate", {}).status_code == 303
    again = reseller_client.get("/orders")
    assert again.status_code == 302 and again.headers["Location"].startswith("/sign-in")
    assert sign_in(reseller_client, "reseller@example.com").status_code == 302  # the password lets them in
    assert reseller_client.get("/orders").status_code == 200
