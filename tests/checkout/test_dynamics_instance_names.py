"""Dynamics 365 instances at checkout: with the storefront option "Create a new Dynamics subscription for
every order" on, the Review step asks for an "Instance name" for each Dynamics 365 line, and each purchase
creates a new subscription with that name at Microsoft; off, nothing changes."""
from __future__ import annotations

import pytest

from app.admin.settings import StorefrontSettings
from app.catalog.models import CartLine, Product, Sku
from app.checkout.models import CheckoutDraft
from app.orders.models import Order
from app.subscriptions.models import Subscription
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant
from tests.helpers import soup
from tests.support.options import options_form
from tests.support.orders import run_job

SALES = "CFQ7TTC0LGWW"  # Dynamics 365 Sales Enterprise (1-year term)


@pytest.fixture
def app_config():
    # Microsoft fulfils at once, so one run of the queued provisioning job completes the order.
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


def _instances(db, on=True):
    settings = StorefrontSettings.load()
    settings.dynamics_instance_per_order = on
    settings.save()
    db.session.commit()


def _ready_to_review(client, db, app, pc_client) -> CheckoutDraft:
    """Adatum buys for Fabrikam in its existing tenant; every step before Review is done, the Microsoft
    Customer Agreement confirmed on its page (provisioning records it at Microsoft)."""
    draft = _adatum_for_fabrikam_existing_tenant(client, db, app, pc_client)
    confirmed = client.post("/checkout/agreement", {"accepted": "y", "first_name": "Frank", "last_name": "Miller",
                                                    "email": "it@fabrikam.example.com", "phone": "+1 312 555 0175"})
    assert confirmed.status_code == 303
    return draft


def _buy_now_sales(client, db, quantity="5"):
    """Buy now: the Review step then holds Dynamics 365 Sales Enterprise alone."""
    sku = db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == SALES, Sku.sku_id == "0001"))
    response = client.post(f"/catalog/products/{SALES}/cart", {"sku": sku, "term": "P1Y", "billing_plan": "monthly",
                                                               "quantity": quantity, "action": "buy_now"})
    assert response.status_code == 303


def _line_ids(db) -> dict[str, int]:
    """product id -> cart line id, of every open cart line."""
    db.session.expire_all()
    return {line.sku.product.product_id: line.id for line in db.session.scalars(db.select(CartLine))}


def _open_draft(db) -> CheckoutDraft:
    db.session.expire_all()
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))


def _provision(run_worker, order) -> None:
    """The queued provisioning job runs as the worker would; it comes back (as the worker's scheduler
    would run it) until Microsoft has fulfilled the order."""
    run_worker()
    status = run_job(order.id)
    assert status == "completed", (order.reason, [(s.name, s.status, s.error) for s in order.steps])


def _orders(db) -> int:
    return db.session.scalar(db.select(db.func.count(Order.id)))


def test_the_option_is_in_storefront_options_off_by_default(operator_client, db):
    page = soup(operator_client.get("/admin/options"))
    box = page.select_one("#dynamics_instance_per_order")
    assert page.select_one("label[for=dynamics_instance_per_order]").get_text() == \
        "Create a new Dynamics subscription for every order"
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert StorefrontSettings.load().dynamics_instance_per_order is False

    form = options_form(page)
    form.update({"require_mca_acceptance": "y", "annual_billing": "y", "automatic_catalog_update": "y",
                 "gdap_roles": [o["value"] for o in page.select("input[name=gdap_roles][checked]")],
                 "dynamics_instance_per_order": "y"})
    assert operator_client.post("/admin/options", form).status_code == 302
    assert StorefrontSettings.load().dynamics_instance_per_order is True
    assert soup(operator_client.get("/admin/options")).select_one("#dynamics_instance_per_order").has_attr("checked")


def test_off_the_review_asks_no_instance_name_and_the_purchase_is_as_before(reseller_client, db, app, pc_client,
                                                                            run_worker, sandbox_store):
    draft = _ready_to_review(reseller_client, db, app, pc_client)
    _buy_now_sales(reseller_client, db)
    page = soup(reseller_client.get("/checkout/review"))
    assert page.select_one("#instance-names") is None and page.select("input[name^=instance_]") == []

    placed = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)})
    assert placed.status_code == 303
    order = db.session.scalar(db.select(Order))
    assert [line.instance_name for line in order.lines] == [None]
    _provision(run_worker, order)
    db.session.expire_all()
    [sub] = db.session.scalars(db.select(Subscription).where(Subscription.order_id == order.id)).all()
    assert sub.friendly_name == "Dynamics 365 Sales Enterprise"  # Microsoft's name for the SKU, as before
    assert soup(reseller_client.get(f"/orders/{order.number}")).select(".instance-name") == []


def test_on_the_review_requires_an_instance_name_for_each_dynamics_line(reseller_client, db, app, pc_client):
    _instances(db)
    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)  # the cart: Business Premium
    page = soup(reseller_client.get("/checkout/review"))
    assert page.select_one("#instance-names") is None  # no Dynamics 365 in the cart

    _buy_now_sales(reseller_client, db)
    field_name = f"instance_{_line_ids(db)[SALES]}"
    page = soup(reseller_client.get("/checkout/review"))
    assert page.select_one("#instance-names legend").get_text() == "Dynamics 365 instances"
    assert [i["name"] for i in page.select("#instance-names input")] == [field_name]
    assert page.select_one(f"label[for={field_name}]").get_text() == "Instance name"
    assert "Dynamics 365 Sales Enterprise, 5 licences" in page.select_one(f"#{field_name}-hint").get_text()

    refused = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id), field_name: "  "},
                                   htmx=True)
    assert refused.status_code == 422
    assert soup(refused).select_one(f"#{field_name}-error").get_text() == \
        "Enter an instance name for Dynamics 365 Sales Enterprise."
    assert _orders(db) == 0

    too_long = "Production " + "x" * 130
    refused = reseller_client.post("/checkout/review", {"terms": "", "draft_id": str(draft.id), field_name: too_long})
    assert refused.status_code == 422
    page = soup(refused)
    assert page.select_one(f"#{field_name}-error").get_text() == "The instance name can be at most 128 characters long."
    assert page.select_one(f"#{field_name}")["value"] == too_long  # what was typed is kept
    assert page.select_one("#terms-error").get_text() == "Accept the terms and conditions to buy."
    assert _orders(db) == 0 and _open_draft(db).id == draft.id


def test_on_two_purchases_for_one_customer_make_two_named_subscriptions(reseller_client, db, app, pc_client,
                                                                        run_worker, sandbox_store):
    _instances(db)
    numbers = []
    for name in ("Production", "Test"):
        draft = _ready_to_review(reseller_client, db, app, pc_client)
        _buy_now_sales(reseller_client, db, quantity="5" if name == "Production" else "3")
        field_name = f"instance_{_line_ids(db)[SALES]}"
        review = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id),
                                                           field_name: f" {name} "})
        if review.status_code == 422:  # the second purchase: the customer's Dynamics 365 agreement is offered
            page = soup(review)
            assert page.select_one(f"#{field_name}")["value"] == name  # kept
            agreement_id = page.select_one("input[name=add_to_agreement]")["value"]
            review = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id),
                                                               field_name: name, "add_to_agreement": agreement_id})
        assert review.status_code == 303, soup(review).get_text()
        numbers.append(review.headers["Location"].rsplit("/", 1)[1])
        order = db.session.scalar(db.select(Order).where(Order.number == numbers[-1]))
        assert [line.instance_name for line in order.lines] == [name]
        _provision(run_worker, order)

    db.session.expire_all()
    subs = db.session.scalars(db.select(Subscription).where(Subscription.product_title.like("Dynamics 365%"))
                              .order_by(Subscription.id)).all()
    assert [(s.friendly_name, s.quantity) for s in subs] == [("Production", 5), ("Test", 3)]
    assert len({s.ms_subscription_id for s in subs}) == 2 and subs[0].agreement_id == subs[1].agreement_id
    # Partner Center holds two subscriptions, each created with its instance name.
    remote = [sandbox_store.document("subscription", s.ms_subscription_id) for s in subs]
    assert [(r["friendlyName"], r["quantity"]) for r in remote] == [("Production", 5), ("Test", 3)]

    order_page = soup(reseller_client.get(f"/orders/{numbers[0]}"))
    assert order_page.select_one(".instance-name").get_text() == "Instance name: Production"
    sub_page = soup(reseller_client.get(f"/subscriptions/{subs[1].id}"))
    assert sub_page.select_one("#fact-instance").get_text() == "Test"


def test_off_a_second_purchase_adds_licences_to_the_existing_subscription(reseller_client, db, app, pc_client,
                                                                         run_worker, sandbox_store):
    """The option's other way: the customer keeps one Dynamics 365 subscription, and buying the same SKU
    again (same tenant, term and billing plan) adds licences to it with a change order, not a new
    subscription."""
    draft = _ready_to_review(reseller_client, db, app, pc_client)
    _buy_now_sales(reseller_client, db, quantity="5")
    first = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)})
    assert first.status_code == 303
    order = db.session.scalar(db.select(Order))
    _provision(run_worker, order)
    db.session.expire_all()
    [sub] = db.session.scalars(db.select(Subscription)).all()
    assert sub.quantity == 5

    draft = _ready_to_review(reseller_client, db, app, pc_client)
    _buy_now_sales(reseller_client, db, quantity="3")
    line_id = _line_ids(db)[SALES]
    page = soup(reseller_client.get("/checkout/review"))
    assert page.select_one(f"#adds-to-{line_id}").get_text() == (
        "Added to Fabrikam, Inc.'s subscription “Dynamics 365 Sales Enterprise” (5 licences now, 8 after): "
        "no new subscription.")
    placed = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)})
    assert placed.status_code == 303, soup(placed).get_text()
    number = placed.headers["Location"].rsplit("/", 1)[1]
    change = db.session.scalar(db.select(Order).where(Order.number == number))
    assert change.type == "change" and change.lines[0].subscription_id == sub.id
    assert _orders(db) == 2  # the first purchase and this change: no second purchase
    done = soup(reseller_client.get(placed.headers["Location"], follow_redirects=False))
    assert f"3 licences are being added to Dynamics 365 Sales Enterprise (order {number})." in done.get_text()
    # A second press of Buy (the form sent again) places nothing more.
    again = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)})
    assert again.status_code == 303 and _orders(db) == 2

    run_worker()
    db.session.expire_all()
    assert db.session.get(Order, change.id).status == "completed"
    [sub] = db.session.scalars(db.select(Subscription)).all()
    assert sub.quantity == 8
    assert sandbox_store.document("subscription", sub.ms_subscription_id)["quantity"] == 8


def test_typed_instance_names_stay_when_the_buyer_leaves_the_review_and_comes_back(
        reseller_client, reseller2_client, db, app, pc_client):
    _instances(db)
    draft = _ready_to_review(reseller_client, db, app, pc_client)
    _buy_now_sales(reseller_client, db)
    field_name = f"instance_{_line_ids(db)[SALES]}"
    field = soup(reseller_client.get("/checkout/review")).select_one(f"#{field_name}")
    assert field["hx-post"] == "/checkout/review/instance-names" and field["hx-trigger"] == "change"

    # With JavaScript: the field left is kept at once; nothing is swapped.
    kept = reseller_client.post(field["hx-post"], {field_name: "  Staging  "}, htmx=True)
    assert kept.status_code == 204
    reseller_client.get("/checkout/company")  # away, and back
    assert soup(reseller_client.get("/checkout/review")).select_one(f"#{field_name}")["value"] == "Staging"

    # Without JavaScript: a refused answer (terms not accepted) keeps what was typed too, also on a reload.
    refused = reseller_client.post("/checkout/review", {"terms": "", "draft_id": str(draft.id), field_name: "Prod"})
    assert refused.status_code == 422
    assert soup(reseller_client.get("/checkout/review")).select_one(f"#{field_name}")["value"] == "Prod"
    assert _orders(db) == 0

    # Another reseller's post names nothing of Adatum's: it has no such line in its own checkout.
    assert reseller2_client.post("/checkout/review/instance-names", {field_name: "Hijack"}, htmx=True).status_code in (204, 404)
    assert soup(reseller_client.get("/checkout/review")).select_one(f"#{field_name}")["value"] == "Prod"

    placed = reseller_client.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id), field_name: "Prod"})
    assert placed.status_code == 303
    assert [line.instance_name for line in db.session.scalar(db.select(Order)).lines] == ["Prod"]
