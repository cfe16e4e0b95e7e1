"""The Review step shows the operator's terms and conditions (a text, and a link when set), asks for
the box "I accept the terms and conditions", and its button says Buy; the operator edits the terms
in admin > Storefront options."""
from __future__ import annotations

from app.admin.settings import DEFAULT_TERMS, StorefrontSettings
from app.checkout.models import CheckoutDraft
from app.orders.models import Order
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant
from tests.helpers import soup
from tests.support.options import options_form, textarea_value


def _review(client):
    return soup(client.get("/checkout/review"))


def test_review_shows_the_default_terms_the_box_and_buy(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    page = _review(reseller_client)
    assert page.select_one("#r-terms").get_text() == "Terms and conditions"
    assert page.select_one("#terms-text").get_text() == DEFAULT_TERMS
    assert page.select_one("label[for=terms]").get_text() == "I accept the terms and conditions"
    assert page.select_one("#review-form button[type=submit]").get_text() == "Buy"
    assert page.select_one("section[aria-labelledby=r-terms] a") is None  # no link set


def test_buy_without_accepting_the_terms_is_refused_next_to_the_box(reseller_client, db, app, pc_client):
    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    refused = reseller_client.post("/checkout/review", {"draft_id": str(draft.id)}, htmx=True)
    assert refused.status_code == 422
    assert soup(refused).select_one("#terms-error").get_text() == "Accept the terms and conditions to buy."
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert db.session.get(CheckoutDraft, draft.id).status == "open"


def test_the_operator_sets_the_terms_and_their_link(operator_client, reseller_client, db, app, pc_client):
    page = soup(operator_client.get("/admin/options"))
    assert page.select_one("label[for=terms_text]").get_text() == "Terms and conditions"
    form = options_form(page)
    form.update({"require_mca_acceptance": "y", "annual_billing": "y", "automatic_catalog_update": "y",
                 "gdap_roles": [o["value"] for o in page.select("input[name=gdap_roles][checked]")],
                 "terms_text": "Northwind's terms of sale apply.\nPayment within 30 days.",
                 "terms_url": "http://northwind.example.com/terms"})
    refused = operator_client.post("/admin/options", form)
    assert refused.status_code == 422
    assert soup(refused).select_one("#terms_url-error").get_text() == "Enter an address that starts with https://."
    assert soup(refused).select_one("#terms_url")["value"] == "http://northwind.example.com/terms"
    assert textarea_value(soup(refused).select_one("#terms_text")) == "Northwind's terms of sale apply.\nPayment within 30 days."
    assert StorefrontSettings.load().terms_url == ""  # nothing saved

    form["terms_url"] = "https://northwind.example.com/terms"
    assert operator_client.post("/admin/options", form).status_code == 302

    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    review = _review(reseller_client)
    assert review.select_one("#terms-text").get_text() == "Northwind's terms of sale apply.\nPayment within 30 days."
    link = review.select_one("section[aria-labelledby=r-terms] a")
    assert link.get_text() == "Read the full terms and conditions (opens in a new tab)"
    assert link["href"] == "https://northwind.example.com/terms"


def test_buy_on_a_review_that_showed_another_cart_places_nothing_and_shows_the_cart_now(reseller_client, db, app,
                                                                                       pc_client):
    """The Review showed 5 seats; the cart was changed to 50 in another tab; Buy on the first page places
    no order for 50: the Review comes back with the cart as it is now and says so, and Buy there places it."""
    from app.catalog.models import CartLine

    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    page = _review(reseller_client)
    form = {i["name"]: i.get("value", "") for i in page.select("#review-form input[type=hidden]")} | {"terms": "y"}
    line = db.session.scalar(db.select(CartLine))
    assert reseller_client.post(f"/cart/lines/{line.id}", {"change": "set", f"quantity-{line.id}": "50"}).status_code == 302

    refused = reseller_client.post("/checkout/review", form, htmx=True)
    assert refused.status_code == 422
    again = soup(refused)
    assert again.select_one("#cart-changed").get_text() == (
        "Your cart changed since this page was shown (in another tab or window). Check the products above, "
        "then press Buy again.")
    assert again.select_one("section[aria-labelledby=r-products] tbody td:nth-of-type(2)").get_text() == "50"
    assert again.select_one("#terms").has_attr("checked")
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert db.session.get(CheckoutDraft, draft.id).status == "open"

    form = {i["name"]: i.get("value", "") for i in again.select("#review-form input[type=hidden]")} | {"terms": "y"}
    placed = reseller_client.post("/checkout/review", form, htmx=True)
    assert placed.status_code == 204 and placed.headers["HX-Redirect"].startswith("/checkout/placed/")
    assert db.session.scalar(db.select(Order)).lines[0].quantity == 50


def test_back_to_the_review_after_buy_says_the_order_is_placed_not_complete_this_step(reseller_client, db, app,
                                                                                       pc_client):
    """The browser's back button after Buy asks the Review again: the checkout is finished, so the buyer is
    told their order is placed (a new purchase starts at the Customer step), not to complete a step."""
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    page = _review(reseller_client)
    form = {i["name"]: i.get("value", "") for i in page.select("#review-form input[type=hidden]")} | {"terms": "y"}
    assert reseller_client.post("/checkout/review", form).status_code == 303
    number = db.session.scalar(db.select(Order.number))

    back = reseller_client.get("/checkout/review")
    assert back.status_code == 303 and back.headers["Location"] == "/cart"
    shown = soup(reseller_client.get("/cart"))
    assert [p.get_text(" ", strip=True) for p in shown.select(".flash, .alert")] == [
        f"Your order {number} is placed. A new purchase starts here."]
    assert shown.select_one("#cart").get_text(" ", strip=True) == "Your cart is empty. Find products to add."


def _flashes(page) -> list[str]:
    return [p.get_text(" ", strip=True) for p in page.select(".flash, .alert")]


def test_after_buy_no_step_of_the_wizard_walks_on_with_an_empty_cart(reseller_client, db, app, pc_client):
    """The back button after Buy (the cart emptied by the order) showed the customer, service, company and
    agreement steps as if there were something to buy, and only the Review said the cart was empty. Every
    step now sends the buyer to the cart, which says the order is placed: a page (GET, which writes nothing),
    a form sent without JavaScript (303) and with it (htmx: HX-Redirect)."""
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    page = _review(reseller_client)
    form = {i["name"]: i.get("value", "") for i in page.select("#review-form input[type=hidden]")} | {"terms": "y"}
    assert reseller_client.post("/checkout/review", form).status_code == 303
    number = db.session.scalar(db.select(Order.number))
    drafts = db.session.scalar(db.select(db.func.count(CheckoutDraft.id)))
    placed = f"Your order {number} is placed. A new purchase starts here."

    for step in ("", "customer", "service", "company", "agreement", "review"):
        back = reseller_client.get(f"/checkout/{step}")
        assert (back.status_code, back.headers["Location"]) == (303, "/cart"), step
        assert _flashes(soup(reseller_client.get("/cart"))) == [placed], step
    for step in ("customer", "service", "company", "agreement"):
        sent = reseller_client.post(f"/checkout/{step}", {"licensee": "1", "accepted": "y"})
        assert (sent.status_code, sent.headers["Location"]) == (303, "/cart"), step
        assert _flashes(soup(reseller_client.get("/cart"))) == [placed], step
        swapped = reseller_client.post(f"/checkout/{step}", {"licensee": "1"}, htmx=True)
        assert (swapped.status_code, swapped.headers["HX-Redirect"]) == (204, "/cart"), step
        reseller_client.get("/cart")  # (its message read)
    assert db.session.scalar(db.select(db.func.count(CheckoutDraft.id))) == drafts  # no checkout started


def test_a_checkout_whose_cart_was_emptied_sends_the_buyer_to_the_cart(reseller_client, db, app, pc_client):
    """The last line removed (in another tab, say) while a checkout is open: its steps say the cart is empty
    and lead to it, rather than ask for a tenant and an agreement for nothing."""
    from app.catalog.models import CartLine

    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    line = db.session.scalar(db.select(CartLine))
    assert reseller_client.post(f"/cart/lines/{line.id}/remove", {}).status_code == 302
    reseller_client.get("/cart")
    for step in ("service", "review"):
        sent = reseller_client.get(f"/checkout/{step}")
        assert (sent.status_code, sent.headers["Location"]) == (303, "/cart"), step
        assert _flashes(soup(reseller_client.get("/cart"))) == [
            "Your cart is empty: add products to it before you check out."], step
    assert db.session.get(CheckoutDraft, draft.id).status == "open"  # kept for when products are added
