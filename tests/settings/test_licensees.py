"""Settings > Licensees: a reseller lists, searches, adds, edits, archives and deletes its customers,
checked as the checkout checks them; the checkout offers the ones not archived."""
from __future__ import annotations

import pytest

from app.accounts.models import Account, Licensee
from app.audit.models import AuditEvent
from app.checkout.models import CheckoutDraft
from tests.factories import LicenseeFactory, OrderFactory
from tests.helpers import soup, text_of

CONTOSO = {"company_name": "Contoso Pharma Sp. z o.o.", "country": "PL", "contact_first_name": "Piotr",
           "contact_last_name": "Nowak", "email": "Piotr.Nowak@contoso.example.com", "phone": "+48 22 555 0134",
           "registration_id": "5260250274", "address_line1": "ul. Marszałkowska 100", "city": "Warszawa",
           "postal_code": "00-026"}


def _licensee(db, name: str) -> Licensee | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Licensee).where(Licensee.company_name == name))


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))


def _names(response) -> list[str]:
    return [a.get_text() for a in soup(response).select("#licensees tbody td:first-child a")]


def test_the_list_shows_the_resellers_own_customers_and_searches_them(db, reseller_client):
    assert _names(reseller_client.get("/settings/licensees")) == ["Fabrikam, Inc.", "Litware, Inc."]
    assert "Coho Winery" not in text_of(reseller_client.get("/settings/licensees"))  # another reseller's
    assert _names(reseller_client.get("/settings/licensees?q=fabri")) == ["Fabrikam, Inc."]
    fragment = reseller_client.get("/settings/licensees?q=LITWARE", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and soup(fragment).select_one("h1") is None  # the results only, for htmx
    assert _names(fragment) == ["Litware, Inc."]
    assert "0 licensees matching “nobody”" in text_of(reseller_client.get("/settings/licensees?q=nobody"))


def test_a_reseller_adds_a_customer_checked_with_the_countrys_rules(db, reseller_client):
    response = reseller_client.post("/settings/licensees/new", CONTOSO)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/licensees"
    contoso = _licensee(db, "Contoso Pharma Sp. z o.o.")
    assert contoso.reseller_id == _adatum(db).id and contoso.email == "piotr.nowak@contoso.example.com"
    assert (contoso.registration_id, contoso.city, contoso.postal_code) == ("5260250274", "Warszawa", "00-026")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "licensee_added"))
    assert event.subject == "Contoso Pharma Sp. z o.o." and event.account_id == contoso.reseller_id
    assert "Contoso Pharma Sp. z o.o." in _names(reseller_client.get("/settings/licensees"))


def test_bad_details_get_a_message_next_to_each_field_and_nothing_is_lost(db, reseller_client):
    response = reseller_client.post("/settings/licensees/new", {
        **CONTOSO, "contact_first_name": "", "email": "not-an-email", "registration_id": "12345",
        "postal_code": "00026", "phone": "22"})
    assert response.status_code == 422
    page = soup(response)
    errors = {e["id"]: e.get_text() for e in page.select(".field-error")}
    assert errors["contact_first_name-error"] == "Enter the contact's first name."
    assert errors["email-error"] == "Enter an email address like name@example.com."
    # The contact must be right before Partner Center is asked about the rest.
    assert "registration_id-error" not in errors
    assert page.select_one("#company_name")["value"] == "Contoso Pharma Sp. z o.o."
    assert page.select_one("#email")["value"] == "not-an-email"
    assert page.select_one("#licensee-problem").get_text() == "Nothing was saved: check the fields marked below."

    response = reseller_client.post("/settings/licensees/new", {
        **CONTOSO, "registration_id": "12345", "postal_code": "00026", "phone": "22"})
    assert response.status_code == 422
    errors = {e["id"]: e.get_text() for e in soup(response).select(".field-error")}
    assert errors == {
        "registration_id-error": "A Polish company registration ID (NIP) has 10 digits, like 5260250274.",
        "postal_code-error": "This is not a valid postal code for Poland.",
        "phone-error": "Enter a phone number in the format used in Poland, for example +48 22 555 0134."}
    assert soup(response).select_one("#registration_id")["value"] == "12345"
    assert _licensee(db, "Contoso Pharma Sp. z o.o.") is None


def test_an_address_needs_its_street_when_any_part_is_given(db, reseller_client):
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "address_line1": "", "registration_id": ""})
    assert response.status_code == 422
    assert soup(response).select_one("#address_line1-error").get_text() == "Enter the street address."
    no_address = {k: v for k, v in CONTOSO.items() if k not in ("address_line1", "city", "postal_code")}
    assert reseller_client.post("/settings/licensees/new", no_address).status_code == 303


def test_partner_center_down_keeps_everything_typed(db, reseller_client, sandbox_store):
    sandbox_store.inject_fault("GET", "/v1/countryvalidationrules/", "error", count=5)
    response = reseller_client.post("/settings/licensees/new", CONTOSO)
    assert response.status_code == 422
    assert "Partner Center is not answering right now" in soup(response).select_one("#licensee-problem").get_text()
    assert soup(response).select_one("#registration_id")["value"] == "5260250274"
    assert _licensee(db, "Contoso Pharma Sp. z o.o.") is None


def test_a_duplicate_name_is_refused_archived_or_not(db, reseller_client):
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "company_name": "fabrikam, inc."})
    assert response.status_code == 422
    assert soup(response).select_one("#company_name-error").get_text() == (
        "You already have a customer named Fabrikam, Inc.: choose it from the list.")
    litware = _licensee(db, "Litware, Inc.")
    reseller_client.post(f"/settings/licensees/{litware.id}/archive", {})
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "company_name": "Litware, Inc."})
    assert soup(response).select_one("#company_name-error").get_text() == (
        "You already have a customer named Litware, Inc.; it is archived: restore it on the Licensees page.")


def test_a_reseller_edits_a_customer(db, reseller_client):
    fabrikam = _licensee(db, "Fabrikam, Inc.")
    page = soup(reseller_client.get(f"/settings/licensees/{fabrikam.id}"))
    assert page.select_one("#company_name")["value"] == "Fabrikam, Inc."
    data = {"company_name": "Fabrikam, Inc.", "country": "US", "contact_first_name": "Frances",
            "contact_last_name": "Miller", "email": "it@fabrikam.example.com", "phone": "",
            "address_line1": "400 Broad St", "city": "Seattle", "state": "WA", "postal_code": "98109"}
    assert reseller_client.post(f"/settings/licensees/{fabrikam.id}", data).status_code == 303
    fabrikam = _licensee(db, "Fabrikam, Inc.")
    assert (fabrikam.contact_first_name, fabrikam.state, fabrikam.postal_code) == ("Frances", "WA", "98109")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "licensee_changed"))
    assert "contact_first_name" in event.details["fields"] and "postal_code" in event.details["fields"]
    bad = reseller_client.post(f"/settings/licensees/{fabrikam.id}", {**data, "postal_code": "ABC"})
    assert soup(bad).select_one("#postal_code-error").get_text() == "This is not a valid postal code for the United States."


def test_a_customer_with_orders_is_archived_never_deleted(db, reseller_client):
    fabrikam = _licensee(db, "Fabrikam, Inc.")
    from app.accounts.models import User

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    OrderFactory(user=rita, licensee=fabrikam, company_name="Fabrikam, Inc.")
    # Nothing to confirm: its Delete button asks nothing and is answered with the reason at once.
    page = soup(reseller_client.get(f"/settings/licensees/{fabrikam.id}"))
    assert not page.select_one(f"form[action='/settings/licensees/{fabrikam.id}/delete']").has_attr("hx-confirm")
    refused = reseller_client.post(f"/settings/licensees/{fabrikam.id}/delete", {})
    assert refused.status_code == 422
    assert soup(refused).select_one("#delete-error").get_text() == (
        "Fabrikam, Inc. has 1 order, so it is kept: archive it instead. An archived customer is no longer offered "
        "at checkout; its orders and subscriptions stay.")
    assert _licensee(db, "Fabrikam, Inc.") is not None

    assert reseller_client.post(f"/settings/licensees/{fabrikam.id}/archive", {}).status_code == 303
    assert _licensee(db, "Fabrikam, Inc.").archived_at is not None
    assert _names(reseller_client.get("/settings/licensees")) == ["Litware, Inc."]
    assert _names(reseller_client.get("/settings/licensees?archived=1")) == ["Fabrikam, Inc."]
    assert reseller_client.post(f"/settings/licensees/{fabrikam.id}/restore", {}).status_code == 303
    assert _licensee(db, "Fabrikam, Inc.").archived_at is None
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("licensee_%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["licensee_archived", "licensee_restored"]


def test_a_customer_nothing_refers_to_can_be_deleted_once_confirmed(db, reseller_client):
    """Deleting cannot be undone, so it is asked first in both modes: the Delete button's hx-confirm
    with JavaScript; without, its post opens a page that asks, and only that page's button deletes."""
    spare = LicenseeFactory(reseller=_adatum(db), company_name="Spare Parts Ltd")
    action = f"/settings/licensees/{spare.id}/delete"
    delete = soup(reseller_client.get(f"/settings/licensees/{spare.id}")).select_one(f"form[action='{action}']")
    assert delete["hx-confirm"].startswith("Delete Spare Parts Ltd?") and delete["hx-vals"] == '{"confirmed": "yes"}'
    asked = reseller_client.post(action, {})
    assert asked.status_code == 200 and _licensee(db, "Spare Parts Ltd") is not None
    page = soup(asked)
    assert page.select_one("h1").get_text() == "Delete Spare Parts Ltd?"
    confirm = page.select_one("#confirm-delete")
    assert confirm.select_one("button").get_text() == "Delete licensee"
    assert confirm.select_one("input[name=confirmed]")["value"] == "yes"
    assert page.find("a", string="Keep the licensee")["href"] == f"/settings/licensees/{spare.id}"
    assert reseller_client.post(action, {"confirmed": "yes"}).status_code == 303
    assert _licensee(db, "Spare Parts Ltd") is None
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "licensee_deleted")).subject == \
        "Spare Parts Ltd"


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_the_checkout_offers_current_customers_only_and_still_adds_one_inline(db, reseller_client):
    litware = _licensee(db, "Litware, Inc.")
    reseller_client.post(f"/settings/licensees/{litware.id}/archive", {})
    options = [o.get_text() for o in soup(reseller_client.get("/checkout/customer")).select("#licensee option")]
    assert options == ["Fabrikam, Inc. (US)", "Add a new customer"]
    chosen = reseller_client.post("/checkout/customer", {"licensee": str(litware.id)})
    assert chosen.status_code == 422  # an archived customer cannot be chosen
    assert soup(chosen).select_one("#licensee-error").get_text() == "Choose one of your customers, or add a new one."
    # Added inline, with the rules of the Licensees page (the same messages).
    incomplete = reseller_client.post("/checkout/customer", {"licensee": "new", "company_name": "Inline Co",
                                                             "country": "XX"})
    assert soup(incomplete).select_one("#country-error").get_text() == "Choose a country from the list."
    added = reseller_client.post("/checkout/customer", {"licensee": "new", "company_name": "Inline Co", "country": "US",
                                                        "contact_first_name": "Ines", "contact_last_name": "Line",
                                                        "email": "ines@inline.example.com"})
    assert added.status_code == 303
    inline = _licensee(db, "Inline Co")
    assert db.session.scalar(db.select(CheckoutDraft.licensee_id)) == inline.id
    assert "Inline Co" in _names(reseller_client.get("/settings/licensees"))


def test_only_resellers_have_licensees(customer_client, operator_client):
    for client in (customer_client, operator_client):
        assert client.get("/settings/licensees").status_code == 404
        assert client.post("/settings/licensees/new", CONTOSO).status_code == 404


def test_another_resellers_customer_is_not_found(db, reseller2_client):
    fabrikam = _licensee(db, "Fabrikam, Inc.")
    assert reseller2_client.get(f"/settings/licensees/{fabrikam.id}").status_code == 404
    for action in ("archive", "delete"):
        assert reseller2_client.post(f"/settings/licensees/{fabrikam.id}/{action}", {}).status_code == 404
    fabrikam = _licensee(db, "Fabrikam, Inc.")
    assert fabrikam is not None and fabrikam.archived_at is None


def test_the_reseller_home_lists_current_customers_and_where_to_manage_them(db, reseller_client,
                                                                            reseller_member_client):
    litware = _licensee(db, "Litware, Inc.")
    assert reseller_client.post(f"/settings/licensees/{litware.id}/archive", {}).status_code == 303
    home = soup(reseller_client.get("/"))
    section = home.select_one("section[aria-labelledby=licensees-heading]")
    assert [td.get_text() for td in section.select("tbody td:first-child")] == ["Fabrikam, Inc."]
    assert section.find("a", string="Manage your customers (licensees)")["href"] == "/settings/licensees"
    # A member may not open the settings: no link they would be refused at.
    member_home = soup(reseller_member_client.get("/")).select_one("section[aria-labelledby=licensees-heading]")
    assert member_home.find("a", href="/settings/licensees") is None


def test_a_reseller_without_customers_is_told_where_to_add_them(db, reseller2_client):
    coho = _licensee(db, "Coho Winery")
    assert reseller2_client.post(f"/settings/licensees/{coho.id}/archive", {}).status_code == 303
    section = soup(reseller2_client.get("/")).select_one("section[aria-labelledby=licensees-heading]")
    assert " ".join(section.get_text().split()) == (
        "Your customers You have no customers yet. Add them under Settings > Licensees, or in the Customer step "
        "of the checkout.")
    assert section.find("a", string="Settings > Licensees")["href"] == "/settings/licensees"


def _state_label(response) -> str:
    return soup(response).select_one("label[for=state]").get_text()


def test_the_state_label_follows_the_countrys_rules(db, reseller_client, sandbox_store):
    # Nothing known of a country yet: the plain label, and the page asks for its country's rules.
    litware = _licensee(db, "Litware, Inc.")
    page = reseller_client.get(f"/settings/licensees/{litware.id}")
    assert _state_label(page) == "State or province"
    country = soup(page).select_one("#country")
    assert country["hx-post"] == "/settings/state-label" and country["hx-trigger"] == "change, load"
    assert country["hx-target"] == "label[for=state]"
    # Asked (the country chosen, or the page shown): Poland does not require a state, the US does.
    poland = reseller_client.post("/settings/state-label", {"country": "PL"}, htmx=True)
    assert poland.status_code == 200 and _state_label(poland) == "State or province (optional)"
    assert _state_label(reseller_client.post("/settings/state-label", {"country": "US"}, htmx=True)) == (
        "State or province")
    assert _state_label(reseller_client.post("/settings/state-label", {"country": ""}, htmx=True)) == (
        "State or province")
    # Known now: the page says it at once, without asking again.
    page = reseller_client.get(f"/settings/licensees/{litware.id}")
    assert _state_label(page) == "State or province (optional)"
    assert soup(page).select_one("#country")["hx-trigger"] == "change"
    sandbox_store.clear_calls()
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "state": "", "phone": "abc"})
    assert response.status_code == 422
    assert _state_label(response) == "State or province (optional)"


def test_a_contact_phone_must_be_digits(db, reseller_client):
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "phone": "abc"})
    assert response.status_code == 422
    assert soup(response).select_one("#phone-error").get_text() == (
        "Enter a phone number in digits (spaces, dashes, brackets and a leading + are fine).")
    assert soup(response).select_one("#phone")["value"] == "abc"
    assert _licensee(db, "Contoso Pharma Sp. z o.o.") is None
    # A country whose rules give no phone pattern is still held to digits.
    response = reseller_client.post("/settings/licensees/new", {**CONTOSO, "country": "ZZ", "phone": "call me"})
    assert "phone-error" in {e["id"] for e in soup(response).select(".field-error")}
