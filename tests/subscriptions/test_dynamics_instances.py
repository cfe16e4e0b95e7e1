"""Dynamics 365 instances on the subscription's page: with the storefront option "Create a new Dynamics
subscription for every order" on, a Dynamics 365 subscription shows its instance name and offers "Add
licences to this instance" to those who may change subscriptions; the licences are added by a change
order, provisioned at Partner Center (the sandbox) like any other change."""
from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.admin.settings import StorefrontSettings
from app.audit.models import AuditEvent
from app.orders.models import Order
from app.subscriptions.models import Subscription, SubscriptionStatus
from tests.helpers import soup
from tests.support.orders import line
from tests.support.subscriptions import BASIC, buy, form_data, remote

SALES = dict(product_id="CFQ7TTC0LGWW", title="Dynamics 365 Sales Enterprise", family="Dynamics 365", price="105.00")


def _instances(db, on=True):
    settings = StorefrontSettings.load()
    settings.dynamics_instance_per_order = on
    settings.save()
    db.session.commit()


@pytest.fixture
def production(demo, db):
    """Adatum bought 10 licences of Dynamics 365 Sales Enterprise for Fabrikam as the instance "Production"."""
    sales = line(**SALES, quantity=10)
    sales.instance_name = "Production"
    [sub] = buy(db, lines=[sales])
    return sub


def _page(sub):
    return f"/subscriptions/{sub.id}"


def _add(sub):
    return f"/subscriptions/{sub.id}/add-licences"


def _fresh(db, sub) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, sub.id)


def _orders(db) -> int:
    return db.session.scalar(db.select(db.func.count(Order.id)))


def test_the_purchase_named_the_instance_at_microsoft(production, sandbox_store):
    assert production.friendly_name == "Production"
    assert remote(sandbox_store, production)["friendlyName"] == "Production"


def test_on_the_page_shows_the_instance_and_adds_licences_through_a_change_order(
        db, production, reseller_client, sandbox_store, run_worker):
    _instances(db)
    page = soup(reseller_client.get(_page(production)))
    assert page.select_one("#fact-instance").get_text() == "Production"
    link = page.select_one("#add-licences-link")
    assert link.get_text() == "Add licences to this instance" and link["href"] == _add(production)

    form_page = soup(reseller_client.get(_add(production)))
    assert form_page.select_one("h1").get_text() == "Add licences to this instance"
    assert form_page.select_one("#instance-name").get_text() == "Production"
    assert form_page.select_one("#current-licences").get_text() == "10"
    assert form_page.select_one("label[for=licences]").get_text() == "Number of licences to add"
    data = form_data(form_page, _add(production))

    refused = reseller_client.post(_add(production), {**data, "licences": ""}, htmx=True)
    assert refused.status_code == 422
    assert soup(refused).select_one("#licences-error").get_text() == "Enter the number of licences to add."
    refused = reseller_client.post(_add(production), {**data, "licences": "three"})
    assert refused.status_code == 422
    assert soup(refused).select_one("#licences-error").get_text() == \
        "Enter the number of licences to add as a whole number, like 5."
    assert soup(refused).select_one("#licences")["value"] == "three"  # kept as typed
    assert _orders(db) == 1  # the purchase only

    placed = reseller_client.post(_add(production), {**data, "licences": "3"})
    assert placed.status_code == 303
    number = placed.headers["Location"].rsplit("/", 1)[1]
    order = db.session.scalar(db.select(Order).where(Order.number == number))
    [change] = order.lines
    assert (order.type, change.subscription_id) == ("change", production.id)
    assert (change.change["action"], change.change["from"], change.change["to"]) == ("quantity", 10, 13)
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "order_placed",
                                                         AuditEvent.subject == number)) is not None
    assert "add 3 licences to Production (10 to 13)" in soup(reseller_client.get(placed.headers["Location"])).get_text()

    run_worker()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"
    assert remote(sandbox_store, production)["quantity"] == 13
    assert _fresh(db, production).quantity == 13
    assert soup(reseller_client.get(_page(production))).select_one("#fact-seats").get_text() == "13"

    # A second press of the same form (same request key) gives the same order, not a second one.
    again = reseller_client.post(_add(production), {**data, "licences": "3"})
    assert again.headers["Location"] == placed.headers["Location"]


def test_more_licences_than_the_sku_allows_are_refused_next_to_the_field(db, production, reseller_client):
    _instances(db)
    data = form_data(soup(reseller_client.get(_add(production))), _add(production))
    refused = reseller_client.post(_add(production), {**data, "licences": str(production.max_quantity)})
    assert refused.status_code == 422
    assert soup(refused).select_one("#licences-error").get_text() == (
        f"Dynamics 365 Sales Enterprise allows at most {production.max_quantity} licences and this instance has 10: "
        f"add at most {production.max_quantity - 10}.")
    assert _orders(db) == 1


def test_opening_the_page_writes_nothing_and_calls_no_one(db, production, reseller_client, sandbox_store):
    _instances(db)
    commits = []
    listener = lambda session: commits.append(session)  # noqa: E731
    event.listen(Session, "before_commit", listener)
    sandbox_store.clear_calls()
    try:
        for headers in ({}, {"HX-Request": "true"}):
            assert reseller_client.get(_add(production), headers=headers).status_code == 200
            assert reseller_client.get(_page(production), headers=headers).status_code == 200
    finally:
        event.remove(Session, "before_commit", listener)
    assert commits == [] and sandbox_store.calls() == []


def test_off_there_is_no_button_and_the_page_says_why(db, production, reseller_client):
    page = soup(reseller_client.get(_page(production)))
    assert page.select_one("#add-licences-link") is None
    assert page.select_one("#fact-instance").get_text() == "Production"  # it was bought as an instance
    form_page = soup(reseller_client.get(_add(production)))
    assert form_page.select_one("#not-an-instance") is not None and form_page.select_one("#licences") is None
    refused = reseller_client.post(_add(production), {"licences": "3", "etag": production.etag,
                                                      "request_key": "off-key"})
    assert refused.status_code == 409 and _orders(db) == 1


def test_only_dynamics_subscriptions_are_instances(db, demo, reseller_client):
    _instances(db)
    [basic] = buy(db, lines=[line(**BASIC, quantity=4)])
    page = soup(reseller_client.get(_page(basic)))
    assert page.select_one("#add-licences-link") is None and page.select_one("#fact-instance") is None
    assert soup(reseller_client.get(_add(basic))).select_one("#not-an-instance") is not None


def test_only_an_active_subscription_takes_licences(db, production, reseller_client):
    _instances(db)
    data = form_data(soup(reseller_client.get(_add(production))), _add(production))
    sub = _fresh(db, production)
    sub.status = SubscriptionStatus.SUSPENDED
    db.session.commit()
    assert soup(reseller_client.get(_page(production))).select_one("#add-licences-link") is None
    form_page = soup(reseller_client.get(_add(production)))
    assert form_page.select_one("#not-active").get_text() == \
        "This subscription is suspended: licences cannot be added to it."
    assert reseller_client.post(_add(production), {**data, "licences": "3"}).status_code == 422
    assert _orders(db) == 1


def test_only_those_who_may_change_subscriptions_see_the_button(db, production, operator_member_client):
    _instances(db)
    page = soup(operator_member_client.get(_page(production)))  # the operator's members read every account's
    assert page.select_one("#fact-instance").get_text() == "Production"
    assert page.select_one("#add-licences-link") is None
    assert operator_member_client.get(_add(production)).status_code == 403


def test_another_accounts_subscription_answers_404(db, production, reseller_client, reseller2_client,
                                                   customer_client, sandbox_store):
    _instances(db)
    data = form_data(soup(reseller_client.get(_add(production))), _add(production))
    for intruder in (reseller2_client, customer_client):
        assert intruder.get(_add(production)).status_code == 404
        response = intruder.post(_add(production), {**data, "csrf_token": intruder.csrf_token, "licences": "3"})
        assert response.status_code == 404
    assert _orders(db) == 1
    assert _fresh(db, production).quantity == 10 and remote(sandbox_store, production)["quantity"] == 10
