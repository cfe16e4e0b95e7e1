"""The gate: a reseller without an active certificate cannot place CSP orders (the catalog, the cart
and the checkout say why and link to Programs; placing is refused on the server); the order records
the certificate chosen on the customer step. Direct customers need none."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account
from app.orders.placing import NotAuthorized
from app.programs.models import Certificate
from app.time import utcnow
from tests.helpers import soup
from tests.support.orders import ADATUM_TENANT, customer_request, place, reseller_request, user

GATE = "You cannot order CSP products: your CSP Partner Program certificate"


def _certificate(db, partner_id="1234567") -> Certificate:
    account = db.session.scalar(db.select(Account).where(Account.partner_id == partner_id))
    return db.session.scalar(db.select(Certificate).where(Certificate.account_id == account.id))


def _expired(db, partner_id="1234567") -> Certificate:
    certificate = _certificate(db, partner_id)
    certificate.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return certificate


def _fill_cart(client, db):
    from app.catalog.models import Sku

    sku = db.session.scalars(db.select(Sku).order_by(Sku.id)).first()
    page = soup(client.get(f"/catalog/products/{sku.product.product_id}"))
    form = page.select_one("form.add-to-cart")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    for select in form.select("select[name]"):
        option = select.select_one("option[selected]") or select.select_one("option")
        data[select["name"]] = option["value"]
    data["quantity"] = "2"
    response = client.post(form["action"], data)
    assert response.status_code in (200, 204, 302, 303), response.status_code


def test_an_expired_certificate_closes_the_catalog_cart_and_checkout_with_a_link(reseller_client, db):
    certificate = _expired(db)
    products = soup(reseller_client.get("/catalog/products"))
    gate = products.select_one(".program-gate")
    assert f"{GATE} {certificate.number} has expired" in gate.get_text()
    assert gate.find("a", string="Go to Programs")["href"] == "/programs"
    _fill_cart(reseller_client, db)
    cart = soup(reseller_client.get("/cart"))
    assert cart.select_one("#cart-summary .program-gate a")["href"] == "/programs"
    assert cart.select_one("#cart-summary button[disabled]").get_text() == "Next"
    assert cart.select_one("#cart-summary a.button") is None and cart.select_one("#cart-summary .cart-next") is None
    customer_step = soup(reseller_client.get("/checkout/customer"))
    error = customer_step.select_one("#certificate-error")
    assert "has expired" in error.get_text() and error.find("a")["href"] == "/programs"
    refused = reseller_client.post("/checkout/customer", {"licensee": str(_licensee_id(db))})
    assert refused.status_code == 422
    assert "has expired" in soup(refused).select_one("#certificate-error").get_text()


def _licensee_id(db):
    from tests.support.orders import licensee

    return licensee(db).id


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_the_customer_step_offers_the_active_certificate_preselected(reseller_client, db):
    certificate = _certificate(db)
    page = soup(reseller_client.get("/checkout/customer"))
    assert page.find(string="Certificates: none required for your account.") is None
    select = page.select_one("select#certificate")
    assert [o["value"] for o in select.select("option")] == [str(certificate.id)]
    assert select.select_one("option[selected]")["value"] == str(certificate.id)
    assert certificate.number in select.get_text()
    response = reseller_client.post("/checkout/customer", {"licensee": str(_licensee_id(db)),
                                                           "certificate": str(certificate.id)})
    assert response.status_code == 303
    from app.checkout.models import CheckoutDraft

    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == user(db, "reseller@example.com").id))
    assert draft.certificate_id == certificate.id


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_another_resellers_certificate_cannot_be_chosen(reseller_client, db):
    litware_certificate = _certificate(db, "2345678")
    response = reseller_client.post("/checkout/customer", {"licensee": str(_licensee_id(db)),
                                                           "certificate": str(litware_certificate.id)})
    assert response.status_code == 422
    assert soup(response).select_one("#certificate-error").get_text() == "Choose one of your active certificates."


def test_placing_records_the_certificate_and_the_parameters_tab_shows_it(demo, reseller_client, db):
    certificate = _certificate(db)
    order = place(db, reseller_request(db, certificate_id=certificate.id))
    assert order.certificate_id == certificate.id
    page = soup(reseller_client.get(f"/orders/{order.number}?tab=parameters"))
    assert certificate.number in page.select_one("#param-certificate").get_text()
    # Without a choice (an older checkout), the active certificate is the one recorded.
    second = place(db, reseller_request(db, draft_id=2, domain="secondnew.onmicrosoft.com"))
    assert second.certificate_id == certificate.id


def test_placing_without_an_active_certificate_is_refused_on_the_server(demo, db):
    from app.orders.models import Order

    certificate = _expired(db)
    before = db.session.scalar(db.select(db.func.count(Order.id)))
    with pytest.raises(NotAuthorized, match="has expired"):
        place(db, reseller_request(db))
    with pytest.raises(NotAuthorized, match="not active any more"):
        place(db, reseller_request(db, draft_id=3, certificate_id=certificate.id))
    litware = _certificate(db, "2345678")
    with pytest.raises(NotAuthorized, match="not active any more"):  # another account's certificate
        place(db, reseller_request(db, draft_id=4, certificate_id=litware.id))
    assert db.session.scalar(db.select(db.func.count(Order.id))) == before


def test_the_review_step_refuses_place_order_without_a_certificate(reseller_client, db):
    from tests.factories import DraftFactory

    _expired(db)
    rita = user(db, "reseller@example.com")
    draft = DraftFactory(user=rita, completed_steps=["customer", "service", "company", "agreement"],
                         licensee_id=_licensee_id(db), domain_prefix="gatedfabrikam", partner_id="1234567",
                         partner_id_status="verified", reseller_tenant_id=ADATUM_TENANT,
                         reseller_tenant_status="verified")
    db.session.commit()
    _fill_cart(reseller_client, db)
    page = soup(reseller_client.get("/checkout/review"))
    assert "has expired" in page.get_text()
    response = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)})
    assert response.status_code == 422
    assert "has expired" in soup(response).get_text()
    from app.orders.models import Order

    assert db.session.scalar(db.select(Order).where(Order.draft_id == draft.id)) is None


def test_a_direct_customer_orders_without_a_certificate(db, customer_client):
    order = place(db, customer_request(db, domain="tailspinnew.onmicrosoft.com", tenant_mode="new"))
    assert order.certificate_id is None
    assert soup(customer_client.get("/catalog/products")).select_one(".program-gate") is None
