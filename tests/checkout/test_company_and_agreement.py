"""Company details (registration ID, phone, billing address) and the MCA step, and the operator's MCA log."""
from __future__ import annotations

import csv
import io

import pytest

from app.accounts.models import Licensee
from app.admin.settings import StorefrontSettings
from app.audit.models import AuditEvent
from app.checkout.models import CheckoutDraft, McaAcceptance
from tests.helpers import soup, text_of


def reseller_at_company(c, db, licensee="Litware, Inc.", prefix="litwarenew"):
    lic = db.session.scalar(db.select(Licensee).where(Licensee.company_name == licensee))
    assert c.post("/checkout/customer", {"licensee": str(lic.id)}).status_code == 303
    assert c.post("/checkout/service", {"partner_id": "1234567", "domain_prefix": prefix}).status_code == 303
    return lic


ADDRESS_PL = {"address_line1": "ul. Marszałkowska 100", "city": "Warszawa", "postal_code": "00-026"}


def test_registration_id_and_phone_are_required_for_a_new_tenant_in_poland(reseller_client, db):
    reseller_at_company(reseller_client, db)
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one("label[for=registration_id]").get_text() == "Company registration ID"
    assert "equivalent tax identification number" in page.select_one("#registration_id-hint").get_text()
    response = reseller_client.post("/checkout/company", {"registration_id": "", "phone": "", **ADDRESS_PL})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#registration_id-error").get_text() == (
        "Enter the company registration ID: Microsoft requires it for new customers in Poland.")
    assert page.select_one("#phone-error").get_text() == "Enter a phone number: Microsoft requires it for new customers in Poland."
    assert page.select_one("#address_line1")["value"] == "ul. Marszałkowska 100"


def test_the_wizards_sentences_name_the_customers_country_not_its_code(reseller_client, customer_client, db):
    """"created in Poland", "Country: Poland", an address ending in "Warszawa, Poland": not "PL"."""
    reseller_at_company(reseller_client, db)
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one(".lead").get_text() == "Litware, Inc. · Poland · litwarenew.onmicrosoft.com (new tenant)"
    assert page.select_one("#registration_id-hint").get_text().startswith(
        "Required: Microsoft asks for it when a new tenant is created in Poland.")
    assert page.select_one("#phone-hint").get_text() == "Required for new customers in Poland."
    assert page.find("p", string="Country: Poland") is not None
    assert reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                                      **ADDRESS_PL}).status_code == 303
    reseller_client.post("/checkout/agreement", {"first_name": "Lena", "last_name": "Nowak", "phone": "+48 22 555 0134",
                                                 "email": "admin@litware.example.com", "accepted": "y"})
    review = soup(reseller_client.get("/checkout/review"))
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in review.select("dl.facts dt")}
    assert facts["Customer"] == "Litware, Inc. (Poland)"
    assert facts["Address"] == "ul. Marszałkowska 100, 00-026 Warszawa, Poland"
    # A direct customer buys for its own organisation, in its own country.
    assert "Tailspin Toys (United States)" in text_of(customer_client.get("/checkout/customer"))


def test_a_refused_change_of_company_details_locks_the_later_steps_in_the_stepper_too(reseller_client, db):
    """Changed from the Review and refused, the step is no longer complete and Agreement and Review wait for it:
    the htmx answer replaces the stepper too, which kept offering them as links that only led back here."""
    reseller_at_company(reseller_client, db)
    assert reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                                      **ADDRESS_PL}).status_code == 303
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one("#checkout-stepper a[href='/checkout/agreement']") is not None
    refused = reseller_client.post("/checkout/company", {"registration_id": "123", "phone": "+48 22 555 0134",
                                                         **ADDRESS_PL}, htmx=True)
    assert refused.status_code == 422
    stepper = soup(refused).select_one("#checkout-stepper[hx-swap-oob=true]")
    assert stepper.select_one("[aria-current=step]").get_text() == "Company details"
    assert [s.get_text() for s in stepper.select(".step-locked")] == ["Agreement", "Review"]
    # The full page (without JavaScript) has its stepper once, as it is.
    page = soup(reseller_client.post("/checkout/company", {"registration_id": "123", "phone": "+48 22 555 0134",
                                                           **ADDRESS_PL}))
    assert len(page.select("nav.stepper")) == 1 and not page.select_one("#checkout-stepper").has_attr("hx-swap-oob")


def _refused(response, field: str, message: str, typed: str | None = None) -> None:
    """A 422 with `message` next to `field`, which still holds what was `typed` (when given)."""
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f"#{field}-error").get_text() == message
    if typed is not None:
        assert page.select_one(f"#{field}")["value"] == typed


PHONE_ADVICE = "Enter a phone number in digits (spaces, dashes, brackets and a leading + are fine)."


@pytest.mark.parametrize("typed", ["12345", "abc"])
def test_registration_id_is_checked_with_the_country_rules(reseller_client, db, typed):
    reseller_at_company(reseller_client, db)
    response = reseller_client.post("/checkout/company", {"registration_id": typed, "phone": "+48 22 555 0134",
                                                          **ADDRESS_PL})
    _refused(response, "registration_id", "A Polish company registration ID (NIP) has 10 digits, like 5260250274.",
             typed)


def test_a_registration_id_typed_with_the_country_prefix_is_kept_as_microsoft_takes_it(reseller_client, db):
    # The rules' format is PL9999999999 (the prefix may be left out); Microsoft takes the number alone.
    reseller_at_company(reseller_client, db)
    response = reseller_client.post("/checkout/company", {"registration_id": "PL 526-025-02-74",
                                                          "phone": "+48 22 555 0134", **ADDRESS_PL})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(db.select(CheckoutDraft)).registration_id == "5260250274"


def test_valid_company_details_go_on_and_are_kept_for_the_licensee(reseller_client, db):
    lic = reseller_at_company(reseller_client, db)
    response = reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                                          **ADDRESS_PL})
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/agreement"
    db.session.expire_all()
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft.registration_id == "5260250274" and "company" in draft.completed_steps
    assert db.session.get(Licensee, lic.id).registration_id == "5260250274"


def test_a_new_us_customer_is_not_asked_a_registration_id_microsoft_would_refuse(reseller_client, db):
    """Microsoft refuses a company registration ID for a new customer outside the countries that require one
    (600002): one typed went through and the order stopped, querying, with "Customers in US must not have a
    company registration ID.". The field is not offered there, and one sent anyway is refused at it."""
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamnewtwo")
    assert soup(reseller_client.get("/checkout/company")).select_one("#registration_id") is None
    address = {"address_line1": "1 Microsoft Way", "city": "Redmond", "state": "WA", "postal_code": "98052"}
    _refused(reseller_client.post("/checkout/company", {"registration_id": "5260250274", **address}),
             "registration_id", "Microsoft takes no company registration ID for new customers in the United States: "
             "leave it empty.", "5260250274")
    assert reseller_client.post("/checkout/company", {"registration_id": "", **address}).status_code == 303


def test_the_review_lists_a_registration_id_only_where_company_details_asked_for_one(customer_client, reseller_client,
                                                                                    db):
    """A new tenant in the United States is asked no registration ID (Microsoft refuses one), yet the Review's
    Company details said "Registration ID: not given", as if a field had been left empty. Where the step asked
    (Poland requires one) it is listed with what was given."""
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "tailspinnewreg"}).status_code == 303
    assert customer_client.post("/checkout/company", {"address_line1": "1 Main Street", "city": "Seattle",
                                                      "state": "WA", "postal_code": "98101"}).status_code == 303
    assert customer_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Carl", "last_name": "Customer",
                                                        "email": "carl@tailspin.example.com",
                                                        "phone": "+1 555 010 0123"}).status_code == 303
    company = soup(customer_client.get("/checkout/review")).select_one("section[aria-labelledby=r-company]")
    facts = [dt.get_text() for dt in company.select("dl.facts dt")]
    assert "Registration ID" not in facts and "Address" in facts

    _to_agreement(reseller_client, db)
    assert reseller_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Lena", "last_name": "Nowak",
                                                        "email": "lena@litware.example.com",
                                                        "phone": "+48 22 555 0134"}).status_code == 303
    company = soup(reseller_client.get("/checkout/review")).select_one("section[aria-labelledby=r-company]")
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in company.select("dl.facts dt")}
    assert facts["Registration ID"] == "5260250274"


def test_us_customer_registration_is_optional_and_the_postal_code_checked(reseller_client, db):
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamnewone")
    response = reseller_client.post("/checkout/company", {"address_line1": "1 Microsoft Way", "city": "Redmond",
                                                          "state": "WA", "postal_code": "ABCDE"})
    assert response.status_code == 422
    assert soup(response).select_one("#postal_code-error").get_text() == "This is not a valid postal code for the United States."
    ok = reseller_client.post("/checkout/company", {"address_line1": "1 Microsoft Way", "city": "Redmond",
                                                    "state": "WA", "postal_code": "98052"})
    assert ok.status_code == 303


@pytest.fixture
def billing_address_checked(db):
    """The operator's option: a sub-customer's billing address is validated with Partner Center."""
    settings = StorefrontSettings.load()
    settings.sub_customers_billing_address = True
    settings.save()
    db.session.commit()


# Partner Center answers it with a correction: "1 Microsoft Way".
TYPED_ADDRESS = {"address_line1": "1 microsoft way", "city": "Redmond", "state": "WA", "postal_code": "98052"}


def test_billing_address_option_validates_with_partner_center_and_offers_a_correction(reseller_client, db,
                                                                                       billing_address_checked):
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamnewtwo")
    response = reseller_client.post("/checkout/company", TYPED_ADDRESS)
    assert response.status_code == 422
    popup = soup(response).select_one("[role=alertdialog]")
    assert "Partner Center suggests a corrected address" in popup.get_text()
    assert "1 Microsoft Way" in popup.get_text()
    accepted = reseller_client.post("/checkout/company", {**TYPED_ADDRESS, "suggestion": "accept"})
    assert accepted.status_code == 303
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft.address_line1 == "1 Microsoft Way"


def test_a_us_address_reads_city_state_zip_in_the_suggestion_and_on_the_review(reseller_client, customer_client, db,
                                                                              billing_address_checked):
    """The United States write "Seattle, WA 98101": the suggestion and the Review said "98052 Redmond, WA", the
    postal code before the city as most of Europe writes it."""
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamnew4")
    popup = soup(reseller_client.post("/checkout/company", TYPED_ADDRESS)).select_one("[role=alertdialog]")
    assert popup.select("p")[1].get_text() == "1 Microsoft Way, Redmond, WA 98052"
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "tailspinnew"}).status_code == 303
    assert customer_client.post("/checkout/company", {"address_line1": "500 Pine Street", "address_line2": "Suite 4",
                                                      "city": "Seattle", "state": "WA",
                                                      "postal_code": "98101"}).status_code == 303
    assert customer_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Carl", "last_name": "Customer",
                                                        "email": "carl@tailspin.example.com",
                                                        "phone": "+1 555 010 0123"}).status_code == 303
    review = soup(customer_client.get("/checkout/review"))
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in review.select("dl.facts dt")}
    assert facts["Address"] == "500 Pine Street, Suite 4, Seattle, WA 98101, United States"


def test_refusing_the_suggestion_keeps_the_typed_address(reseller_client, db, billing_address_checked):
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamnew3")
    reseller_client.post("/checkout/company", TYPED_ADDRESS)
    kept = reseller_client.post("/checkout/company", {**TYPED_ADDRESS, "suggestion": "refuse"})
    assert kept.status_code == 303
    assert db.session.scalar(db.select(CheckoutDraft)).address_line1 == "1 microsoft way"


def _to_agreement(c, db):
    reseller_at_company(c, db)
    assert c.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                        **ADDRESS_PL}).status_code == 303


def test_reseller_confirms_the_customers_mca_and_it_is_recorded(reseller_client, db):
    _to_agreement(reseller_client, db)
    page = soup(reseller_client.get("/checkout/agreement"))
    assert page.select_one("label[for=accepted]").get_text() == (
        "My customer, Litware, Inc., has accepted the Microsoft Customer Agreement")
    assert page.find("a", string="Read the Microsoft Customer Agreement")["href"].startswith("http")
    assert page.select_one("#first_name")["value"] == "Lena"  # the licensee's contact, prefilled
    missing = reseller_client.post("/checkout/agreement", {"first_name": "Lena", "last_name": "Nowak",
                                                           "email": "lena@litware.example.com", "phone": "+48 22 555 0134"})
    assert missing.status_code == 422
    assert soup(missing).select_one("#accepted-error").get_text() == "Tick the box to go on."
    done = reseller_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Lena", "last_name": "Nowak",
                                                        "email": "lena@litware.example.com", "phone": "+48 22 555 0134"})
    assert done.status_code == 303 and done.headers["Location"] == "/checkout/review"
    row = db.session.scalar(db.select(McaAcceptance))
    assert (row.kind, row.customer_name, row.tenant_domain) == ("confirmed", "Litware, Inc.", "litwarenew.onmicrosoft.com")
    assert (row.first_name, row.email, row.ip_address) == ("Lena", "lena@litware.example.com", "127.0.0.1")
    assert row.user_agent.startswith("Werkzeug/")  # the browser that confirmed
    assert row.template_id == "117a77b0-9360-443b-8795-c6dedc750cf9" and row.user.email == "reseller@example.com"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "mca_confirmed")) is not None


def test_direct_customer_accepts_the_mca(customer_client, db):
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "tailspinnew"}).status_code == 303
    assert customer_client.post("/checkout/company", {"address_line1": "1 Main Street", "city": "Seattle",
                                                      "state": "WA", "postal_code": "98101"}).status_code == 303
    page = soup(customer_client.get("/checkout/agreement"))
    assert page.select_one("label[for=accepted]").get_text() == "I have read and accept the Microsoft Customer Agreement"
    done = customer_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Carl", "last_name": "Customer",
                                                        "email": "carl@tailspin.example.com", "phone": "+1 555 010 0123"})
    assert done.status_code == 303
    assert db.session.scalar(db.select(McaAcceptance.kind)) == "accepted"


def test_the_operator_can_switch_the_mca_step_off(reseller_client, db):
    settings = StorefrontSettings.load()
    settings.require_mca_acceptance = False
    settings.save()
    db.session.commit()
    _to_agreement(reseller_client, db)
    page = reseller_client.get("/checkout/agreement")
    assert "nothing to accept here" in text_of(page)
    assert reseller_client.post("/checkout/agreement", {}).headers["Location"] == "/checkout/review"
    assert db.session.scalar(db.select(db.func.count(McaAcceptance.id))) == 0


def test_a_date_in_the_mca_log_filter_that_is_not_one_is_said_at_its_field(operator_client):
    response = operator_client.get("/admin/mca?from=31/12/2026&to=2026-02-30")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#from-error").get_text() == "Enter a date like 2026-01-31."
    assert page.select_one("#to-error").get_text() == "Enter a date like 2026-01-31."
    assert page.select_one("#from")["value"] == "31/12/2026" and page.select_one("#from")["aria-invalid"] == "true"
    backwards = soup(operator_client.get("/admin/mca?from=2026-12-05&to=2026-12-01"))
    assert backwards.select_one("#to-error").get_text() == "The end date must be on or after the start date."
    assert operator_client.get("/admin/mca?format=csv&from=31/12/2026").status_code == 400
    assert operator_client.get("/admin/mca?from=2026-01-01&to=2026-12-31").status_code == 200


def test_operator_reads_filters_and_exports_the_mca_log(reseller_client, operator_client, db):
    _to_agreement(reseller_client, db)
    reseller_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Lena", "last_name": "Nowak",
                                                 "email": "lena@litware.example.com", "phone": "+48 22 555 0134"})
    page = soup(operator_client.get("/admin/mca"))
    assert "Litware, Inc." in page.select_one("table tbody").get_text()
    assert "No acceptances match." in text_of(operator_client.get("/admin/mca?kind=accepted"))
    assert "Litware" in text_of(operator_client.get("/admin/mca?q=litware&kind=confirmed"))
    exported = operator_client.get("/admin/mca?format=csv&q=litware")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][0] == "Accepted at (UTC)" and rows[1][4] == "Litware, Inc." and rows[1][1] == "confirmed"
    assert reseller_client.get("/admin/mca").status_code == 403


def test_the_state_label_says_optional_where_the_countrys_rules_do_not_require_it(reseller_client, db):
    reseller_at_company(reseller_client, db)  # Litware, Inc.: Poland
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one("label[for=state]").get_text() == "State or province (optional)"


def test_the_state_label_is_plain_where_the_countrys_rules_require_it(reseller_client, db):
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamstate")  # the US
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one("label[for=state]").get_text() == "State or province"


def test_a_phone_that_is_not_digits_is_refused_at_company_details_and_the_agreement(reseller_client, db):
    reseller_at_company(reseller_client, db)
    response = reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "abc",
                                                          **ADDRESS_PL})
    _refused(response, "phone", PHONE_ADVICE, "abc")
    assert reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                                      **ADDRESS_PL}).status_code == 303
    response = reseller_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Lena", "last_name": "Nowak",
                                                            "email": "lena@litware.example.com", "phone": "abc"})
    _refused(response, "phone", PHONE_ADVICE)


def test_another_customer_chosen_later_gets_its_own_company_details_and_signatory(reseller_client, db):
    """Fabrikam's company details and MCA signatory were given, then the buyer went back and chose
    Litware: its company step and agreement offer Litware's own, never Fabrikam's."""
    reseller_at_company(reseller_client, db, licensee="Fabrikam, Inc.", prefix="fabrikamfirst")
    # (A new US customer gives no registration ID: Microsoft refuses one; see the test above.)
    assert reseller_client.post("/checkout/company", {"phone": "+1 425 555 0100",
                                                      "address_line1": "1 Microsoft Way", "city": "Redmond",
                                                      "state": "WA", "postal_code": "98052"}).status_code == 303
    assert reseller_client.post("/checkout/agreement", {"accepted": "y", "first_name": "Frank", "last_name": "Miller",
                                                        "email": "it@fabrikam.example.com",
                                                        "phone": "+1 425 555 0100"}).status_code == 303
    reseller_at_company(reseller_client, db, licensee="Litware, Inc.", prefix="litwaresecond")
    page = soup(reseller_client.get("/checkout/company"))
    assert page.select_one("#registration_id").get("value", "") == ""
    assert page.select_one("#phone")["value"] == "+48 22 555 0134"
    assert [page.select_one(f"#{name}")["value"] for name in ("address_line1", "city", "postal_code")] == [
        "ul. Marszałkowska 100", "Warszawa", "00-026"]
    assert reseller_client.post("/checkout/company", {"registration_id": "5260250274", "phone": "+48 22 555 0134",
                                                      **ADDRESS_PL}).status_code == 303
    page = soup(reseller_client.get("/checkout/agreement"))
    assert [page.select_one(f"#{name}")["value"] for name in ("first_name", "last_name", "email")] == [
        "Lena", "Nowak", "admin@litware.example.com"]
