"""The GDAP request of an order's tenant shows on the order and on its subscriptions, and the
order page reads its status from Microsoft Graph (the sandbox's) when asked."""
from __future__ import annotations

from bs4 import BeautifulSoup
from werkzeug.test import Client as WsgiClient

from app.orders import gdap
from app.subscriptions.models import Subscription
from tests.helpers import soup
from tests.support.orders import line, place, reseller_request, run_job

BASIC = dict(product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic", family="Microsoft 365", price="6.00")


def _approve(app, relationship_id: str) -> None:
    """The customer's global administrator approves on the sandbox's admin center page."""
    from app.serving import storefront_wsgi

    browser = WsgiClient(storefront_wsgi(app))
    page = browser.get("/sandbox/AdminPortal/Home")
    token = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("input[name=sandbox_csrf]")["value"]
    answer = browser.post("/sandbox/AdminPortal/Home", data={"sandbox_csrf": token, "relationshipId": relationship_id})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]


def test_order_and_subscription_show_the_gdap_status(app, db, demo, reseller_client, pc_client):
    order = place(db, reseller_request(db, domain="seatsco.onmicrosoft.com", lines=[line(**BASIC, quantity=2)]))
    assert run_job(order.id) == "completed"
    db.session.expire_all()
    [sub] = db.session.scalars(db.select(Subscription).where(Subscription.order_id == order.id)).all()
    row = gdap.create(pc_client, account_id=order.account_id, account_name="Adatum", domain=order.domain,
                      tenant_id=order.tenant_id, user_id=None)
    db.session.commit()

    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert page.select_one("#gdap-heading").get_text() == "GDAP: approval pending"
    assert page.select_one("#gdap-status a")["href"] == row.approval_link
    assert soup(reseller_client.get(f"/subscriptions/{sub.id}")).select_one("#fact-gdap").get_text().startswith(
        "Approval pending")

    _approve(app, row.relationship_id)
    checked = reseller_client.post(f"/orders/{order.number}/gdap", {})
    assert checked.status_code == 303
    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert page.select_one("#gdap-heading").get_text() == "GDAP: active"
    assert soup(reseller_client.get(f"/subscriptions/{sub.id}")).select_one("#fact-gdap").get_text().startswith(
        "Active until ")


def test_an_active_request_past_its_end_reads_expired():
    from datetime import datetime

    row = gdap.GdapRequest(status="active", ends_at=datetime(2026, 1, 1))
    assert row.shown_status(datetime(2026, 1, 2)) == "expired"
    assert gdap.GdapRequest(status="approvalPending").shown_status() == "approval pending"


def test_the_worker_reads_open_requests_again(app, db, demo, pc_client):
    from datetime import timedelta

    from app.jobs.periodic import PERIODIC_MODULES, TASKS
    from app.time import utcnow

    assert "app.orders.gdap" in PERIODIC_MODULES and TASKS["refresh-gdap"].func is gdap.refresh_open
    row = gdap.create(pc_client, account_id=1, account_name="Adatum", domain="approved.onmicrosoft.com",
                      tenant_id="3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3", user_id=None)
    db.session.commit()
    assert gdap.refresh_open() == 0  # just read
    _approve(app, row.relationship_id)
    assert gdap.refresh_open(now=utcnow() + timedelta(minutes=16)) == 1
    db.session.refresh(row)
    assert row.status == "active" and row.shown_status() == "active"


def test_a_request_in_the_resellers_name_is_read_with_its_tenants_token(app, db, demo, reseller_client, pc_client):
    """Once Adatum's partner tenant is connected for GDAP, its relationship is its own: the order and the
    subscription say the roles go to Adatum, and the button and the worker read it with Adatum's token (the
    distributor's token does not know it)."""
    from datetime import timedelta

    from app.connections.reseller_tenants import reseller_client as tenant_client
    from app.partner_center import PartnerCenterError
    from app.time import utcnow
    from tests.support.gdap import ADATUM_TENANT, connect

    order = place(db, reseller_request(db, domain="ownname.onmicrosoft.com", lines=[line(**BASIC, quantity=2)]))
    assert run_job(order.id) == "completed"
    db.session.expire_all()
    [sub] = db.session.scalars(db.select(Subscription).where(Subscription.order_id == order.id)).all()
    connect(app, reseller_client)
    row = gdap.create(tenant_client("default", ADATUM_TENANT), account_id=order.account_id, account_name="Adatum",
                      domain=order.domain, tenant_id=order.tenant_id, user_id=None, partner_tenant_id=ADATUM_TENANT)
    db.session.commit()
    try:
        pc_client.get_admin_relationship(row.relationship_id)
        raise AssertionError("the distributor's token read the reseller's relationship")
    except PartnerCenterError as error:
        assert error.status == 404

    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert " ".join(page.select_one("#gdap-status .gdap-partner").get_text().split()) == \
        "The roles go to Adatum IT Services (the reseller's own partner tenant)."
    assert "roles for Adatum IT Services" in soup(reseller_client.get(f"/subscriptions/{sub.id}")).select_one(
        "#fact-gdap").get_text()

    _approve(app, row.relationship_id)
    assert reseller_client.post(f"/orders/{order.number}/gdap", {}).status_code == 303
    assert soup(reseller_client.get(f"/orders/{order.number}")).select_one("#gdap-heading").get_text() == "GDAP: active"
    row.status = "approvalPending"  # as if not read yet: the worker reads it again, with Adatum's token
    db.session.commit()
    assert gdap.refresh_open(now=utcnow() + timedelta(minutes=16)) == 1
    db.session.refresh(row)
    assert row.status == "active"


def test_a_distributors_request_says_the_distributor_gets_the_roles(app, db, demo, reseller_client, pc_client):
    order = place(db, reseller_request(db, domain="distrib.onmicrosoft.com", lines=[line(**BASIC, quantity=1)]))
    assert run_job(order.id) == "completed"
    gdap.create(pc_client, account_id=order.account_id, account_name="Adatum", domain=order.domain,
                tenant_id=order.tenant_id, user_id=None)
    db.session.commit()
    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert " ".join(page.select_one("#gdap-status .gdap-partner").get_text().split()) == \
        "The roles go to Northwind Cloud Distribution (the distributor)."
