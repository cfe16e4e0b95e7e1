"""admin > Accounts: the list (search, filters, pages), an account's page, editing, checking a
reseller with Partner Center, and who may do which."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.accounts.models import Account
from app.audit.models import AuditEvent
from tests.factories import AccountFactory, UserFactory
from tests.helpers import soup, text_of


def _names(response) -> list[str]:
    return [a.get_text() for a in soup(response).select("#account-list tbody td:first-child a")]


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


@pytest.fixture
def network(demo, db):
    """Three more accounts beside the demo's: a suspended Polish reseller of 2020, a direct customer
    of 2024 with a user whose email says who it is, and a US reseller of 2025."""
    AccountFactory(name="Zeta Polska Sp. z o.o.", kind="reseller", country="PL", partner_id="7770001",
                   status="suspended", created_at=datetime(2020, 3, 1))
    omega = AccountFactory(name="Omega Retail", kind="customer", country="US", created_at=datetime(2024, 6, 1))
    UserFactory(account=omega, email="buyer@omega-retail.example.com")
    AccountFactory(name="Kappa Cloud", kind="reseller", country="US", partner_id="7770002",
                   created_at=datetime(2025, 1, 15))


def test_the_list_shows_resellers_and_direct_customers_never_the_operator(operator_client, network):
    names = _names(operator_client.get("/admin/accounts/"))
    # Fourth Coffee Reseller: the demo's account migrated from the previous portal.
    assert names == ["Adatum IT Services", "Fourth Coffee Reseller", "Kappa Cloud", "Litware Systems Sp. z o.o.",
                     "Omega Retail", "Tailspin Toys", "Zeta Polska Sp. z o.o."]
    assert "Northwind Cloud Distribution" not in names


@pytest.mark.parametrize("query, expected", [
    ({"kind": "customer"}, ["Omega Retail", "Tailspin Toys"]),
    ({"status": "suspended"}, ["Zeta Polska Sp. z o.o."]),
    ({"country": "PL"}, ["Litware Systems Sp. z o.o.", "Zeta Polska Sp. z o.o."]),
    ({"created_from": "2024-01-01", "created_to": "2025-01-15"}, ["Kappa Cloud", "Omega Retail"]),
    ({"created_to": "2020-12-31"}, ["Zeta Polska Sp. z o.o."]),
    ({"q": "7770002"}, ["Kappa Cloud"]),
    ({"q": "OMEGA-RETAIL.example"}, ["Omega Retail"]),
    ({"q": "adatum", "kind": "reseller", "status": "active", "country": "US"}, ["Adatum IT Services"]),
])
def test_search_and_filters(operator_client, network, query, expected):
    response = operator_client.get("/admin/accounts/", query_string=query)
    assert response.status_code == 200
    assert _names(response) == expected
    page = soup(response)
    assert page.select_one("#account-count").get_text() == f"{len(expected)} account{'' if len(expected) == 1 else 's'}"
    for name, value in query.items():  # the filters say what was asked
        field = page.select_one(f"#{name}")
        shown = field["value"] if field.name == "input" else field.select_one("option[selected]")["value"]
        assert shown == value


def test_a_suspended_account_and_readiness_are_shown_in_the_list(operator_client, network, db):
    _adatum(db).partner_status = "ready"
    db.session.commit()
    rows = {tr.select_one("td a").get_text(): tr for tr in
            soup(operator_client.get("/admin/accounts/")).select("#account-list tbody tr")}
    assert rows["Zeta Polska Sp. z o.o."].select_one(".account-status").get_text(strip=True) == "Suspended"
    assert rows["Adatum IT Services"].select_one(".badge").get_text() == "READY"
    assert "Not checked" in rows["Kappa Cloud"].get_text()


def test_a_kind_status_or_country_not_offered_is_said_next_to_the_filter(operator_client, network):
    from tests.support.filters import assert_bad_choice_refused

    for name, what in (("kind", "a kind"), ("status", "a status"), ("country", "a country")):
        assert_bad_choice_refused(operator_client, "/admin/accounts/", name, what)


def test_a_wrong_date_is_said_next_to_the_filter(operator_client, network):
    response = operator_client.get("/admin/accounts/", query_string={"created_from": "2025-13-45", "q": "a"})
    assert response.status_code == 422
    assert soup(response).select_one("#created_from-error").get_text() == "Enter a date like 2026-01-31."
    assert soup(response).select_one("#filters-unapplied").get_text() == (
        "Shown without the Created from filter: correct it above.")
    assert soup(response).select_one("#q")["value"] == "a"
    to_before_from = operator_client.get("/admin/accounts/", query_string={"created_from": "2025-02-01",
                                                                           "created_to": "2025-01-01"})
    assert soup(to_before_from).select_one("#created_to-error").get_text() == (
        "The end date must be on or after the start date.")


def test_the_list_pages_and_htmx_gets_only_the_list(operator_client, db, demo):
    for n in range(30):
        AccountFactory(name=f"Paged Reseller {n:02d}", country="NL")
    first = operator_client.get("/admin/accounts/", query_string={"country": "NL"})
    assert len(_names(first)) == 25
    link = soup(first).select_one('.pager a[rel="next"]')["href"]
    assert "country=NL" in link and "page=2" in link
    second = operator_client.get(link, headers={"HX-Request": "true"})
    assert _names(second) == ["Paged Reseller 25", "Paged Reseller 26", "Paged Reseller 27", "Paged Reseller 28",
                              "Paged Reseller 29"]
    assert soup(second).select_one("html") is None and "HX-Request" in second.headers["Vary"]


def test_an_account_page_shows_its_details_users_and_history(operator_client, db):
    adatum = _adatum(db)
    page = operator_client.get(f"/admin/accounts/{adatum.id}")
    text = text_of(page)
    assert "Partner ID (MPN ID) 1234567" in text and "Rita Reseller" in text and "reseller@example.com" in text
    assert soup(page).select_one("#account-status").get_text() == "Active"


def test_the_operators_own_account_and_unknown_ids_are_not_found(operator_client, db):
    operator = db.session.scalar(db.select(Account).where(Account.kind == "operator"))
    assert operator_client.get(f"/admin/accounts/{operator.id}").status_code == 404
    assert operator_client.get(f"/admin/accounts/{operator.id}/edit").status_code == 404
    assert operator_client.get("/admin/accounts/999999").status_code == 404


# ----------------------------------------------------------------------------------- editing

def test_editing_a_direct_customer_saves_and_audits_what_changed(operator_client, db):
    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    form = soup(operator_client.get(f"/admin/accounts/{tailspin.id}/edit"))
    assert form.select_one("#name")["value"] == "Tailspin Toys"
    response = operator_client.post(f"/admin/accounts/{tailspin.id}/edit", {
        "name": "Tailspin Toys Inc.", "country": "US", "address_line1": "1 Main Street", "address_line2": "",
        "city": "Tacoma", "state": "WA", "postal_code": "98402"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (tailspin.name, tailspin.city, tailspin.state) == ("Tailspin Toys Inc.", "Tacoma", "WA")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account_updated"))
    assert event.details["name"] == {"from": "Tailspin Toys", "to": "Tailspin Toys Inc."}
    assert event.details["city"] == {"from": "Seattle", "to": "Tacoma"}
    assert "Tailspin Toys Inc. was saved." in text_of(operator_client.get(response.headers["Location"]))
    # A US address reads as one is written there (it read "1 Main Street, 98101 Seattle, WA").
    page = soup(operator_client.get(f"/admin/accounts/{tailspin.id}"))
    assert page.select_one("#billing-address").get_text() == "1 Main Street, Tacoma, WA 98402"


def test_editing_a_resellers_partner_id_checks_it_again(operator_client, db, sandbox_store):
    adatum = _adatum(db)
    data = {"name": adatum.name, "country": "US", "partner_id": "9999999",
            "partner_tenant_id": adatum.partner_tenant_id, "markets": ["US"]}
    refused = operator_client.post(f"/admin/accounts/{adatum.id}/edit", data)
    assert refused.status_code == 422
    assert soup(refused).select_one("#partner_id-error").get_text() == (
        "Partner Center knows no partner with the ID 9999999. Check the number with the reseller.")
    assert soup(refused).select_one("#partner_id")["value"] == "9999999"
    db.session.expire_all()
    assert adatum.partner_id == "1234567"
    sandbox_store.clear_calls()
    renamed = operator_client.post(f"/admin/accounts/{adatum.id}/edit", {**data, "partner_id": "1234567",
                                                                         "name": "Adatum IT"})
    assert renamed.status_code == 303
    assert sandbox_store.calls(path_prefix="/v1/") == []  # the partner ID did not change: nothing to ask


def test_check_with_partner_center_records_readiness_or_says_why_it_could_not(operator_client, db, sandbox_store):
    adatum = _adatum(db)
    # The demo seed records the sandbox's answer; start from an account nobody has checked.
    adatum.partner_status, adatum.partner_status_reason, adatum.partner_checked_at = "unchecked", None, None
    db.session.commit()
    sandbox_store.inject_fault("GET", "/v1/profiles/mpn", "error", count=5)
    down = operator_client.post(f"/admin/accounts/{adatum.id}/check", {})
    # A button that sends nothing typed is not told "Nothing you entered is lost".
    assert ("Partner Center is not answering right now, so this could not be checked. Try again in a moment."
            in text_of(operator_client.get(down.headers["Location"])))
    db.session.expire_all()
    assert adatum.partner_status == "unchecked" and adatum.partner_checked_at is None
    sandbox_store.clear_faults()
    response = operator_client.post(f"/admin/accounts/{adatum.id}/check", {})
    assert response.status_code == 303
    db.session.expire_all()
    assert adatum.partner_status == "ready"
    page = soup(operator_client.get(response.headers["Location"]))
    assert page.select_one("#readiness .badge").get_text() == "READY"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account_partner_checked"))


def test_check_with_partner_center_of_a_reseller_without_partner_id_says_what_to_add(operator_client, db, sandbox_store):
    """A migrated reseller has no partner ID: the check asked Partner Center anyway and showed its refusal,
    "Either mpnId or tenantId is required. Nothing you entered is lost."."""
    migrated = db.session.scalar(db.select(Account).where(Account.name == "Fourth Coffee Reseller"))
    assert migrated.partner_id is None
    sandbox_store.clear_calls()
    response = operator_client.post(f"/admin/accounts/{migrated.id}/check", {})
    assert response.status_code == 303
    assert ("Fourth Coffee Reseller has no partner ID yet, so there is nothing to check with Partner Center: add its "
            "partner ID (MPN ID) and Partner Center tenant ID under Edit details, which checks them."
            in text_of(operator_client.get(response.headers["Location"])))
    assert sandbox_store.calls(path_prefix="/v1/") == []
    db.session.expire_all()
    assert migrated.partner_status == "unchecked"


# ----------------------------------------------------------------------------------- who may

def test_operator_members_read_but_see_no_buttons_and_are_refused_every_change(operator_member_client, db):
    adatum = _adatum(db)
    listing = soup(operator_member_client.get("/admin/accounts/"))
    assert "Adatum IT Services" in listing.get_text() and not listing.find("a", string="New reseller")
    page = soup(operator_member_client.get(f"/admin/accounts/{adatum.id}"))
    assert page.select("main form") == []
    assert not page.find("a", string="Edit details")
    for url, data in ((f"/admin/accounts/{adatum.id}/edit", {"name": "Taken over"}),
                      (f"/admin/accounts/{adatum.id}/suspend", {}), (f"/admin/accounts/{adatum.id}/check", {}),
                      (f"/admin/accounts/{adatum.id}/reactivate", {})):
        assert operator_member_client.post(url, data).status_code == 403, url
    db.session.expire_all()
    assert (adatum.name, adatum.status) == ("Adatum IT Services", "active")


def test_the_operator_admin_sees_the_buttons(operator_client, db):
    listing = soup(operator_client.get("/admin/accounts/"))
    assert listing.find("a", string="New reseller") and listing.find("a", string="New direct customer")
    page = soup(operator_client.get(f"/admin/accounts/{_adatum(db).id}"))
    assert page.find("button", string="Suspend account") and page.find("button", string="Check with Partner Center")


@pytest.mark.parametrize("who", ["reseller_client", "customer_client"])
def test_buyers_cannot_open_accounts(request, demo, db, who):
    c = request.getfixturevalue(who)
    assert c.get("/admin/accounts/").status_code == 403
    assert c.get(f"/admin/accounts/{_adatum(db).id}").status_code == 403


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_a_direct_customers_billing_address_starts_its_checkouts_company_step(operator_client, customer_client, db):
    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    operator_client.post(f"/admin/accounts/{tailspin.id}/edit", {
        "name": "Tailspin Toys", "country": "US", "address_line1": "1 Main Street", "address_line2": "Suite 5",
        "city": "Seattle", "state": "WA", "postal_code": "98101"})
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "tailspinbilling"}).status_code == 303
    form = soup(customer_client.get("/checkout/company"))
    assert [form.select_one(f"#{name}")["value"] for name in
            ("address_line1", "address_line2", "city", "state", "postal_code")] == [
        "1 Main Street", "Suite 5", "Seattle", "WA", "98101"]


@pytest.mark.parametrize("email, name", [("reseller@example.com", "Adatum IT Services"),
                                         ("reseller2@example.com", "Litware Systems Sp. z o.o.")])
def test_the_demo_resellers_details_save_as_they_are(operator_client, db, email, name):
    """An operator who opens a demo reseller's Edit details and saves without touching anything else is
    not asked for what the demo left out (its markets)."""
    account = db.session.scalar(db.select(Account).where(Account.name == name))
    action = f"/admin/accounts/{account.id}/edit"
    form = soup(operator_client.get(action)).select_one(f'form[action="{action}"]')
    data: dict = {}
    for field in form.select("input[name]"):
        if field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.setdefault(field["name"], []).append(field.get("value", "on"))
        elif field.get("type") != "submit":
            data[field["name"]] = field.get("value", "")
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]")
        data[select["name"]] = chosen["value"] if chosen else ""
    saved = operator_client.post(action, data)
    assert saved.status_code == 303, text_of(saved)


def test_unpinning_a_connection_reads_as_an_unpinning_in_the_history(operator_client, db):
    adatum = _adatum(db)
    assert operator_client.post(f"/admin/accounts/{adatum.id}/connection",
                                {"connection": "default"}).status_code in (302, 303)
    assert operator_client.post(f"/admin/accounts/{adatum.id}/connection",
                                {"connection": ""}).status_code in (302, 303)
    history = " ".join(soup(operator_client.get(f"/admin/accounts/{adatum.id}")).select_one("#account-history")
                       .get_text(" ").split())
    assert "connection pinned by admin@example.com: default" in history
    assert "connection unpinned by admin@example.com: served by its market's connection" in history
    assert "by market" not in history
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.account_id == adatum.id,
                                                                    AuditEvent.action.like("account_connection_%")))
    assert sorted(actions) == ["account_connection_pinned", "account_connection_unpinned"]
