"""Acting as the checkout (building OrderRequests), as the worker (running jobs) and as Microsoft
(customers that already exist) in the orders and subscriptions tests."""
from __future__ import annotations

import time
from decimal import Decimal

from app.accounts.models import Licensee, User
from app.orders.models import Order
from app.subscriptions.models import Subscription
from app.sandbox.catalog import availability_id

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"
ORDER_NUMBER_RE = r"^ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$"


def line(product_id="CFQ7TTC0LH18", sku_id="0001", title="Microsoft 365 Business Basic", family="Microsoft 365",
         quantity=5, term="P1Y", plan="monthly", price="6.00", currency="USD"):
    from app.orders.placing import RequestLine

    return RequestLine(product_id=product_id, sku_id=sku_id,
                       catalog_item_id=f"{product_id}:{sku_id}:{availability_id(product_id, sku_id)}",
                       product_title=title, sku_title=title, family=family, term_duration=term, billing_plan=plan,
                       quantity=quantity, unit_price=Decimal(price), currency=currency)


EXCHANGE = dict(product_id="CFQ7TTC0LH16", title="Exchange Online (Plan 1)", family="Exchange", price="4.00")


def user(db, email) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def licensee(db, name="Fabrikam, Inc.") -> Licensee:
    return db.session.scalar(db.select(Licensee).where(Licensee.company_name == name))


def mca(first="Frank", last="Miller", email="it@fabrikam.example.com"):
    return {"firstName": first, "lastName": last, "email": email, "phoneNumber": "+1 312 555 0175",
            "templateId": MCA_TEMPLATE, "dateAgreed": "2025-03-01T10:00:00Z"}


def reseller_request(db, *, domain="fabrikamnew.onmicrosoft.com", draft_id=1, tenant_mode="new", tenant_id=None,
                     lines=None, **overrides):
    """Adatum buys for its licensee Fabrikam (US) on a new tenant, unless told otherwise."""
    from app.orders.placing import OrderRequest

    rita = user(db, "reseller@example.com")
    fabrikam = licensee(db)
    fields = dict(
        account_id=rita.account_id, user_id=rita.id, draft_id=draft_id, licensee_id=fabrikam.id,
        company_name=fabrikam.company_name, country="US", contact_first_name="Frank", contact_last_name="Miller",
        email="it@fabrikam.example.com", phone="+1 312 555 0175", tenant_mode=tenant_mode, domain=domain,
        default_domain=None, tenant_id=tenant_id, registration_id=None,
        address={"addressLine1": "1 Microsoft Way", "city": "Redmond", "state": "WA", "postalCode": "98052",
                 "country": "US"},
        partner_id="1234567", reseller_tenant_id=ADATUM_TENANT, mca=mca(), lines=lines or [line()])
    fields.update(overrides)
    return OrderRequest(**fields)


def customer_request(db, *, domain, tenant_id=None, tenant_mode="existing", draft_id=2, lines=None, **overrides):
    """Tailspin Toys (a direct customer) buys for itself."""
    from app.orders.placing import OrderRequest

    carl = user(db, "customer@example.com")
    fields = dict(
        account_id=carl.account_id, user_id=carl.id, draft_id=draft_id, licensee_id=None,
        company_name="Tailspin Toys", country="US", contact_first_name="Carl", contact_last_name="Customer",
        email="it@tailspin.example.com", phone="+1 555 010 0123", tenant_mode=tenant_mode, domain=domain,
        default_domain=None, tenant_id=tenant_id, registration_id=None,
        address={"addressLine1": "1 Main Street", "city": "Seattle", "state": "WA", "postalCode": "98101",
                 "country": "US"},
        partner_id=None, reseller_tenant_id=None,
        mca=mca("Carl", "Customer", "it@tailspin.example.com"), lines=lines or [line(quantity=3)])
    fields.update(overrides)
    return OrderRequest(**fields)


def place(db, request, email=None):
    from app.audit.services import Origin
    from app.orders.placing import place_order

    actor = db.session.get(User, request.user_id)
    return place_order(request, actor=actor, origin=Origin("127.0.0.1", "pytest"))


def place_and_provision(db, request, seconds=45.0) -> Subscription:
    """Place the request and wait for the live worker (browser tests) to complete it: its subscription."""
    order = place(db, request)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Order, order.id).status == "completed":
            break
        time.sleep(0.3)
    sub = db.session.scalar(db.select(Subscription).where(Subscription.order_id == order.id))
    assert sub is not None, "the worker did not provision the purchase"
    return sub


def run_job(order_id, times=10):
    """Run the provisioning job in-process until it stops asking to be run again."""
    from app.orders.engine import provision_order

    status = None
    for _ in range(times):
        status = provision_order(order_id)
        if status != "waiting":
            break
    return status


def work(redis):
    """A real RQ worker in this process (burst), as DESIGN.md's tests do."""
    from rq import SimpleWorker

    from app.jobs import get_queue

    SimpleWorker([get_queue()], connection=redis).work(burst=True)


def existing_customer(pc_client, domain_prefix, *, reseller=True, country="US"):
    """A tenant that already has a relationship with the distributor (created earlier, e.g. by
    another storefront order), as Microsoft would have it."""
    customer = pc_client.create_customer(
        domain=domain_prefix, company_name=f"{domain_prefix.title()} Ltd", email=f"admin@{domain_prefix}.example.com",
        address={"addressLine1": "1 Main Street", "city": "Seattle", "state": "WA", "postalCode": "98101",
                 "country": country, "phoneNumber": "2065550100"},
        first_name="Ann", last_name="Admin", associated_partner_id=ADATUM_TENANT if reseller else None)
    return customer.id


def client_options(app, **options):
    """Change the Partner Center client's options for the rest of the test (the app's settings are
    put back afterwards)."""
    app.config["PARTNER_CENTER_CLIENT_OPTIONS"] = {**app.config["PARTNER_CENTER_CLIENT_OPTIONS"], **options}
    for client in app.extensions.pop("partner_center_clients", {}).values():  # rebuilt with the options
        client.close()


def assert_exactly_one_of_everything(db, sandbox_store, order, domain, expected_subscriptions):
    """The order completed with exactly one customer, cart and order at Microsoft and the expected
    (offer name, quantity) subscriptions there and here."""
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "completed", (order.status, order.reason)
    tenants = [t for t in sandbox_store.documents("tenant") if t["domain"] == domain]
    assert len(tenants) == 1, "exactly one customer at Microsoft"
    assert order.tenant_id == tenants[0]["id"]
    assert len(sandbox_store.documents("cart", order.tenant_id)) == 1, "exactly one cart"
    assert len(sandbox_store.documents("order", order.tenant_id)) == 1, "exactly one order"
    subs = sandbox_store.documents("subscription", order.tenant_id)
    assert sorted((s["offerName"], s["quantity"]) for s in subs) == expected_subscriptions
    recorded = db.session.scalars(db.select(Subscription)).all()
    assert sorted((s.sku_title, s.quantity) for s in recorded) == expected_subscriptions
    return order
