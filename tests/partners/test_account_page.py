"""admin > Accounts > an account, beyond its details: links to the account's orders and subscriptions, and
deactivating or reactivating its users."""
from __future__ import annotations

import pytest

from app.accounts.models import Account, User
from app.audit.models import AuditEvent
from tests.helpers import soup, text_of


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


@pytest.mark.parametrize("who", ["operator_client", "operator_member_client"])
def test_an_account_page_links_to_its_orders_and_subscriptions(request, demo, db, who):
    client = request.getfixturevalue(who)
    for account in (_adatum(db), db.session.scalar(db.select(Account).where(Account.kind == "customer"))):
        page = soup(client.get(f"/admin/accounts/{account.id}"))
        orders = page.find("a", string=f"Orders of {account.name}")
        subscriptions = page.find("a", string=f"Subscriptions of {account.name}")
        assert orders["href"] == f"/orders?account={account.id}"
        assert subscriptions["href"] == f"/subscriptions?account={account.id}"
        # Each leads to the list showing that account's, its filter saying so.
        for link in (orders, subscriptions):
            listed = soup(client.get(link["href"]))
            assert listed.select_one("#account option[selected]").get_text() == account.name


def test_the_partner_center_connection_is_named_once_by_its_heading(demo, db, operator_client):
    """It read "Partner Center connection" twice, as the section's heading and as its one field's label."""
    page = soup(operator_client.get(f"/admin/accounts/{_adatum(db).id}"))
    section = page.select_one("#partner-center-connection")
    assert section.select_one("h2").get_text() == "Partner Center connection"
    assert section.select_one("label[for=connection]").get_text() == "Connection"
    assert section.get_text(" ", strip=True).count("Partner Center connection") == 1


# ----------------------------------------------------------------------------------- its users

def _user(db, email) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def _button(row, word: str):
    """The row's button whose name starts with `word` ("Deactivate Ray Member": the rest for screen readers)."""
    [button] = [b for b in row.select("button") if b.get_text(" ", strip=True).startswith(word)]
    return button


def _events(db, action) -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_operator_deactivates_and_reactivates_an_accounts_user_asked_first_and_audited(operator_client, db):
    adatum, ray = _adatum(db), _user(db, "reseller-member@example.com")
    page = operator_client.get(f"/admin/accounts/{adatum.id}")
    row = soup(page).select_one(f"#account-user-{ray.id}")
    button = _button(row, "Deactivate")
    assert button.get_text(" ", strip=True) == "Deactivate Ray Member"
    form = button.find_parent("form")
    assert form["hx-confirm"].startswith("Deactivate Ray Member of Adatum IT Services?")
    url = form["action"]

    # Without JavaScript the post asks first, on a page with a way back; nothing is done yet.
    asked = operator_client.post(url, {})
    assert asked.status_code == 200
    question = soup(asked)
    assert question.select_one("h1").get_text() == "Deactivate Ray Member?"
    assert question.find("a", string="Keep Ray Member active")["href"] == f"/admin/accounts/{adatum.id}"
    assert question.select_one("#confirm-deactivate")["action"] == url
    assert _user(db, ray.email).is_active_user

    done = operator_client.post(url, {"confirmed": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == f"/admin/accounts/{adatum.id}"
    assert not _user(db, ray.email).is_active_user
    page = operator_client.get(f"/admin/accounts/{adatum.id}")
    assert "Ray Member was deactivated: they can no longer sign in." in text_of(page)
    row = soup(page).select_one(f"#account-user-{ray.id}")
    assert [td.get_text(strip=True) for td in row.select("td")][3] == "no"
    [event] = _events(db, "user_deactivated")
    assert (event.actor.email, event.account_id, event.subject) == ("admin@example.com", adatum.id, ray.email)

    reactivate = _button(row, "Reactivate").find_parent("form")["action"]
    assert operator_client.post(reactivate, {}).status_code == 303
    assert _user(db, ray.email).is_active_user
    [event] = _events(db, "user_reactivated")
    assert (event.actor.email, event.account_id) == ("admin@example.com", adatum.id)


def test_the_operator_cannot_deactivate_an_accounts_only_admin(operator_client, db):
    adatum, rita = _adatum(db), _user(db, "reseller@example.com")
    url = f"/admin/accounts/{adatum.id}/users/{rita.id}/deactivate"
    for data in ({}, {"confirmed": "yes"}):  # said at once, before any question, and refused when confirmed
        refused = operator_client.post(url, data)
        assert refused.status_code == 422
        message = soup(refused).select_one(f"#account-user-{rita.id}-error").get_text()
        assert message.startswith("Rita Reseller is the only active account admin of Adatum IT Services")
        assert "suspend the account" in message
        # Without JavaScript the page opens at its top, above the users: it says so there.
        problem = soup(refused).select_one("#account-problem")
        assert problem.get_text(" ", strip=True) == "Nothing was changed: see Users below."
        assert problem.find("a")["href"] == "#users-heading"
    assert _user(db, rita.email).is_active_user
    assert not _events(db, "user_deactivated")


def test_an_operator_member_sees_no_user_buttons_and_is_refused(operator_member_client, db):
    adatum, ray = _adatum(db), _user(db, "reseller-member@example.com")
    row = soup(operator_member_client.get(f"/admin/accounts/{adatum.id}")).select_one(f"#account-user-{ray.id}")
    assert row.find("button") is None
    for action in ("deactivate", "reactivate"):
        assert operator_member_client.post(f"/admin/accounts/{adatum.id}/users/{ray.id}/{action}",
                                           {"confirmed": "yes"}).status_code == 403
    assert _user(db, ray.email).is_active_user


def test_nobody_reaches_another_accounts_users_through_an_account_or_their_own_settings(
        operator_client, reseller2_client, db):
    adatum, ray = _adatum(db), _user(db, "reseller-member@example.com")
    litware = db.session.scalar(db.select(Account).where(Account.name.like("Litware%")))
    # The operator, through Litware's page, names Adatum's user: not found.
    assert operator_client.post(f"/admin/accounts/{litware.id}/users/{ray.id}/deactivate",
                                {"confirmed": "yes"}).status_code == 404
    # Litware's admin, with Adatum's user ids, through the operator's page and through their own Settings > Users.
    assert reseller2_client.post(f"/admin/accounts/{adatum.id}/users/{ray.id}/deactivate",
                                 {"confirmed": "yes"}).status_code == 403
    for action in ("deactivate", "reactivate"):
        assert reseller2_client.post(f"/settings/users/{ray.id}/{action}", {"confirmed": "yes"}).status_code == 404
    assert _user(db, ray.email).is_active_user
    assert not _events(db, "user_deactivated")


@pytest.mark.parametrize("action", ["check", "connection", "suspend", "reactivate", "invitations",
                                    "users/{user}/deactivate", "users/{user}/reactivate"])
def test_the_address_of_a_refused_account_form_reloaded_leads_back_to_the_account(operator_client, db, action):
    """Without JavaScript a refused form of the account's page (a suspension's reason too long, an invitation's
    address mistyped, the only admin's deactivation) is shown again at the address it was posted to; a
    reload of it leads back to the account's page instead of answering 405 Method Not Allowed."""
    adatum, rita = _adatum(db), _user(db, "reseller@example.com")
    address = f"/admin/accounts/{adatum.id}/" + action.format(user=rita.id)
    if action == "users/{user}/deactivate":
        assert operator_client.post(address, {}).status_code == 422
    reloaded = operator_client.get(address)
    assert (reloaded.status_code, reloaded.headers["Location"]) == (303, f"/admin/accounts/{adatum.id}")
