"""The service step asks whether to add the purchase to one of the customer's agreements (on its
tenant) or to create a new agreement on another tenant, and offers the customer's known tenant.
`bought` (this folder's conftest): Adatum bought Business Basic for Fabrikam on seatsco.onmicrosoft.com."""
from __future__ import annotations

import pytest

from app.accounts.models import Licensee
from app.checkout.models import CheckoutDraft
from tests.helpers import soup

pytestmark = pytest.mark.usefixtures("something_to_buy")  # they walk the checkout, which buys the cart


def _choose(client, db, company):
    licensee = db.session.scalar(db.select(Licensee).where(Licensee.company_name == company))
    assert client.post("/checkout/customer", {"licensee": str(licensee.id)}).status_code == 303
    return licensee


def _draft(db) -> CheckoutDraft:
    db.session.expire_all()
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))


def test_the_customers_agreements_are_offered_and_its_tenant_filled_in(bought, db, reseller_client):
    _choose(reseller_client, db, "Fabrikam, Inc.")
    page = soup(reseller_client.get("/checkout/service"))
    agreement = bought.agreement
    option = page.select_one(f"#agreement-option-{agreement.number}")
    text = " ".join(option.get_text().split())
    assert "seatsco.onmicrosoft.com" in text and "Microsoft 365 Business Basic" in text
    button = option.select_one("button")
    assert button.get_text() == f"Add to {agreement.number}" and button["name"] == "use_agreement"
    # Opening the page saves nothing: the tenant is filled in when the buyer presses a choice.
    assert _draft(db).domain_prefix is None and _draft(db).tenant_mode == "new"


def test_a_known_tenant_without_an_agreement_is_offered_in_one_press(bought, db, reseller_client):
    from app.subscriptions.models import Agreement, Subscription

    # The agreement ended and went (its subscriptions with it); the tenant stays Fabrikam's.
    agreement = bought.agreement
    db.session.execute(db.delete(Subscription).where(Subscription.agreement_id == agreement.id))
    db.session.delete(db.session.get(Agreement, agreement.id))
    db.session.commit()
    _choose(reseller_client, db, "Fabrikam, Inc.")
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select("[id^=agreement-option-]") == []
    offer = page.select_one("#known-tenant button")
    assert offer.get_text() == "Use seatsco.onmicrosoft.com" and offer["value"] == "known"
    reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    reseller_client.post("/checkout/service", {"use_agreement": "known", "partner_id": "1234567"})
    draft = _draft(db)
    assert draft.tenant_mode == "existing" and draft.domain_prefix == "seatsco"


def test_add_to_an_agreement_puts_the_purchase_on_its_tenant(bought, db, reseller_client):
    _choose(reseller_client, db, "Fabrikam, Inc.")
    reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    response = reseller_client.post("/checkout/service", {"use_agreement": str(bought.agreement.id),
                                                          "partner_id": "1234567", "domain_prefix": ""})
    assert response.status_code in (200, 303)
    draft = _draft(db)
    assert draft.tenant_mode == "existing" and draft.domain_prefix == "seatsco"


def test_a_customer_without_agreements_gets_no_choice_and_another_resellers_agreement_is_refused(
        bought, db, reseller2_client):
    # Litware Systems, the second reseller, for its own licensee: no agreement of Adatum's is offered
    # or usable.
    _choose(reseller2_client, db, "Coho Winery")
    page = soup(reseller2_client.get("/checkout/service"))
    assert page.select_one("#agreement-choice") is None
    refused = reseller2_client.post("/checkout/service", {"use_agreement": str(bought.agreement.id),
                                                          "partner_id": "2345678"})
    assert refused.status_code == 404


def test_a_direct_customer_is_told_it_has_the_agreement_itself(db, customer_client):
    """The sentence spoke of the customer in the third person to the customer itself: "Tailspin Toys already has this
    agreement with you"."""
    from app.accounts.models import User
    from tests.factories import AgreementFactory

    tailspin = db.session.scalar(db.select(User).where(User.email == "customer@example.com")).account
    agreement = AgreementFactory(account=tailspin, licensee_id=None, tenant_domain="tailspintoys.onmicrosoft.com")
    db.session.commit()
    customer_client.post("/checkout/customer", {})
    choice = soup(customer_client.get("/checkout/service")).select_one("#agreement-choice")
    assert choice.select_one(f"#agreement-option-{agreement.number}") is not None
    assert " ".join(choice.select_one(".hint").get_text().split()) == (
        "You already have this agreement. Add this purchase to one (on its tenant), or create a new agreement on "
        "another tenant below.")


def test_the_products_of_every_agreement_offered_are_read_in_one_statement(bought, db, reseller_client):
    """The service step shows each of the customer's agreements with its products: the subscriptions of all of
    them are read together, not one statement an agreement (the step is read on every visit)."""
    from tests.factories import AgreementFactory, SubscriptionFactory
    from tests.support.sql import about, statements

    first = bought.agreement
    for n, title in enumerate(("Microsoft 365 E3", "Dynamics 365 Sales Enterprise")):
        agreement = AgreementFactory(account=first.account, licensee=first.licensee,
                                     tenant_domain=f"fabrikam{n}.onmicrosoft.com")
        SubscriptionFactory(account=first.account, agreement=agreement, product_title=title)
    db.session.commit()
    _choose(reseller_client, db, "Fabrikam, Inc.")
    reseller_client.get("/checkout/service")
    with statements() as seen:
        page = soup(reseller_client.get("/checkout/service"))
    offered = {o["id"]: " ".join(o.get_text().split()) for o in page.select("[id^=agreement-option-]")}
    assert len(offered) == 3
    assert any("fabrikam0.onmicrosoft.com" in t and "Microsoft 365 E3" in t for t in offered.values())
    assert any("fabrikam1.onmicrosoft.com" in t and "Dynamics 365 Sales Enterprise" in t for t in offered.values())
    assert any("seatsco.onmicrosoft.com" in t and "Microsoft 365 Business Basic" in t for t in offered.values())
    assert len(about(seen, "subscriptions")) == 1
