"""One checkout, two tabs: a step's page shown for one customer, the customer changed in another tab,
then the first page sent. What it sends was typed for the customer it showed, so it is not saved for
the other one (a tenant, an MCA acceptance, an order): the step comes back for the checkout's customer
now, saying why."""
from __future__ import annotations

from app.accounts.models import Licensee
from app.checkout.models import CheckoutDraft, McaAcceptance
from app.orders.models import Order
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant
from tests.helpers import soup, text_of

CHANGED = ("The customer of this checkout was changed to Litware, Inc. in another tab or window, so what the page "
           "you sent (for another customer) held was not saved. Check this step for Litware, Inc., then go on.")


def _licensee(db, name) -> Licensee:
    return db.session.scalar(db.select(Licensee).where(Licensee.company_name == name))


def _form(page, form_id: str) -> dict:
    return {i["name"]: i.get("value", "") for i in page.select(f"#{form_id} input[type=hidden]")}


def _draft(db) -> CheckoutDraft:
    db.session.expire_all()
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))


def test_a_service_page_shown_for_fabrikam_does_not_give_litware_its_tenant(reseller_client, db):
    reseller_client.post("/checkout/customer", {"licensee": str(_licensee(db, "Fabrikam, Inc.").id)})
    first_tab = soup(reseller_client.get("/checkout/service"))
    assert first_tab.select_one(".lead").get_text() == "Buying for Fabrikam, Inc."
    # The second tab goes back to the Customer step and chooses Litware.
    reseller_client.post("/checkout/customer", {"licensee": str(_licensee(db, "Litware, Inc.").id)})

    sent = reseller_client.post("/checkout/service", {**_form(first_tab, "service-form"), "partner_id": "1234567",
                                                      "domain_prefix": "fabrikamsecondtab"})
    assert sent.status_code == 303 and sent.headers["Location"] == "/checkout/service"
    draft = _draft(db)
    assert draft.licensee.company_name == "Litware, Inc." and draft.domain_prefix is None
    assert draft.completed_steps == ["customer"]
    again = reseller_client.get("/checkout/service")
    assert soup(again).select_one(".lead").get_text() == "Buying for Litware, Inc."
    assert CHANGED in text_of(again)
    # The page shown now is Litware's, and its Checkout goes on.
    sent = reseller_client.post("/checkout/service", {**_form(soup(again), "service-form"), "partner_id": "1234567",
                                                      "domain_prefix": "litwaresecondtab"})
    assert sent.status_code == 303 and sent.headers["Location"] == "/checkout/company"


def test_an_mca_confirmed_on_a_page_for_fabrikam_is_not_recorded_for_litware(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    first_tab = soup(reseller_client.get("/checkout/agreement"))
    assert "Fabrikam, Inc." in first_tab.select_one("label[for=accepted]").get_text()
    # The second tab chose Litware and went on to the Agreement step again.
    draft = _draft(db)
    draft.licensee_id = _licensee(db, "Litware, Inc.").id
    db.session.commit()

    sent = reseller_client.post("/checkout/agreement", {
        **_form(first_tab, "agreement-form"), "first_name": "Frank", "last_name": "Miller",
        "email": "it@fabrikam.example.com", "phone": "+1 425 555 0100", "accepted": "y"}, htmx=True)
    assert sent.status_code == 204 and sent.headers["HX-Redirect"] == "/checkout/agreement"
    assert db.session.scalar(db.select(db.func.count(McaAcceptance.id))) == 0
    assert "review" not in _draft(db).completed_steps
    again = reseller_client.get("/checkout/agreement")
    assert CHANGED in text_of(again) and "Litware, Inc." in soup(again).select_one("label[for=accepted]").get_text()


def test_buy_on_a_review_for_fabrikam_places_nothing_for_litware(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    first_tab = soup(reseller_client.get("/checkout/review"))
    draft = _draft(db)
    draft.licensee_id = _licensee(db, "Litware, Inc.").id
    db.session.commit()

    sent = reseller_client.post("/checkout/review", {**_form(first_tab, "review-form"), "terms": "y"})
    assert sent.status_code == 303 and sent.headers["Location"] == "/checkout/review"
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert _draft(db).status == "open"
    again = reseller_client.get("/checkout/review")
    assert CHANGED in text_of(again)
    # Buy on the Review shown now places the order, for Litware.
    sent = reseller_client.post("/checkout/review", {**_form(soup(again), "review-form"), "terms": "y"})
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/checkout/placed/")
    assert db.session.scalar(db.select(Order)).customer_name == "Litware, Inc."
