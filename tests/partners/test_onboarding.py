"""admin > Accounts > New reseller / New direct customer: what the operator types, what Partner
Center says about a reseller (the sandbox, over HTTP), and the invitation of the first admin."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account
from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.mail import MailMessage
from app.time import utcnow
from tests.helpers import soup, text_of

FOURTH_COFFEE = ("5678901", "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f")  # in the sandbox's network, not in the demo


def _reseller(**overrides) -> dict:
    data = {"name": "Fourth Coffee IT", "country": "US", "partner_id": FOURTH_COFFEE[0],
            "partner_tenant_id": FOURTH_COFFEE[1], "markets": ["US"], "admin_first_name": "Fiona",
            "admin_last_name": "Fourth", "admin_email": "fiona@fourthcoffee.example.com"}
    data.update(overrides)
    return data


def _customer(**overrides) -> dict:
    data = {"name": "Wide World Importers", "country": "PL", "address_line1": "ul. Grodzka 12", "address_line2": "",
            "city": "Krakow", "state": "", "postal_code": "31-006", "admin_first_name": "Wanda",
            "admin_last_name": "World", "admin_email": "wanda@wideworld.example.com"}
    data.update(overrides)
    return data


def _account(db, name: str) -> Account | None:
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _error(response, field: str) -> str:
    found = soup(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


def _nothing_saved(db, name: str, email: str) -> None:
    assert _account(db, name) is None
    assert db.session.scalar(db.select(Invitation).where(Invitation.email == email)) is None
    assert db.session.scalar(db.select(MailMessage).where(MailMessage.to_email == email)) is None


def test_the_operator_creates_a_ready_reseller_and_invites_its_first_admin(operator_client, db, sandbox_store):
    from app.extensions import get_redis

    # The network is cached for 5 minutes (app/partners/network.py); seeding the demo on the first test
    # of a database fills that cache after the app fixture flushed Redis, so the call asked for below
    # would not be made when this test runs first on PostgreSQL.
    get_redis().delete("pc:reseller-network")
    sandbox_store.clear_calls()
    response = operator_client.post("/admin/accounts/new/reseller", _reseller())
    assert response.status_code == 303
    account = _account(db, "Fourth Coffee IT")
    assert response.headers["Location"] == f"/admin/accounts/{account.id}"
    assert (account.kind, account.status, account.country, account.partner_id, account.partner_tenant_id,
            account.markets) == ("reseller", "active", "US", *FOURTH_COFFEE, ["US"])
    assert account.partner_status == "ready" and account.partner_checked_at is not None
    # Checked as the checkout checks: the partner's profile, its agreement, the operator's network.
    asked = [(c["method"], c["path"]) for c in sandbox_store.calls(path_prefix="/v1/")]
    assert ("GET", "/v1/profiles/mpn") in asked and ("GET", "/v1/compliance/csp/agreementstatus") in asked
    assert ("GET", "/v1/relationships") in asked
    [invitation] = db.session.scalars(db.select(Invitation).where(Invitation.account_id == account.id)).all()
    assert (invitation.email, invitation.role, invitation.first_name, invitation.last_name) == (
        "fiona@fourthcoffee.example.com", "admin", "Fiona", "Fourth")
    mail = db.session.scalar(db.select(MailMessage).where(MailMessage.to_email == "fiona@fourthcoffee.example.com"))
    assert mail.category == "invitations" and "Fourth Coffee IT" in mail.subject
    created = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account_created",
                                                            AuditEvent.account_id == account.id))
    assert created.actor.email == "admin@example.com"
    assert created.details["partner_id"] == FOURTH_COFFEE[0] and created.details["readiness"] == "READY"
    page = operator_client.get(response.headers["Location"])
    assert "fiona@fourthcoffee.example.com was invited to be its admin" in text_of(page)
    assert soup(page).select_one("#readiness .badge").get_text() == "READY"


@pytest.mark.parametrize("partner_id, why", [
    ("3456789", "the Microsoft Partner Agreement is not signed for this region"),
    ("4567890", "the partner is in a different region than this distributor"),
])
def test_a_reseller_partner_center_does_not_list_yet_is_created_inquiring_with_the_reason(
        operator_client, db, partner_id, why):
    response = operator_client.post("/admin/accounts/new/reseller", _reseller(
        name="Proseware Solutions", partner_id=partner_id, admin_email="pat@proseware.example.com"))
    assert response.status_code == 303
    account = _account(db, "Proseware Solutions")
    assert account.partner_status == "inquiring" and why in account.partner_status_reason
    page = soup(operator_client.get(response.headers["Location"]))
    assert page.select_one("#readiness .badge").get_text() == "INQUIRING"
    assert why in page.select_one("#readiness-reason").get_text()
    assert db.session.scalar(db.select(Invitation).where(Invitation.account_id == account.id)) is not None


@pytest.mark.parametrize("overrides, field, message", [
    ({"partner_id": "9999999"}, "partner_id",
     "Partner Center knows no partner with the ID 9999999. Check the number with the reseller."),
    ({"partner_tenant_id": "11111111-2222-4333-8444-555555555555"}, "partner_tenant_id",
     "The Partner Center tenant ID 11111111-2222-4333-8444-555555555555 is not the one Partner Center lists for "
     "partner ID 5678901. Check the tenant ID with the reseller."),
    ({"partner_id": "1234567", "partner_tenant_id": "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"}, "partner_id",
     "Partner ID 1234567 already belongs to Adatum IT Services in this storefront: one partner ID, one reseller."),
    ({"partner_id": "12ab"}, "partner_id", "A partner ID is a number of up to 10 digits, like 1234567."),
    ({"partner_tenant_id": "not-a-guid"}, "partner_tenant_id",
     "A Partner Center tenant ID is a GUID like 5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71."),
    ({"markets": []}, "markets", "Choose at least one market."),
    ({"name": "  "}, "name", "Enter the company name."),
    ({"admin_email": "reseller@example.com"}, "admin_email", "There is already a user with this email address."),
    ({"admin_email": "not an email"}, "admin_email", "Enter an email address like name@example.com."),
])
def test_bad_input_is_refused_next_to_its_field_keeping_what_was_typed(operator_client, db, overrides, field, message):
    data = _reseller(**overrides)
    response = operator_client.post("/admin/accounts/new/reseller", data)
    assert response.status_code == 422
    assert _error(response, field) == message
    page = soup(response)
    assert page.select_one("#admin_first_name")["value"] == "Fiona"
    if field != "partner_id":
        assert page.select_one("#partner_id")["value"] == data["partner_id"]
    _nothing_saved(db, data["name"], data["admin_email"])
    assert _account(db, "Fourth Coffee IT") is None


def _ticked(page) -> list[str]:
    return [box["value"] for box in page.select("#markets-field input[name=markets][checked]")]


def test_a_new_resellers_market_follows_its_country_until_the_operator_ticks_markets(operator_client, db):
    """A reseller in Poland was offered the United States' market ticked. The form ticks the chosen country's
    market (Poland's; the United States' for a country without its own), the page's as it opens and, with
    JavaScript, the country's as it is chosen (the markets swapped in); markets the operator ticked are kept."""
    page = soup(operator_client.get("/admin/accounts/new/reseller"))
    assert page.select_one("#country option[selected]").get_text() == "Choose a country"
    assert _ticked(page) == ["US"]  # what a reseller without a country buys in
    country = page.select_one("#country")
    assert (country["hx-post"], country["hx-target"]) == ("/admin/accounts/new/reseller/markets",
                                                          "#new-reseller-markets")
    default = page.select_one("#new-reseller-markets input[name=markets_default]")["value"]
    assert default == "US"

    def chosen(country, markets, default):
        response = operator_client.post("/admin/accounts/new/reseller/markets", {
            "country": country, "markets": markets, "markets_default": default}, htmx=True)
        assert response.status_code == 200
        return soup(response)

    poland = chosen("PL", ["US"], "US")  # untouched: it follows the country
    assert _ticked(poland) == ["PL"]
    assert poland.select_one("input[name=markets_default]")["value"] == "PL"
    assert _ticked(chosen("DE", ["PL"], "PL")) == ["US"]  # Germany: no market of its own
    kept = chosen("PL", ["US", "PL"], "US")  # the operator ticked Poland too: kept as ticked
    assert _ticked(kept) == ["US", "PL"]
    assert _ticked(chosen("PL", [], "US")) == []  # every one unticked: kept too (saving asks for one)


def test_a_refused_new_reseller_keeps_the_markets_the_operator_ticked(operator_client, db):
    response = operator_client.post("/admin/accounts/new/reseller", {
        **_reseller(country="PL", markets=["US", "PL"], admin_email="not an email"), "markets_default": "US"})
    assert response.status_code == 422
    page = soup(response)
    assert _ticked(page) == ["US", "PL"]
    assert page.select_one("input[name=markets_default]")["value"] == "US"  # they are the operator's, not PL's


def test_partner_center_down_is_said_at_the_partner_id_and_nothing_is_saved(operator_client, db, sandbox_store):
    sandbox_store.inject_fault("GET", "/v1/profiles/mpn", "error", count=5)
    response = operator_client.post("/admin/accounts/new/reseller", _reseller())
    assert response.status_code == 422
    assert _error(response, "partner_id").startswith("Partner Center is not answering right now")
    assert soup(response).select_one("#partner_tenant_id")["value"] == FOURTH_COFFEE[1]
    _nothing_saved(db, "Fourth Coffee IT", "fiona@fourthcoffee.example.com")


def test_the_operator_creates_a_direct_customer_with_its_billing_address(operator_client, db, sandbox_store):
    sandbox_store.clear_calls()
    response = operator_client.post("/admin/accounts/new/customer", _customer())
    assert response.status_code == 303
    account = _account(db, "Wide World Importers")
    assert (account.kind, account.country, account.address_line1, account.address_line2, account.city,
            account.postal_code, account.partner_id) == ("customer", "PL", "ul. Grodzka 12", None, "Krakow",
                                                         "31-006", None)
    # Only the country's address rules are read: no customer is created in Partner Center before an order.
    assert [(c["method"], c["path"]) for c in sandbox_store.calls(path_prefix="/v1/")] == [
        ("GET", "/v1/countryvalidationrules/PL")]
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.account_id == account.id))
    assert (invitation.email, invitation.role) == ("wanda@wideworld.example.com", "admin")
    page = soup(operator_client.get(response.headers["Location"]))
    assert page.select_one("#billing-address").get_text() == "ul. Grodzka 12, 31-006 Krakow"
    assert page.select_one("#readiness") is None


def test_a_direct_customer_needs_its_billing_address(operator_client, db):
    response = operator_client.post("/admin/accounts/new/customer", _customer(address_line1="", city="",
                                                                              postal_code=""))
    assert response.status_code == 422
    assert _error(response, "address_line1") == "Enter the street address."
    assert _error(response, "city") == "Enter the city."
    assert _error(response, "postal_code") == "Enter the postal code."
    assert soup(response).select_one("#name")["value"] == "Wide World Importers"
    _nothing_saved(db, "Wide World Importers", "wanda@wideworld.example.com")


@pytest.mark.parametrize("kind, data", [("reseller", _reseller(name="", markets=[])), ("customer", _customer(city=""))])
def test_an_address_already_a_users_is_said_with_the_other_fields_errors(operator_client, db, kind, data):
    response = operator_client.post(f"/admin/accounts/new/{kind}", {**data, "admin_email": "Reseller@example.com"})
    assert response.status_code == 422
    assert _error(response, "admin_email") == "There is already a user with this email address."
    assert _error(response, "name" if kind == "reseller" else "city")


def test_an_address_already_a_users_is_said_with_partner_centers_answer(operator_client, db, sandbox_store):
    response = operator_client.post("/admin/accounts/new/reseller", _reseller(partner_id="9999999",
                                                                              admin_email="reseller@example.com"))
    assert response.status_code == 422
    assert _error(response, "admin_email") == "There is already a user with this email address."
    assert _error(response, "partner_id").startswith("Partner Center knows no partner with the ID 9999999.")
    _nothing_saved(db, "Fourth Coffee IT", "reseller@example.com")


def test_a_billing_address_partner_center_would_refuse_is_refused_at_its_fields(operator_client, db):
    """The country's rules from Partner Center, as for a licensee: the checkout creates the customer with it."""
    response = operator_client.post("/admin/accounts/new/customer", _customer(
        country="US", address_line1="1 Main Street", city="Seattle", state="", postal_code="abc"))
    assert response.status_code == 422
    assert _error(response, "state") == "Enter the state or province."
    assert _error(response, "postal_code") == "This is not a valid postal code for the United States."
    assert soup(response).select_one("#postal_code")["value"] == "abc"
    assert soup(response).select_one("#city")["value"] == "Seattle"
    _nothing_saved(db, "Wide World Importers", "wanda@wideworld.example.com")
    response = operator_client.post("/admin/accounts/new/customer", _customer(
        country="US", address_line1="1 Main Street", city="Seattle", state="WA", postal_code="98101"))
    assert response.status_code == 303
    account = _account(db, "Wide World Importers")
    # Edited later: the same rules; what was saved stays.
    response = operator_client.post(f"/admin/accounts/{account.id}/edit", {
        "name": account.name, "country": "US", "address_line1": "1 Main Street", "address_line2": "",
        "city": "Seattle", "state": "WA", "postal_code": "9810"})
    assert response.status_code == 422
    assert _error(response, "postal_code") == "This is not a valid postal code for the United States."
    db.session.expire_all()
    assert _account(db, "Wide World Importers").postal_code == "98101"


def test_an_unknown_kind_is_not_a_page(operator_client):
    assert operator_client.get("/admin/accounts/new/operator").status_code == 404


def test_operator_members_may_not_create(operator_member_client, db):
    assert operator_member_client.get("/admin/accounts/new/reseller").status_code == 403
    assert operator_member_client.post("/admin/accounts/new/reseller", _reseller()).status_code == 403
    _nothing_saved(db, "Fourth Coffee IT", "fiona@fourthcoffee.example.com")


def _first_admin_invitation(db, account: Account) -> Invitation:
    return db.session.scalar(db.select(Invitation).where(Invitation.account_id == account.id))


def test_the_first_admins_invitation_waits_on_the_account_page_where_the_operator_resends_it(
        operator_client, db, demo):
    from tests.helpers import Client
    from tests.support.links import mailed_link, mails_to

    operator_client.post("/admin/accounts/new/reseller", _reseller())
    account = _account(db, "Fourth Coffee IT")
    first_link = mailed_link("fiona@fourthcoffee.example.com", "invitation")
    page = operator_client.get(f"/admin/accounts/{account.id}")
    [row] = soup(page).select("#account-invitations tbody tr")
    assert "fiona@fourthcoffee.example.com" in row.get_text() and "Invited, valid until" in row.get_text()
    assert "Account admin" in row.get_text()
    resend_form = row.select_one(f"form[action*='/invitations/{_first_admin_invitation(db, account).id}/resend']")

    response = operator_client.post(resend_form["action"])
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/accounts/{account.id}"
    # Pressed twice (a double submit): one new invitation, whose link works (a second would have replaced it).
    assert operator_client.post(resend_form["action"]).status_code == 303
    assert "A new invitation was sent to fiona@fourthcoffee.example.com" in text_of(
        operator_client.get(response.headers["Location"]))
    assert len(mails_to("fiona@fourthcoffee.example.com", "invitation")) == 2
    invitee = Client(demo.test_client())
    assert invitee.get(first_link).status_code == 410  # the older link was replaced
    assert invitee.get(mailed_link("fiona@fourthcoffee.example.com", "invitation")).status_code == 200


def test_the_operator_revokes_a_first_admins_invitation_and_members_only_see_it(
        operator_client, operator_member_client, db, demo):
    from tests.helpers import Client
    from tests.support.links import mailed_link

    operator_client.post("/admin/accounts/new/customer", _customer())
    account = _account(db, "Wide World Importers")
    invitation = _first_admin_invitation(db, account)
    seen = operator_member_client.get(f"/admin/accounts/{account.id}")
    assert "wanda@wideworld.example.com" in soup(seen).select_one("#account-invitations").get_text()
    assert soup(seen).select("#account-invitations form") == []
    revoke_url = f"/admin/accounts/{account.id}/invitations/{invitation.id}/revoke"
    assert operator_member_client.post(revoke_url).status_code == 403

    assert soup(seen).select_one("#no-admin") is None  # the invitation is pending: nothing to say
    # Revoking asks first in both modes: the button's dialog with JavaScript; without, a page that asks.
    revoke = soup(operator_client.get(f"/admin/accounts/{account.id}")).select_one(
        f"#invitation-{invitation.id} form[action$='/revoke']")
    assert revoke["hx-confirm"] == ("Revoke the invitation of wanda@wideworld.example.com to Wide World Importers? "
                                    "Its link stops working now; to let them in later, invite them again.")
    assert revoke["hx-vals"] == '{"confirmed": "yes"}'
    asked = operator_client.post(revoke_url)
    assert asked.status_code == 200
    assert soup(asked).select_one("h1").get_text() == "Revoke the invitation of wanda@wideworld.example.com?"
    assert " ".join(soup(asked).select_one("#revoke-consequences").get_text(" ").split()).endswith(
        "Nobody can sign in to Wide World Importers then: it has no user and no other pending invitation.")
    assert soup(asked).select_one("#confirm-revoke button").get_text() == "Revoke invitation"
    assert soup(asked).select_one("#confirm-revoke + a").get_text() == "Keep the invitation"
    db.session.expire_all()
    assert invitation.revoked_at is None
    response = operator_client.post(revoke_url, {"confirmed": "yes"})
    assert response.status_code == 303
    after = soup(operator_client.get(f"/admin/accounts/{account.id}"))
    assert after.select_one("#account-invitations") is None
    # Nobody can sign in now: the page says so and opens the form that invites its first admin.
    assert after.select_one("#no-admin").get_text() == ("Nobody can sign in to Wide World Importers: it has no user "
                                                        "and no pending invitation. Invite its first admin below.")
    assert after.select_one("details.invite-admin").has_attr("open")
    page = Client(demo.test_client()).get(mailed_link("wanda@wideworld.example.com", "invitation"))
    assert soup(page).select_one("h1").get_text() == "This invitation was withdrawn"


def test_an_invitation_is_acted_on_only_under_its_own_account(operator_client, db):
    operator_client.post("/admin/accounts/new/reseller", _reseller())
    invitation = _first_admin_invitation(db, _account(db, "Fourth Coffee IT"))
    adatum = _account(db, "Adatum IT Services")
    assert operator_client.post(f"/admin/accounts/{adatum.id}/invitations/{invitation.id}/resend").status_code == 404
    assert operator_client.post(f"/admin/accounts/{adatum.id}/invitations/{invitation.id}/revoke").status_code == 404
    assert invitation.revoked_at is None


def test_resending_an_invitation_already_accepted_says_so_at_its_row(operator_client, db, demo):
    from app.auth.invitations import accept
    from app.audit.services import Origin

    operator_client.post("/admin/accounts/new/reseller", _reseller())
    account = _account(db, "Fourth Coffee IT")
    invitation = _first_admin_invitation(db, account)
    page = operator_client.get(f"/admin/accounts/{account.id}")  # open before the invitee accepts
    resend_action = soup(page).select_one("#account-invitations form[action*='/resend']")["action"]
    accept(invitation, name="Fiona Fourth", password="correct horse battery staple", origin=Origin("", "pytest"))
    db.session.commit()

    response = operator_client.post(resend_action)
    assert response.status_code == 422
    assert "fiona@fourthcoffee.example.com has already accepted this invitation" in text_of(response)
    users = soup(response).select_one("section[aria-labelledby=users-heading]").get_text(" ", strip=True)
    assert "Fiona Fourth" in users and "Account admin" in users


def test_the_operator_invites_another_admin_when_the_first_address_was_wrong(operator_client, db, demo):
    from tests.helpers import Client
    from tests.support.links import mailed_link

    operator_client.post("/admin/accounts/new/reseller", _reseller(admin_email="fiona@fourthcofee.example.com"))
    account = _account(db, "Fourth Coffee IT")
    operator_client.post(f"/admin/accounts/{account.id}/invitations/{_first_admin_invitation(db, account).id}/revoke",
                         {"confirmed": "yes"})

    refused = operator_client.post(f"/admin/accounts/{account.id}/invitations", {
        "admin_first_name": "Fiona", "admin_last_name": "Fourth", "admin_email": "fiona@"})
    assert refused.status_code == 422
    assert _error(refused, "admin_email") == "Enter an email address like name@example.com."
    assert soup(refused).select_one("#admin_first_name")["value"] == "Fiona"
    unnamed = operator_client.post(f"/admin/accounts/{account.id}/invitations", {"admin_email": "fiona@"})
    assert _error(unnamed, "admin_first_name") == "Enter the first name of the admin to invite."  # not "first admin"
    assert _error(unnamed, "admin_last_name") == "Enter the last name of the admin to invite."

    response = operator_client.post(f"/admin/accounts/{account.id}/invitations", {
        "admin_first_name": "Fiona", "admin_last_name": "Fourth", "admin_email": "Fiona@FourthCoffee.example.com"})
    assert response.status_code == 303
    page = operator_client.get(response.headers["Location"])
    assert "fiona@fourthcoffee.example.com was invited to be an admin of Fourth Coffee IT" in text_of(page)
    [row] = soup(page).select("#account-invitations tbody tr")
    assert "fiona@fourthcoffee.example.com" in row.get_text() and "Account admin" in row.get_text()
    # Sent again at once (a double press without JavaScript, both posts sent) it is the same press, answered as
    # the first was: it read "already been invited … resend it instead" though the invitation had just gone out.
    twice = operator_client.post(f"/admin/accounts/{account.id}/invitations", {
        "admin_first_name": "Fiona", "admin_last_name": "Fourth", "admin_email": "fiona@fourthcoffee.example.com"})
    assert twice.status_code == 303 and twice.headers["Location"] == f"/admin/accounts/{account.id}"
    assert "fiona@fourthcoffee.example.com was invited to be an admin" in text_of(operator_client.get(f"/admin/accounts/{account.id}"))
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).where(
        Invitation.email == "fiona@fourthcoffee.example.com")) == 1
    assert db.session.scalar(db.select(db.func.count(MailMessage.id)).where(
        MailMessage.to_email == "fiona@fourthcoffee.example.com")) == 1
    # A minute later it is no double press: the operator is told to resend it instead.
    db.session.execute(db.update(Invitation).where(Invitation.email == "fiona@fourthcoffee.example.com")
                       .values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    again = operator_client.post(f"/admin/accounts/{account.id}/invitations", {
        "admin_first_name": "Fiona", "admin_last_name": "Fourth", "admin_email": "fiona@fourthcoffee.example.com"})
    assert _error(again, "admin_email") == ("This address has already been invited and the invitation is still "
                                            "valid; resend it instead.")
    accepted = Client(demo.test_client())
    token_page = accepted.get(mailed_link("fiona@fourthcoffee.example.com", "invitation"))
    assert soup(token_page).select_one("h1").get_text() == "Join Fourth Coffee IT"
    assert "an account admin" in text_of(token_page)


def test_operator_members_may_not_invite_admins(operator_member_client, db):
    adatum = _account(db, "Adatum IT Services")
    assert soup(operator_member_client.get(f"/admin/accounts/{adatum.id}")).select_one("#invite-admin-form") is None
    response = operator_member_client.post(f"/admin/accounts/{adatum.id}/invitations", {
        "admin_first_name": "Ivy", "admin_last_name": "Intruder", "admin_email": "ivy@example.com"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(Invitation).where(Invitation.email == "ivy@example.com")) is None


def test_a_direct_customers_state_label_follows_its_countrys_rules(operator_client, db):
    page = soup(operator_client.get("/admin/accounts/new/customer"))
    assert page.select_one("label[for=state]").get_text() == "State or province"
    assert page.select_one("#country")["hx-post"] == "/settings/state-label"
    assert operator_client.post("/admin/accounts/new/customer", _customer()).status_code == 303
    account = _account(db, "Wide World Importers")
    # Saving read Poland's rules: its page says at once that the state is optional there.
    page = soup(operator_client.get(f"/admin/accounts/{account.id}/edit"))
    assert page.select_one("label[for=state]").get_text() == "State or province (optional)"
    us = operator_client.post("/settings/state-label", {"country": "US"}, htmx=True)
    assert soup(us).select_one("label[for=state]").get_text() == "State or province"


def test_a_refused_invitation_is_said_where_the_account_page_opens(operator_client, db, demo):
    adatum = _account(db, "Adatum IT Services")
    refused = operator_client.post(f"/admin/accounts/{adatum.id}/invitations", {
        "admin_first_name": "Ola", "admin_last_name": "Nowak", "admin_email": "ola@"})
    assert refused.status_code == 422
    problem = soup(refused).select_one("#account-problem")
    assert problem.get_text(" ", strip=True) == "Nothing was saved: check the fields marked in Invite an account admin below."
    assert problem.select_one("a")["href"] == "#invite-admin-heading"
    assert problem.find_next("h2").get_text() == "Details"  # above everything else of the page
    assert soup(operator_client.get(f"/admin/accounts/{adatum.id}")).select_one("#account-problem") is None


def test_without_javascript_markets_left_as_the_form_ticked_them_follow_the_country_sent(operator_client, db):
    """Without JavaScript nothing swaps the markets in when Poland is chosen: the form still shows the United
    States ticked by itself (markets_default). Sent as they are, they follow the country sent, as the page says;
    markets the operator ticked stand."""
    page = soup(operator_client.get("/admin/accounts/new/reseller"))
    assert page.select_one("input[name=markets_default]")["value"] == "US"
    assert page.select_one("#markets-hint").get_text() == (
        "Where the reseller sells: the storefront's markets. Until you tick others, they follow the country chosen, "
        "as you choose it or else when you save: its own market, or the United States for a country without one of "
        "its own.")
    sent = operator_client.post("/admin/accounts/new/reseller", {
        **_reseller(country="PL", markets=["US"]), "markets_default": "US"})
    assert sent.status_code == 303
    assert _account(db, "Fourth Coffee IT").markets == ["PL"]


def test_without_javascript_markets_the_operator_ticked_stand_whatever_the_country(operator_client, db):
    sent = operator_client.post("/admin/accounts/new/reseller", {
        **_reseller(country="PL", markets=["US", "PL"]), "markets_default": "US"})
    assert sent.status_code == 303
    assert sorted(_account(db, "Fourth Coffee IT").markets) == ["PL", "US"]


@pytest.mark.parametrize("kind", ["reseller", "customer"])
def test_a_new_account_form_sent_twice_creates_one_account_and_says_it_was_created(operator_client, db, kind):
    """Create … and invite its admin pressed twice without JavaScript, both posts sent: the second was answered
    "Nothing was saved: … This address already has an invitation waiting from another organisation." (the
    account the first press had just created), inviting the operator to try again. The same form from the same
    operator admin within seconds is the same press: one account, one invitation, its page and message."""
    data = _reseller() if kind == "reseller" else _customer()
    first = operator_client.post(f"/admin/accounts/new/{kind}", data)
    assert first.status_code == 303
    second = operator_client.post(f"/admin/accounts/new/{kind}", data)
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    page = text_of(operator_client.get(second.headers["Location"]))
    assert f"{data['name']} was created, and {data['admin_email']} was invited to be its admin." in page
    assert db.session.scalar(db.select(db.func.count(Account.id)).where(Account.name == data["name"])) == 1
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).where(
        Invitation.email == data["admin_email"])) == 1
    # A minute later it is no double press: refused next to the field, as before.
    db.session.execute(db.update(Invitation).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    later = operator_client.post(f"/admin/accounts/new/{kind}", data)
    assert later.status_code == 422
    refusals = " ".join(e.get_text(" ", strip=True) for e in soup(later).select(".field-error"))
    assert ("already belongs to Fourth Coffee IT" if kind == "reseller" else "already has an invitation waiting") in refusals
