"""The wizard's customer and service-details steps, driven through HTTP as the pages do."""
from __future__ import annotations

import copy
import re
import threading

import pytest

from app.accounts.models import Licensee
from app.checkout.models import CheckoutDraft, DomainReservation
from app.checkout.services import MPN_WARNING
from tests.factories import LicenseeFactory
from tests.helpers import asks_first, refused, soup, text_of
from tests.support.catalog import put_in_cart
from tests.support.sql import about, statements

MPN_TEXT = MPN_WARNING.format(operator="Northwind Cloud Distribution")


def _choose_fabrikam(c, db):
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    response = c.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/service"
    return fabrikam


def test_start_resumes_at_the_first_open_step_and_later_steps_wait(reseller_client, db):
    assert reseller_client.get("/checkout/").headers["Location"] == "/checkout/customer"
    blocked = reseller_client.get("/checkout/service")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/checkout/customer"
    assert reseller_client.get("/checkout/company").headers["Location"] == "/checkout/customer"
    _choose_fabrikam(reseller_client, db)
    assert reseller_client.get("/checkout/").headers["Location"] == "/checkout/service"
    page = soup(reseller_client.get("/checkout/service"))
    steps = [li.get_text(" ", strip=True) for li in page.select(".stepper li")]
    assert "Customer" in steps and page.select_one('[aria-current="step"]').get_text() == "Service details"
    assert page.select_one(".stepper a[href='/checkout/customer']") is not None  # completed steps can be revisited


def test_reseller_cannot_choose_a_licensee_of_another_reseller(reseller_client, db):
    stranger = LicenseeFactory(company_name="Not Yours")  # of another reseller
    response = reseller_client.post("/checkout/customer", {"licensee": str(stranger.id)})
    refused(response, errors={"licensee": "Choose one of your customers, or add a new one."})
    response = reseller_client.post("/checkout/customer", {"licensee": "99999"})
    assert response.status_code == 422


def test_reseller_adds_a_licensee_inline(reseller_client, db):
    incomplete = reseller_client.post("/checkout/customer", {"licensee": "new", "company_name": "Contoso Pharma",
                                                             "country": "GB", "email": "not-an-email"})
    refused(incomplete, errors={"contact_first_name": "Enter the contact's first name.",
                                "email": "Enter an email address like name@example.com."},
            kept={"company_name": "Contoso Pharma"})
    done = reseller_client.post("/checkout/customer", {"licensee": "new", "company_name": "Contoso Pharma",
                                                       "country": "GB", "contact_first_name": "Chris",
                                                       "contact_last_name": "Cole", "email": "chris@contoso.example.com",
                                                       "phone": "+44 20 5555 0100"})
    assert done.status_code == 303
    licensee = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Contoso Pharma"))
    assert licensee.country == "GB" and licensee.reseller.name == "Adatum IT Services"
    assert db.session.scalar(db.select(CheckoutDraft)).licensee_id == licensee.id


def test_a_new_customer_typed_while_another_is_chosen_is_not_dropped(reseller_client, db):
    """The Customer list opens on the first licensee: a reseller who fills in "Add a new customer" and
    presses Next without choosing it there is asked which it is, with everything kept, instead of going
    on for Fabrikam with the new customer silently thrown away."""
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    typed = {"company_name": "Northwind Traders", "country": "US", "contact_first_name": "Nancy",
             "contact_last_name": "Davolio", "email": "nancy@northwind.example.com", "phone": "+1 206 555 0101"}
    response = reseller_client.post("/checkout/customer", {"licensee": str(fabrikam.id), **typed})
    page = refused(response, errors={"licensee": "You chose Fabrikam, Inc. here but filled in a new customer below: "
                                                 "choose “Add a new customer” to add Northwind Traders, or clear "
                                                 "the fields below to buy for Fabrikam, Inc."},
                   kept={name: value for name, value in typed.items() if name != "country"})
    assert page.select_one("#licensee option[selected]")["value"] == str(fabrikam.id)
    assert page.select_one("#country option[selected]")["value"] == "US"
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft is None or "customer" not in draft.completed_steps
    assert db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Northwind Traders")) is None
    # Chosen as the message says, it is added; an untouched form (the country list at its first choice) goes on.
    assert reseller_client.post("/checkout/customer", {"licensee": "new", **typed}).status_code == 303
    assert reseller_client.post("/checkout/customer", {"licensee": str(fabrikam.id), "country": ""}).status_code == 303


def test_the_new_customer_fields_kept_for_a_page_read_are_the_ones_drawn(app, reseller_client):
    """The step's page keeps its "Add a new customer" fields drawn empty (app/checkout/routes.py,
    new_customer_fields): a page read shows them exactly as an unsent form draws them; a form sent is drawn anew,
    with what was typed."""
    from app.checkout.forms import CustomerForm
    from app.checkout.routes import draw_new_customer_fields, new_customer_fields

    first = reseller_client.get("/checkout/customer").get_data(as_text=True)
    with app.test_request_context("/checkout/customer"):
        drawn = draw_new_customer_fields(CustomerForm())
        assert new_customer_fields(CustomerForm()) == drawn
    assert 'id="company_name"' in drawn and '<option selected value="">Choose a country</option>' in drawn
    assert str(drawn) in first and str(drawn) in reseller_client.get("/checkout/customer").get_data(as_text=True)
    with app.test_request_context("/checkout/customer", method="POST", data={"company_name": "Contoso Pharma"}):
        sent = CustomerForm()
        assert new_customer_fields(sent) == draw_new_customer_fields(sent) != drawn
        assert 'value="Contoso Pharma"' in new_customer_fields(sent)


def test_direct_customer_is_its_own_customer(customer_client):
    page = soup(customer_client.get("/checkout/customer"))
    assert "Tailspin Toys" in page.select_one("#customer-form").get_text()
    assert page.select_one("#licensee") is None
    assert customer_client.post("/checkout/customer", {}).headers["Location"] == "/checkout/service"


@pytest.mark.parametrize("typed, expected", [
    ("con toso", "Use only letters (a–z) and digits (0–9), no spaces or hyphens, at most 27 characters."),
    ("my-company", "Use only letters (a–z) and digits (0–9), no spaces or hyphens, at most 27 characters."),
    ("a" * 28, "Use only letters (a–z) and digits (0–9), no spaces or hyphens, at most 27 characters."),
    ("brandnewprefix42", "brandnewprefix42.onmicrosoft.com is available."),
])
def test_live_domain_check(customer_client, typed, expected):
    customer_client.post("/checkout/customer", {})
    response = customer_client.post("/checkout/service/domain", {"domain_prefix": typed}, htmx=True)
    assert response.status_code == 200
    assert soup(response).select_one("#domain-status").get_text(strip=True) == expected


@pytest.mark.parametrize("tick", [True, False])
def test_without_javascript_update_tenant_choice_keeps_the_typed_prefix(customer_client, tick):
    """The box's "Update tenant choice" button (no JavaScript) sends the whole form; the step shown
    again still has the prefix that was typed, whichever way the box went."""
    customer_client.post("/checkout/customer", {})
    if not tick:
        customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y"})
    form = {"domain_prefix": "tailspinkept42"} | ({"existing_tenant": "y"} if tick else {})
    response = customer_client.post("/checkout/service/tenant-mode", form)
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/service"
    page = soup(customer_client.get("/checkout/service"))
    assert page.select_one("#domain_prefix")["value"] == "tailspinkept42"
    assert page.select_one("#existing_tenant").has_attr("checked") is tick


def test_a_partner_id_nobody_checked_yet_is_not_called_inquiring(reseller_client, db):
    """Without JavaScript nothing checks the MPN ID before Checkout: Adatum (READY with Partner Center) read
    "Readiness: INQUIRING" and "Your partner ID must be READY … checked again", a status no check had given.
    Before a check the badge says so, and Checkout says it checks it; a check's answer reads as before."""
    _choose_fabrikam(reseller_client, db)
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#partner_id")["value"] == "1234567"
    assert page.select_one("#readiness").get_text() == "NOT CHECKED YET"
    assert "INQUIRING" not in page.select_one("#partner-status").get_text()
    assert " ".join(page.select_one("#checkout-reason").get_text(" ").split()) == (
        "Your partner ID is checked with Partner Center when you press Checkout: it must be READY for the order "
        "to go on.")
    checked = soup(reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True))
    assert checked.select_one("#readiness").get_text() == "READY"
    refused_id = soup(reseller_client.post("/checkout/service/partner-id", {"partner_id": "12ab"}, htmx=True))
    assert refused_id.select_one("#readiness").get_text() == "INQUIRING"


@pytest.mark.parametrize("typed", ["2345678", "12"])
def test_without_javascript_update_tenant_choice_keeps_the_typed_partner_id(reseller_client, db, typed):
    """Without JavaScript the MPN ID is not checked when its field is left: Update tenant choice checks
    it, and the step shown again has what was typed (Checkout then says what is wrong with it)."""
    _choose_fabrikam(reseller_client, db)
    response = reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "partner_id": typed,
                                                                      "domain_prefix": "fabrikam"})
    assert response.status_code == 303
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#partner_id")["value"] == typed
    assert page.select_one("#readiness").get_text() == "INQUIRING"
    assert page.select_one("#domain_prefix")["value"] == "fabrikam"
    response = reseller_client.post("/checkout/service", {"existing_tenant": "y", "partner_id": typed,
                                                          "domain_prefix": "fabrikam"})
    assert response.status_code == 422 and soup(response).select_one("#partner_id-error") is not None


@pytest.mark.parametrize("typed, tick", [("contoso", False), ("nosuchtenantprefix42", True)])
def test_without_javascript_a_refused_checkout_keeps_the_typed_prefix(customer_client, typed, tick):
    """Without JavaScript nothing saves the prefix as it is typed: Checkout, refused beside the field
    (taken by another tenant; no tenant uses it), keeps it for the step shown again later."""
    customer_client.post("/checkout/customer", {})
    if tick:
        customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y"})
    refused = customer_client.post("/checkout/service", {"domain_prefix": typed} | ({"existing_tenant": "y"} if tick else {}))
    assert refused.status_code == 422 and soup(refused).select_one("#domain_prefix-error") is not None
    page = soup(customer_client.get("/checkout/service"))
    assert page.select_one("#domain_prefix")["value"] == typed


@pytest.mark.parametrize("htmx", [False, True])
def test_the_box_ticked_before_a_prefix_is_typed_asks_for_the_prefix_not_for_patience(reseller_client, customer_client,
                                                                                      db, htmx):
    """Ticking "already using Office 365" before typing the prefix (the order the page shows them in) said
    "Checkout is disabled until the customer's global administrator accepts the authorization. Waiting for
    Microsoft…", although nothing was waited for: no tenant was named yet. It now says what to do first."""
    _choose_fabrikam(reseller_client, db)
    customer_client.post("/checkout/customer", {})
    for client, whose in ((reseller_client, "your customer's"), (customer_client, "your")):
        answer = client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": ""}, htmx=htmx)
        said = (f"Checkout is disabled until the domain prefix above names {whose} existing tenant, and its global "
                f"administrator accepts the authorization.")
        if htmx:
            assert soup(answer).select_one("#checkout-reason").get_text() == said
        page = soup(client.get("/checkout/service"))
        assert page.select_one("#checkout-button").has_attr("disabled")
        assert page.select_one("#checkout-reason").get_text() == said
        assert "Waiting for Microsoft" not in page.select_one("#checkout-gate").get_text()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_tenant_no_one_uses_is_said_beside_the_field_when_the_step_is_shown_again(reseller_client, db, htmx):
    """The box ticked with a prefix no Microsoft tenant uses: without JavaScript "Update tenant choice", with it
    the live check, then a reload. The page shown again (it never asks Microsoft) still says so beside the field,
    instead of only an authorization to wait for; a prefix that exists clears it."""
    _choose_fabrikam(reseller_client, db)
    if htmx:
        reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y"}, htmx=True)
        reseller_client.post("/checkout/service/domain", {"domain_prefix": "nosuchtenantprefix42"}, htmx=True)
    else:
        reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y",
                                                               "domain_prefix": "nosuchtenantprefix42"})
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#domain_prefix")["value"] == "nosuchtenantprefix42"
    assert page.select_one("#domain-status .field-error").get_text() == (
        "No Microsoft tenant uses nosuchtenantprefix42.onmicrosoft.com. Check the spelling, or untick the box to "
        "create a new tenant with this domain.")
    assert page.select_one("#checkout-reason").get_text() == (
        "Checkout is disabled until the domain prefix above names your customer's existing tenant.")

    reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "fabrikam"})
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#domain-status").get_text(strip=True) == ""


def test_without_javascript_the_authorization_steps_say_to_reload_instead_of_waiting(customer_client):
    """Only with JavaScript does the page notice the acceptance by itself; without it the steps say how."""
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "wingtiptoys"})
    steps = soup(customer_client.get("/checkout/service")).select_one("ol.instructions")
    assert steps.select_one(".js-only").get_text(" ", strip=True) == (
        "This page notices the acceptance by itself and enables Checkout. You can also press “Verify Authorization”.")
    assert steps.select_one("noscript").get_text(" ", strip=True) == (
        "Then reload this page, or press “Verify Authorization”: Checkout is enabled once Microsoft confirms the "
        "acceptance.")


def test_a_new_tenants_service_step_reads_nothing_of_the_authorization_section(reseller_client, db):
    """The authorization section (the operator's name, the GDAP request, the reseller's GDAP consent) is shown
    only for an existing tenant, so a new tenant's page does not ask the database for it; an existing
    tenant's does, and names the partner to authorize."""
    _choose_fabrikam(reseller_client, db)
    reseller_client.get("/checkout/service")
    with statements() as seen:
        page = reseller_client.get("/checkout/service")
    assert page.status_code == 200 and soup(page).select_one("#authorization-instructions") is None
    assert about(seen, "gdap_requests") == [] and about(seen, "reseller_tenant_consents") == []
    assert [s for s in seen if re.search(r"\baccounts\.kind = ", s)] == []  # the operator's account

    reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "fabrikam"})
    with statements() as seen:
        page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#auth-heading").get_text(" ", strip=True) == (
        "Your customer must authorize Adatum IT Services as its partner")
    assert page.select_one("#gdap-request") is not None and about(seen, "gdap_requests")


def test_a_step_with_a_cart_to_buy_asks_about_the_cart_only_in_the_headers_statement(reseller_client, db):
    """Every step checks there is something to buy; the header's cart count, read with the signed-in user,
    answers that for a cart with lines, so the step asks the cart nothing of its own."""
    _choose_fabrikam(reseller_client, db)
    reseller_client.get("/checkout/service")
    with statements() as seen:
        assert reseller_client.get("/checkout/service").status_code == 200
    assert len(about(seen, "cart_lines")) == 1 and re.search(r"\bFROM users\b", about(seen, "cart_lines")[0])


def test_a_direct_customers_existing_tenant_names_the_operator_to_authorize(customer_client):
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "wingtiptoys"})
    heading = soup(customer_client.get("/checkout/service")).select_one("#auth-heading")
    assert heading.get_text(" ", strip=True) == "Authorize Northwind Cloud Distribution as your partner"


def test_discarding_on_the_first_step_says_so(customer_client):
    """Nothing is saved before the first step is sent; Discard this purchase still says what it did."""
    page = soup(customer_client.get("/checkout/customer"))
    form = page.select_one("form.cancel-checkout")
    response = customer_client.post(form["action"], {})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "The purchase was discarded. Your cart is kept." in text_of(customer_client.get("/"))


def test_a_direct_customers_discard_question_reads_as_a_sentence(customer_client, db):
    """A direct customer chooses no customer: what Discard drops starts with the tenant, and says so with a capital
    letter, on the page without JavaScript as in the dialog."""
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "tailspindiscard"}).status_code == 303
    said = ("The tenant tailspindiscard.onmicrosoft.com and what you entered in the checkout are dropped. "
            "Your cart is kept.")
    assert soup(customer_client.post("/checkout/cancel", {})).select_one("#discard-consequences").get_text() == said
    dialog = soup(customer_client.get("/checkout/company")).select_one("form.cancel-checkout")["hx-confirm"]
    assert dialog == f"Discard this purchase? {said}"


def test_discarding_a_checkout_under_way_asks_first(reseller_client, db):
    """One press dropped the customer, the tenant and the prefix held for it: it is asked first (a dialog with
    JavaScript, a page without), and the checkout is untouched until the answer."""
    _choose_fabrikam(reseller_client, db)
    assert reseller_client.post("/checkout/service", {"partner_id": "1234567",
                                                      "domain_prefix": "fabrikamdiscard"}).status_code == 303
    asks_first(reseller_client, page="/checkout/company", form="form.cancel-checkout", action="/checkout/cancel",
               heading="Discard this purchase?", confirm="confirm-discard", button="Discard this purchase",
               dialog_start="Discard this purchase?", way_back="Back to the checkout")
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft.status == "open" and draft.domain_prefix == "fabrikamdiscard"
    said = ("Fabrikam, Inc., the tenant fabrikamdiscard.onmicrosoft.com and what you entered in the checkout are "
            "dropped. Your cart is kept.")
    question = soup(reseller_client.post("/checkout/cancel", {}))
    assert question.select_one("#discard-consequences").get_text() == said
    dialog = soup(reseller_client.get("/checkout/company")).select_one("form.cancel-checkout")["hx-confirm"]
    assert dialog == f"Discard this purchase? {said}"
    assert question.select_one("#confirm-discard + a")["href"] == "/checkout/"
    done = reseller_client.post("/checkout/cancel", {"confirmed": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(CheckoutDraft, draft.id).status == "abandoned"


def test_a_domain_of_another_tenant_at_microsoft_is_explained(reseller_client, db):
    _choose_fabrikam(reseller_client, db)
    response = reseller_client.post("/checkout/service/domain", {"domain_prefix": "fabrikam"}, htmx=True)
    text = soup(response).select_one("#domain-status").get_text(" ", strip=True)
    assert text.startswith("fabrikam.onmicrosoft.com is already registered with Microsoft by another tenant.")
    assert "tick “My customer is already using Office 365 service and he/she owns this domain”" in text
    assert "choose another domain prefix and retry" in text


def test_a_direct_customers_own_tenant_typed_as_a_new_one_is_called_its_own(customer_client, db):
    """Tailspin's own tenant (its earlier purchases' tenant) typed as a new tenant's prefix: it is registered with
    Microsoft, but by Tailspin itself, not "by another tenant"."""
    from app.accounts.models import Account, Tenant

    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    db.session.add(Tenant(domain="wingtiptoys.onmicrosoft.com", account_id=tailspin.id))
    db.session.commit()
    customer_client.post("/checkout/customer", {})
    response = customer_client.post("/checkout/service/domain", {"domain_prefix": "wingtiptoys"}, htmx=True)
    text = soup(response).select_one("#domain-status").get_text(" ", strip=True)
    assert text == ("wingtiptoys.onmicrosoft.com is already your tenant. To buy for it, tick “I am already using "
                    "Office 365 service and I own this domain”; otherwise choose another domain prefix and retry.")


def _service(c, **fields):
    data = {"partner_id": "1234567", "domain_prefix": "", **fields}
    return c.post("/checkout/service", data)


def test_reseller_new_tenant_free_prefix_is_reserved_and_the_wizard_goes_on(reseller_client, db):
    _choose_fabrikam(reseller_client, db)
    response = _service(reseller_client, domain_prefix="AdatumFabrikamNew")
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/company"
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft.domain == "adatumfabrikamnew.onmicrosoft.com" and draft.partner_ready
    assert db.session.scalar(db.select(DomainReservation.domain)) == "adatumfabrikamnew.onmicrosoft.com"
    company = reseller_client.get("/checkout/company")
    assert company.status_code == 200 and "adatumfabrikamnew.onmicrosoft.com (new tenant)" in text_of(company)


def test_a_prefix_reserved_by_another_checkout_is_in_use(reseller_client, customer_client, db):
    _choose_fabrikam(reseller_client, db)
    assert _service(reseller_client, domain_prefix="racedomain").status_code == 303
    customer_client.post("/checkout/customer", {})
    refused = customer_client.post("/checkout/service", {"domain_prefix": "racedomain"})
    assert refused.status_code == 422
    assert soup(refused).select_one("#domain_prefix-error").get_text() == (
        "This domain is already in use: another checkout in this storefront has reserved racedomain.onmicrosoft.com.")
    assert soup(refused).select_one("#domain_prefix")["value"] == "racedomain"
    live = customer_client.post("/checkout/service/domain", {"domain_prefix": "racedomain"}, htmx=True)
    assert "This domain is already in use" in text_of(live)


def test_a_tenant_of_another_account_is_in_use(customer_client, db):
    from app.accounts.models import Account, Tenant

    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    db.session.add(Tenant(domain="alreadyours.onmicrosoft.com", account_id=adatum.id))
    db.session.commit()
    customer_client.post("/checkout/customer", {})
    refused = customer_client.post("/checkout/service", {"domain_prefix": "alreadyours"})
    assert refused.status_code == 422
    assert soup(refused).select_one("#domain_prefix-error").get_text() == (
        "This domain is already in use: alreadyours.onmicrosoft.com belongs to another customer of this storefront.")


# Two threads race on the database: each sees only what the other committed.
@pytest.mark.commits
def test_two_checkouts_racing_for_one_prefix_end_with_one_holder(app, db, demo):
    """Both checks pass at the same moment; the reservation decides."""
    from app.accounts.models import User
    from app.checkout import services as svc

    users = [db.session.scalar(db.select(User).where(User.email == e))
             for e in ("reseller@example.com", "customer@example.com")]
    draft_ids = [svc.open_draft(u).id for u in users]
    db.session.commit()  # open_draft flushes; the caller commits
    barrier = threading.Barrier(2)
    results = {}

    def race(draft_id):
        with app.app_context():
            draft = db.session.get(CheckoutDraft, draft_id)
            barrier.wait()
            results[draft_id] = svc.reserve_domain(draft, "samename.onmicrosoft.com")
            db.session.commit()

    threads = [threading.Thread(target=race, args=(i,)) for i in draft_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results.values()) == [False, True]
    assert db.session.scalar(db.select(db.func.count(DomainReservation.id))) == 1


def _adatum_without_partner_id(db):
    """A reseller whose account holds no partner ID yet: the one it proves in checkout becomes its own."""
    from app.accounts.models import Account

    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    adatum.partner_id = None
    db.session.commit()
    return adatum


def test_partner_id_checked_on_blur(reseller_client, db):
    adatum = _adatum_without_partner_id(db)
    _choose_fabrikam(reseller_client, db)
    bad = reseller_client.post("/checkout/service/partner-id", {"partner_id": "3456789"}, htmx=True)
    page = soup(bad)
    assert page.select_one("[role=alertdialog] #mpn-warning-text").get_text() == MPN_TEXT
    assert page.select_one("#readiness").get_text() == "INQUIRING"
    assert "Your partner ID must be READY" in page.select_one("#live-region[hx-swap-oob] #checkout-reason").get_text()
    good = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert soup(good).select_one("#readiness").get_text() == "READY"
    assert soup(good).select_one("[role=alertdialog]") is None
    assert soup(good).select_one("#checkout-reason") is None
    db.session.expire_all()
    assert db.session.get(type(adatum), adatum.id).partner_id == "1234567"


def test_a_partner_id_mistyped_then_left_reads_the_same_after_a_reload(reseller_client, db):
    """A field showing the saved READY 1234567 beside an INQUIRING badge (the mistyped 12ab's) told the reseller
    their good ID was refused: the page shown again holds what was last typed, with that value's badge."""
    _choose_fabrikam(reseller_client, db)
    good = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert soup(good).select_one("#readiness").get_text() == "READY"
    bad = reseller_client.post("/checkout/service/partner-id", {"partner_id": "12ab"}, htmx=True)
    assert soup(bad).select_one("#readiness").get_text() == "INQUIRING"
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#partner_id")["value"] == "12ab"
    assert page.select_one("#readiness").get_text() == "INQUIRING"
    assert page.select_one("#partner-check-hint").get_text().startswith("Correct your MPN ID")
    # Typed again as it was, it is READY again.
    again = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert soup(again).select_one("#readiness").get_text() == "READY"
    assert soup(reseller_client.get("/checkout/service")).select_one("#partner_id")["value"] == "1234567"


def test_another_resellers_partner_id_is_refused(reseller_client, db):
    """Adatum's orders carry Adatum's partner ID; Litware's (2345678, in the same network) is refused."""
    _choose_fabrikam(reseller_client, db)
    response = reseller_client.post("/checkout/service/partner-id", {"partner_id": "2345678"}, htmx=True)
    assert response.status_code == 422
    assert soup(response).select_one("#partner_id-error").get_text() == (
        "2345678 is not the partner ID of Adatum IT Services. Orders of Adatum IT Services carry its own "
        "partner ID, 1234567.")
    assert soup(response).select_one("#readiness").get_text() == "INQUIRING"
    refused = _service(reseller_client, partner_id="2345678", domain_prefix="somefreeprefix")
    assert refused.status_code == 422 and db.session.scalar(db.select(CheckoutDraft)).completed_steps == ["customer"]
    assert soup(refused).select_one("#partner_id")["value"] == "2345678"


@pytest.mark.parametrize("typed, message", [
    ("", "Enter your partner ID (MPN ID)."),
    ("12ab567", "A partner ID is a number of up to 10 digits, like 1234567."),
])
def test_bad_partner_id_is_explained_next_to_the_field(reseller_client, db, typed, message):
    _choose_fabrikam(reseller_client, db)
    response = reseller_client.post("/checkout/service/partner-id", {"partner_id": typed}, htmx=True)
    assert response.status_code == 422
    assert soup(response).select_one("#partner_id-error").get_text() == message
    # The answer never replaces the input the buyer typed in: it stays as typed.
    assert soup(response).select_one("#partner_id") is None


def test_unknown_partner_id_and_other_regions_get_the_warning(reseller_client, db):
    _adatum_without_partner_id(db)
    _choose_fabrikam(reseller_client, db)
    for partner_id in ("9999999", "4567890"):
        response = reseller_client.post("/checkout/service/partner-id", {"partner_id": partner_id}, htmx=True)
        assert soup(response).select_one("#mpn-warning-text").get_text() == MPN_TEXT


def _as_seen(element, javascript: bool) -> str:
    """An element's text as a buyer reads it: without JavaScript the .js-only parts are hidden (base.html),
    with it the <noscript> ones."""
    element = copy.copy(element)
    for hidden in element.select("noscript" if javascript else ".js-only"):
        hidden.decompose()
    return element.get_text(" ", strip=True)


def test_the_partner_id_hint_is_true_before_and_after_a_refused_checkout(reseller_client, db):
    """Before any check the hint says how the MPN ID is verified; after Checkout refused it (the message
    above says why) it says to correct it; leaving the field checks it only with JavaScript."""
    _adatum_without_partner_id(db)
    _choose_fabrikam(reseller_client, db)
    page = soup(reseller_client.get("/checkout/service"))
    assert _as_seen(page.select_one("#partner-check-hint"), javascript=False) == \
        "Your MPN ID is verified with Partner Center when you press Checkout."
    assert _as_seen(page.select_one("#partner-check-hint"), javascript=True) == \
        "Your MPN ID is verified with Partner Center when you leave the field or press Checkout."
    for typed in ("9999999", "12ab567"):  # not in the network; not a partner ID at all
        refused = soup(_service(reseller_client, partner_id=typed, domain_prefix="somefreeprefix"))
        assert refused.select_one("#partner_id")["value"] == typed
        assert _as_seen(refused.select_one("#partner-check-hint"), javascript=False) == \
            "Correct your MPN ID: it is verified with Partner Center again when you press Checkout."
        blurred = soup(reseller_client.post("/checkout/service/partner-id", {"partner_id": typed}, htmx=True))
        assert _as_seen(blurred.select_one("#partner-check-hint"), javascript=True) == \
            "Correct your MPN ID: it is verified with Partner Center again when you leave the field or press Checkout."
    # Nothing typed: nothing was verified, Checkout is still what verifies it.
    empty = soup(_service(reseller_client, partner_id="", domain_prefix="somefreeprefix"))
    assert empty.select_one("#partner_id-error").get_text() == "Enter your partner ID (MPN ID)."
    assert _as_seen(empty.select_one("#partner-check-hint"), javascript=False) == \
        "Your MPN ID is verified with Partner Center when you press Checkout."


def test_service_step_refuses_to_go_on_until_ready(reseller_client, db):
    _adatum_without_partner_id(db)
    _choose_fabrikam(reseller_client, db)
    response = _service(reseller_client, partner_id="3456789", domain_prefix="somefreeprefix")
    assert response.status_code == 422
    assert soup(response).select_one("#mpn-warning-text").get_text() == MPN_TEXT
    assert db.session.scalar(db.select(CheckoutDraft)).completed_steps == ["customer"]


def test_missing_reseller_tenant_id_shows_inquiring_with_a_short_form(reseller_client, db):
    from app.accounts.models import Account

    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    adatum.partner_tenant_id = None
    db.session.commit()
    _choose_fabrikam(reseller_client, db)
    response = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    page = soup(response)
    assert page.select_one("#readiness").get_text() == "INQUIRING"
    assert page.select_one("label[for=reseller_tenant_id]").get_text() == "Your Partner Center tenant ID"
    supplied = reseller_client.post("/checkout/service/partner-id", {
        "partner_id": "1234567", "reseller_tenant_id": "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"}, htmx=True)
    assert soup(supplied).select_one("#readiness").get_text() == "READY"


def test_partner_center_down_is_said_plainly_and_nothing_is_lost(reseller_client, db, sandbox_store):
    _choose_fabrikam(reseller_client, db)
    sandbox_store.inject_fault("HEAD", "/v1/domains", "500", count=10)
    response = _service(reseller_client, domain_prefix="wantedprefix")
    assert response.status_code == 422
    assert "Partner Center is not answering right now" in soup(response).select_one("#domain_prefix-error").get_text()
    assert soup(response).select_one("#domain_prefix")["value"] == "wantedprefix"
    sandbox_store.clear_faults()
    assert _service(reseller_client, domain_prefix="wantedprefix").status_code == 303


def test_pages_need_a_buyer(operator_client, client):
    assert operator_client.get("/checkout/customer").status_code == 403
    assert client.get("/checkout/customer").headers["Location"].startswith("/sign-in")


def test_what_was_typed_is_there_after_signing_in_again(demo, db):
    from tests.helpers import Client, sign_in

    first = Client(demo.test_client())
    sign_in(first, "reseller@example.com")
    put_in_cart(db, "reseller@example.com")
    _choose_fabrikam(first, db)
    first.post("/checkout/service/domain", {"domain_prefix": "typedbutnotsent"}, htmx=True)
    first.post("/sign-out")
    later = Client(demo.test_client())
    sign_in(later, "reseller@example.com")
    assert later.get("/checkout/").headers["Location"] == "/checkout/service"
    assert soup(later.get("/checkout/service")).select_one("#domain_prefix")["value"] == "typedbutnotsent"


def test_the_address_of_a_checkout_action_leads_back_to_its_step_not_to_a_405(reseller_client, db):
    """Discard shows its question at /checkout/cancel, an address that takes POST only (as the service step's
    checks and the Review's instance names do): a reload of it, or a copy opened, answered 405 Method Not
    Allowed. Opened, each now leads back to the step its form is on, and discards nothing."""
    _choose_fabrikam(reseller_client, db)
    asked = reseller_client.post("/checkout/cancel", {})
    assert asked.status_code == 200 and soup(asked).select_one("h1").get_text() == "Discard this purchase?"
    for url, step in (("/checkout/cancel", "/checkout/"), ("/checkout/service/domain", "/checkout/service"),
                      ("/checkout/service/partner-id", "/checkout/service"),
                      ("/checkout/service/tenant-mode", "/checkout/service"),
                      ("/checkout/service/link", "/checkout/service"), ("/checkout/service/gdap", "/checkout/service"),
                      ("/checkout/review/instance-names", "/checkout/review")):
        opened = reseller_client.get(url)
        assert (opened.status_code, opened.headers.get("Location")) == (303, step), url
    assert db.session.scalar(db.select(CheckoutDraft.status)) == "open"


def test_opening_the_checkout_writes_nothing(reseller_client, db):
    """GET never writes: the checkout is saved when its first form is sent."""
    for url in ("/checkout/", "/checkout/customer", "/checkout/service", "/checkout/events"):
        assert reseller_client.get(url).status_code in (200, 204, 302)
    assert db.session.scalar(db.select(db.func.count(CheckoutDraft.id))) == 0
    page = soup(reseller_client.get("/checkout/customer"))
    assert page.select_one("#licensee") is not None
    _choose_fabrikam(reseller_client, db)
    assert db.session.scalar(db.select(db.func.count(CheckoutDraft.id))) == 1


def test_a_customer_name_ending_in_a_full_stop_gets_no_second_one(db, reseller_client):
    """'Fabrikam, Inc.' ends its own sentence: the service step says so once."""
    from app.accounts.models import Licensee

    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    assert reseller_client.post("/checkout/customer", {"licensee": str(fabrikam.id)}).status_code in (302, 303)
    lead = " ".join(soup(reseller_client.get("/checkout/service")).select_one("p.lead").get_text().split())
    assert lead == "Buying for Fabrikam, Inc."


def test_a_reseller_name_ending_in_a_full_stop_gets_no_second_one_in_the_partner_id_refusal(reseller2_client, db):
    """Litware Systems Sp. z o.o. ends its own sentence: Adatum's partner ID refused on its order says so once."""
    from app.accounts.models import Licensee as L

    coho = db.session.scalar(db.select(L).where(L.company_name == "Coho Winery"))
    assert reseller2_client.post("/checkout/customer", {"licensee": str(coho.id)}).status_code == 303
    response = reseller2_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert soup(response).select_one("#partner_id-error").get_text() == (
        "1234567 is not the partner ID of Litware Systems Sp. z o.o. Orders of Litware Systems Sp. z o.o. carry "
        "its own partner ID, 2345678.")
