"""Several Partner Center instances (issue 16): each market is served by one connection, an account may
be pinned to another, and checkout, provisioning, the catalog, the authorization watch and the partner
checks all go through that rule. In sandbox mode each connection the operator adds is answered by a
sandbox of its own (its own partner tenant and store), so two markets are shown served by two
instances end to end, over HTTP, as Microsoft would be reached."""
from __future__ import annotations

import pytest

from app.accounts.models import Account, Licensee, Tenant
from app.connections.services import connection_sandbox, in_process_sandbox
from app.orders.models import Order
from app.subscriptions.models import Subscription
from tests.helpers import soup
from tests.support.orders import customer_request, line, mca, place, reseller_request, run_job, user

POLAND_TENANT = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f"
POLAND_CLIENT = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
LITWARE_TENANT = "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"


@pytest.fixture
def app_config():
    # Orders complete as soon as Microsoft is asked (in every sandbox); retries do not sleep long.
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


def add_connection(client, name="poland", cloud="public", tenant_id=POLAND_TENANT):
    return client.post("/admin/partner-center/", {
        "name": name, "cloud": cloud, "tenant_id": tenant_id, "client_id": POLAND_CLIENT,
        "client_secret": f"{name}-secret", "refresh_token": ""})


def assign(client, **markets):
    form = {"market_US": "", "market_PL": ""}
    form.update({f"market_{market}": name for market, name in markets.items()})
    return client.post("/admin/partner-center/markets", form)


def store_of(app, name):
    if name == "default":
        return in_process_sandbox(app).extensions["sandbox_store"]
    return connection_sandbox(app, name).extensions["sandbox_store"]


def litware_request(db, *, domain, draft_id=7, **overrides):
    """Litware Systems (a Polish reseller) buys for its licensee Coho Winery (PL) on a new tenant."""
    from app.orders.placing import OrderRequest

    lidia = user(db, "reseller2@example.com")
    coho = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Coho Winery"))
    fields = dict(
        account_id=lidia.account_id, user_id=lidia.id, draft_id=draft_id, licensee_id=coho.id,
        company_name=coho.company_name, country="PL", contact_first_name="Jan", contact_last_name="Kowalski",
        email="it@cohowinery.example.com", phone="+48 612 555 018", tenant_mode="new", domain=domain,
        default_domain=None, tenant_id=None, registration_id="5260250274",
        address={"addressLine1": "ul. Winna 7", "city": "Zielona Gora", "postalCode": "65-001", "country": "PL"},
        partner_id="2345678", reseller_tenant_id=LITWARE_TENANT, mca=mca("Jan", "Kowalski", "it@cohowinery.example.com"),
        lines=[line(price="25.00", currency="PLN")])
    fields.update(overrides)
    return OrderRequest(**fields)


def test_two_markets_are_served_by_two_instances_end_to_end(db, operator_client, app):
    assert add_connection(operator_client).status_code == 302
    assert assign(operator_client, PL="poland").status_code == 303
    page = soup(operator_client.get("/admin/partner-center/"))
    assert "market Poland (PL)" in page.select_one("#connection-poland .connection-role").get_text()
    assert page.select_one("#connection-default .connection-role").get_text().strip() == "Default connection"

    polish = place(db, litware_request(db, domain="cohowinery2.onmicrosoft.com"))
    american = place(db, reseller_request(db, domain="fabrikam2.onmicrosoft.com"))
    assert (polish.partner_center_instance, american.partner_center_instance) == ("poland", "default")
    assert run_job(polish.id) == "completed" and run_job(american.id) == "completed"

    poland, default = store_of(app, "poland"), store_of(app, "default")
    # Each customer was created in its own instance's Partner Center, and only there.
    assert poland.tenant_by_domain("cohowinery2.onmicrosoft.com") is not None
    assert default.tenant_by_domain("cohowinery2.onmicrosoft.com") is None
    assert default.tenant_by_domain("fabrikam2.onmicrosoft.com") is not None
    assert poland.tenant_by_domain("fabrikam2.onmicrosoft.com") is None
    # The poland instance signed in with its own partner tenant and credentials.
    assert poland.calls(method="POST", path=f"/{POLAND_TENANT}/oauth2/v2.0/token")
    # Its tenant and subscription keep the connection, so every later call about them goes there.
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == "cohowinery2.onmicrosoft.com"))
    sub = db.session.scalar(db.select(Subscription).where(Subscription.order_id == polish.id))
    assert tenant.partner_center_instance == "poland" and sub.partner_center_instance == "poland"
    assert poland.documents("subscription", parent=tenant.tenant_id)


def test_a_pinned_account_is_served_by_its_connection_whatever_its_market(db, operator_client, app):
    add_connection(operator_client)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    account_page = soup(operator_client.get(f"/admin/accounts/{adatum.id}"))
    chooser = account_page.select_one("select[name=connection]")
    assert [o.get_text() for o in chooser.select("option")] == ["By market (default)", "default", "poland"]

    answer = operator_client.post(f"/admin/accounts/{adatum.id}/connection", {"connection": "poland"})
    assert answer.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Account, adatum.id).partner_center_connection == "poland"
    history = soup(operator_client.get(f"/admin/accounts/{adatum.id}")).select_one("#account-history").get_text()
    assert "connection pinned by admin@example.com: poland" in history
    order = place(db, reseller_request(db, domain="pinned1.onmicrosoft.com"))
    assert order.partner_center_instance == "poland"
    assert run_job(order.id) == "completed"
    assert store_of(app, "poland").tenant_by_domain("pinned1.onmicrosoft.com") is not None

    # A connection that does not exist is refused next to the field; the pin stays.
    refused = operator_client.post(f"/admin/accounts/{adatum.id}/connection", {"connection": "nowhere"})
    assert refused.status_code == 422
    assert "Not a valid choice" in soup(refused).select_one("select[name=connection]").find_parent().get_text()
    db.session.expire_all()
    assert db.session.get(Account, adatum.id).partner_center_connection == "poland"


def test_an_existing_tenant_stays_with_the_connection_that_knows_it(db, operator_client, app):
    """Moving a market to another connection never moves a tenant the storefront already serves."""
    first = place(db, customer_request(db, domain="tailspinmove.onmicrosoft.com", tenant_mode="new"))
    assert run_job(first.id) == "completed"
    add_connection(operator_client)
    assign(operator_client, US="poland")
    tenant = db.session.scalar(db.select(Tenant).where(Tenant.domain == "tailspinmove.onmicrosoft.com"))
    again = place(db, customer_request(db, domain=tenant.domain, tenant_id=tenant.tenant_id, draft_id=9,
                                       lines=[line(quantity=1, product_id="CFQ7TTC0LH16",
                                                   title="Exchange Online (Plan 1)", family="Exchange")]))
    assert again.partner_center_instance == "default"
    # A new customer of that market goes to the new connection.
    new = place(db, customer_request(db, domain="tailspinnew.onmicrosoft.com", tenant_mode="new", draft_id=10))
    assert new.partner_center_instance == "poland"


def test_the_checkout_checks_go_to_the_connection_of_the_buyer(db, app, operator_client, reseller2_client):
    add_connection(operator_client)
    assign(operator_client, PL="poland")
    from app.connections.person import person_client

    lidia = user(db, "reseller2@example.com")
    rita = user(db, "reseller@example.com")
    person_client(lidia.id).is_domain_available("polishprefix.onmicrosoft.com")
    person_client(rita.id).is_domain_available("usprefix.onmicrosoft.com")
    poland, default = store_of(app, "poland"), store_of(app, "default")
    assert poland.calls(method="HEAD", path="/v1/domains/polishprefix.onmicrosoft.com")
    assert not default.calls(method="HEAD", path="/v1/domains/polishprefix.onmicrosoft.com")
    assert default.calls(method="HEAD", path="/v1/domains/usprefix.onmicrosoft.com")


def test_the_catalog_reads_each_market_from_its_connection(db, app, operator_client):
    from app.catalog.jobs import run_catalog_sync
    from app.catalog.sync import new_sync

    add_connection(operator_client)
    assign(operator_client, PL="poland")
    sync = new_sync()
    db.session.commit()
    run_catalog_sync(sync.id)
    poland, default = store_of(app, "poland"), store_of(app, "default")
    products = [c for c in poland.calls(method="GET", path="/v1/products")]
    assert products and all("country=PL" in (c["query"] or "") for c in products)
    assert all("country=PL" not in (c["query"] or "") for c in default.calls(method="GET", path="/v1/products"))
    assert default.calls(method="GET", path="/v1/products")
    assert poland.calls(method="GET", path_prefix="/v1.0/sales/pricesheets(Market='PL'")


def test_a_cloud_without_the_price_sheet_api_is_skipped_and_explained(db, app, operator_client):
    from app.catalog.jobs import run_catalog_sync
    from app.catalog.models import CatalogSync
    from app.catalog.sync import new_sync

    add_connection(operator_client, name="china", cloud="china_21vianet")
    assign(operator_client, PL="china")
    sync = new_sync()
    db.session.commit()
    run_catalog_sync(sync.id)
    china = store_of(app, "china")
    assert china.calls(method="GET", path="/v1/products")  # the catalog is read there
    assert not china.calls(path_prefix="/v1.0/sales/pricesheets")  # the price sheet is never attempted
    errors = db.session.get(CatalogSync, sync.id).errors or []
    assert any("The PL price sheet was not read: Microsoft publishes no price sheet API for 21Vianet (China)" in e
               for e in errors)


def test_a_cloud_without_the_agreements_api_skips_the_attestation(db, app, operator_client):
    add_connection(operator_client, name="usgov", cloud="us_government")
    assign(operator_client, PL="usgov")
    order = place(db, litware_request(db, domain="cohogov.onmicrosoft.com"))
    assert order.partner_center_instance == "usgov"
    assert run_job(order.id) == "completed"
    usgov = store_of(app, "usgov")
    assert usgov.tenant_by_domain("cohogov.onmicrosoft.com") is not None
    assert not usgov.calls(path_prefix="/v1/agreements")
    assert not [c for c in usgov.calls(method="POST") if "/agreements" in c["path"]]
    step = next(s for s in db.session.get(Order, order.id).steps if s.kind == "attest_mca")
    assert "no customer agreement API in US Government" in str(step.result)


def test_the_retired_german_cloud_is_refused_with_the_reason(db, operator_client):
    answer = add_connection(operator_client, name="germany", cloud="germany")
    assert answer.status_code == 422
    page = soup(answer)
    message = page.select_one("#cloud").find_parent().get_text(" ", strip=True)
    assert "Microsoft Cloud Deutschland was retired on 29 October 2021" in message
    assert page.select_one("#name")["value"] == "germany"  # what was typed is kept
    assert "germany" not in operator_client.get("/admin/partner-center/").text.split('id="add-heading"')[0]


def test_a_market_can_only_go_to_an_existing_connection(db, operator_client):
    answer = assign(operator_client, PL="nowhere")
    assert answer.status_code == 422
    assert "Not a valid choice" in soup(answer).select_one("#market_PL").find_parent().get_text()


def test_who_may_change_markets_and_pins(db, demo, operator_member_client, reseller_client, operator_client):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    assert assign(operator_member_client, PL="default").status_code == 403
    assert operator_member_client.post(f"/admin/accounts/{adatum.id}/connection",
                                       {"connection": "default"}).status_code == 403
    assert reseller_client.post(f"/admin/accounts/{adatum.id}/connection",
                                {"connection": "default"}).status_code in (403, 404)
    assert assign(reseller_client, PL="default").status_code in (403, 404)
    assert db.session.get(Account, adatum.id).partner_center_connection is None


def test_each_added_connection_has_its_own_sandbox_pages(db, app, operator_client):
    from app.serving import storefront_wsgi
    from werkzeug.test import Client as WsgiClient

    add_connection(operator_client)
    web = WsgiClient(storefront_wsgi(app))
    assert web.get("/sandboxes/poland/").status_code == 302  # behind the operator's sign-in, as /sandbox is
    assert web.get("/sandboxes/nowhere/").status_code == 404

