"""Account checks on Buy (the Review step), before the order is recorded: the customer's account under review
at Microsoft, and the reseller's Microsoft Partner Agreement for the order's region. Each is said in
plain words, no order is recorded, and nothing the buyer entered is lost; Partner Center down says
so too."""
from __future__ import annotations

from app.accounts.models import Licensee
from app.catalog.models import CartLine, Product, Sku
from app.checkout.models import CheckoutDraft
from app.connections.services import in_process_sandbox
from app.orders.models import Order
from tests.helpers import soup
from tests.support.catalog import BUSINESS_PREMIUM
from tests.support.sandbox import accept_relationship

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
FABRIKAM_TENANT = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"


def _add_to_cart(c, db):
    sku = db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == BUSINESS_PREMIUM,
                                                                  Sku.sku_id == "0001"))
    c.post(f"/catalog/products/{BUSINESS_PREMIUM}/cart",
           {"sku": sku, "term": "P1Y", "billing_plan": "monthly", "quantity": "5"})


def _adatum_for_fabrikam_existing_tenant(c, db, app, pc_client) -> CheckoutDraft:
    """Adatum orders for its licensee Fabrikam in Fabrikam's existing tenant, which accepted Adatum's
    relationship request; every step before Review is done; the cart holds 5 Premium (conftest.py)."""
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    assert c.post("/checkout/customer", {"licensee": str(fabrikam.id)}).status_code == 303
    link = pc_client.get_relationship_request(indirect_reseller_id=ADATUM_TENANT).url
    accept_relationship(app, link, "fabrikam.onmicrosoft.com")
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))
    draft.tenant_mode, draft.domain_prefix, draft.default_domain = "existing", "fabrikam", "fabrikam.com"
    draft.authorization_status, draft.tenant_id = "verified", FABRIKAM_TENANT
    draft.partner_id, draft.partner_id_status = "1234567", "verified"
    draft.reseller_tenant_id, draft.reseller_tenant_status = ADATUM_TENANT, "verified"
    draft.completed_steps = ["customer", "service", "company", "agreement"]
    db.session.commit()
    return draft


def _place(c, db):
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))
    return c.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)}, htmx=True)


def _problem(response) -> str:
    box = soup(response).select_one("#account-problem")
    return box.get_text(" ", strip=True) if box else ""


def _orders(db) -> int:
    return db.session.scalar(db.select(db.func.count(Order.id)))


def _kept(db) -> tuple:
    db.session.expire_all()
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))
    return draft is not None and draft.tenant_id, db.session.scalar(db.select(db.func.count(CartLine.id)))


def test_a_customer_account_under_review_is_explained_and_the_order_is_not_recorded(reseller_client, db, app,
                                                                                    pc_client, sandbox_store):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    sandbox_store.set_under_review(FABRIKAM_TENANT, True)
    refused = _place(reseller_client, db)
    assert refused.status_code == 422
    text = _problem(refused)
    assert text.startswith("Microsoft is reviewing Fabrikam, Inc.'s account (tenant fabrikam.com)")
    assert "Your order has not been placed, and nothing you entered is lost." in text
    assert _orders(db) == 0 and _kept(db) == (FABRIKAM_TENANT, 1)
    assert sandbox_store.calls(path=f"/v1/customers/{FABRIKAM_TENANT}/validationStatus")[0]["query"] == "type=account"
    # The review is over: the same press places the order.
    sandbox_store.set_under_review(FABRIKAM_TENANT, False)
    placed = _place(reseller_client, db)
    assert placed.headers["HX-Redirect"].startswith("/checkout/placed/") and _orders(db) == 1


def test_a_reseller_without_the_partner_agreement_for_the_region_is_told_what_to_do(reseller_client, db, app,
                                                                                    pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    controls = in_process_sandbox(app).test_client()
    assert controls.post("/_sandbox/resellers/1234567/agreement", json={"agreement": "not_signed_region"}).status_code == 200
    refused = _place(reseller_client, db)
    assert refused.status_code == 422
    text = _problem(refused)
    assert text.startswith("Adatum IT Services (partner ID 1234567) has not signed the Microsoft Partner Agreement "
                           "for North America (the region of United States, where this order is placed)")
    assert "accept the Microsoft Partner Agreement for North America (Account settings > Legal info)" in text
    assert _orders(db) == 0 and _kept(db) == (FABRIKAM_TENANT, 1)

    controls.post("/_sandbox/resellers/1234567/agreement", json={"agreement": "other_region"})
    assert "is registered with Microsoft in another region than North America" in _problem(_place(reseller_client, db))
    assert _orders(db) == 0


def test_partner_center_down_is_said_and_nothing_is_lost(reseller_client, db, app, pc_client, sandbox_store):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    sandbox_store.clear_calls()
    sandbox_store.inject_fault("GET", f"/v1/customers/{FABRIKAM_TENANT}/validationStatus", "error", count=3)
    refused = _place(reseller_client, db)
    assert refused.status_code == 422
    assert _problem(refused) == ("Partner Center is not answering right now, so this could not be checked. Nothing "
                                 "you entered is lost: try again in a moment.")
    assert _orders(db) == 0 and _kept(db) == (FABRIKAM_TENANT, 1)
    # A person waits on it: one attempt, no retries.
    assert len(sandbox_store.calls(path=f"/v1/customers/{FABRIKAM_TENANT}/validationStatus")) == 1
    # The Buy button stays, for the next try.
    assert soup(refused).find("button", string="Buy").get("disabled") is None


def test_a_new_tenant_for_a_direct_customer_needs_no_account_check(customer_client, db, sandbox_store):
    customer_client.post("/checkout/customer", {})
    assert customer_client.post("/checkout/service", {"domain_prefix": "checkfree"}).status_code == 303
    assert customer_client.post("/checkout/company", {"address_line1": "1 Main Street", "city": "Seattle",
                                                      "state": "WA", "postal_code": "98101"}).status_code == 303
    assert customer_client.post("/checkout/agreement", {
        "accepted": "y", "first_name": "Carl", "last_name": "Customer", "email": "carl@tailspin.example.com",
        "phone": "+1 555 010 0123"}).status_code == 303
    _add_to_cart(customer_client, db)
    sandbox_store.clear_calls()
    assert _place(customer_client, db).headers["HX-Redirect"].startswith("/checkout/placed/") and _orders(db) == 1
    assert sandbox_store.calls(path_prefix="/v1/compliance") == []
    assert [c for c in sandbox_store.calls(path_prefix="/v1/customers") if "validationStatus" in c["path"]] == []


def test_a_refusal_on_a_page_that_offered_an_existing_agreement_keeps_the_offer(reseller_client, db, app,
                                                                                pc_client, sandbox_store):
    """Buy refused (the customer's account under review) on a Review that offered "Add to existing
    agreement": the page comes back with the same notice and button, and the choice still posted."""
    from app.subscriptions.models import Agreement

    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    agreement = Agreement(number="AGR-FABR-IKAM", account_id=draft.account_id, licensee_id=draft.licensee_id,
                          tenant_domain=draft.domain, tenant_id=FABRIKAM_TENANT, family="Microsoft 365")
    db.session.add(agreement)
    db.session.commit()
    first = soup(reseller_client.get("/checkout/review"))
    notice = first.find("strong", string="AGR-FABR-IKAM").find_parent("div")
    assert first.select_one("input[name=add_to_agreement]")["value"] == str(agreement.id)
    sandbox_store.set_under_review(FABRIKAM_TENANT, True)
    refused = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id),
                                                        "add_to_agreement": str(agreement.id)}, htmx=True)
    assert refused.status_code == 422 and _problem(refused).startswith("Microsoft is reviewing Fabrikam, Inc.'s account")
    again = soup(refused)
    shown = again.find("strong", string="AGR-FABR-IKAM").find_parent("div")
    assert shown.get_text(" ", strip=True) == notice.get_text(" ", strip=True)
    buttons = [button.get_text() for button in again.select("#review-form button[type=submit]")]
    assert "Add to existing agreement" in buttons and "Buy" not in buttons
    assert [i["value"] for i in again.select("input[name=add_to_agreement]")] == [str(agreement.id)]
    assert _orders(db) == 0
