"""Partner Center webhooks, storefront side, against the in-process sandbox: registering from admin >
Partner Center, receiving the sandbox's signed deliveries (verified as Microsoft documents), refusing
what fails a check, acting once on a replay, and an acceptance enabling a waiting checkout without
waiting for the next poll.

The sandbox sends its deliveries when a test flushes them (tests run it in "manual" mode), through the
storefront's own WSGI app: the same HTTP request a server would receive, in the test's thread.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.accounts.models import utcnow
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.connections.models import PartnerCenterWebhook, PartnerCenterWebhookEvent
from app.connections.services import in_process_sandbox
from app.jobs import get_queue
from tests.helpers import soup, text_of
from tests.support.sandbox import accept_relationship


@pytest.fixture
def sandbox(app):
    return in_process_sandbox(app)


def _forget_registrations(sandbox):
    # The sandbox keeps a partner's registration across resets, as Microsoft would (`flask seed-demo`
    # in another test makes one): each test here starts and ends without.
    with sandbox.extensions["sandbox_store"].tx() as tx:
        tx.conn.execute("DELETE FROM webhook_registrations")


@pytest.fixture
def deliveries(sandbox):
    """What the sandbox sent (the Microsoft side), and a way to send what is due now."""
    _forget_registrations(sandbox)

    class Deliveries:
        def flush(self) -> int:
            return sandbox.extensions["sandbox_webhooks"].flush()

        def all(self) -> list[dict]:
            from app.sandbox.webhooks import deliveries as listed

            return listed(sandbox.extensions["sandbox_store"])

    yield Deliveries()
    _forget_registrations(sandbox)


@pytest.fixture
def registered(operator_client, db, run_worker, deliveries):
    """The sandbox connection's webhooks, registered as an operator admin does it."""
    page = operator_client.get("/admin/partner-center/")
    assert "Not registered" in text_of(page)
    response = operator_client.post("/admin/partner-center/default/webhooks", {})
    assert response.status_code == 302
    run_worker()
    db.session.expire_all()
    return db.session.scalar(db.select(PartnerCenterWebhook).where(PartnerCenterWebhook.connection == "default"))


def test_the_operator_registers_the_webhooks_and_the_sandbox_holds_the_registration(
        registered, operator_client, sandbox_store, deliveries):
    assert registered.status == "registered"
    assert registered.url == "http://127.0.0.1:5000/webhooks/partner-center/" + registered.token
    assert set(registered.events.split(",")) == {"reseller-relationship-accepted-by-customer",
                                                "indirect-reseller-relationship-accepted-by-customer",
                                                "subscription-updated", "test-created"}
    # Microsoft's side: what the sandbox received, and what it now holds.
    calls = [(c["method"], c["path"]) for c in sandbox_store.calls(path_prefix="/webhooks/")]
    assert calls == [("GET", "/webhooks/v1/registration/events"), ("GET", "/webhooks/v1/registration"),
                     ("POST", "/webhooks/v1/registration")]
    row = soup(operator_client.get("/admin/partner-center/")).select_one("#webhooks-default")
    assert "Registered at" in row.select_one(".webhook-status").get_text()
    assert registered.token in row.get_text()


def test_registering_again_updates_the_registration(registered, operator_client, run_worker, sandbox_store):
    operator_client.post("/admin/partner-center/default/webhooks", {})
    run_worker()
    assert [c["method"] for c in sandbox_store.calls(path="/webhooks/v1/registration")][-1] == "PUT"


def test_a_registration_no_worker_takes_says_so(operator_client, redis, run_worker):
    """With the worker stopped, the row said "Registering…" for as long as one watched."""
    from rq.job import Job

    from app.time import utcnow

    operator_client.post("/admin/partner-center/default/webhooks", {})
    status = soup(operator_client.get("/admin/partner-center/")).select_one("#webhooks-default .webhook-status")
    assert status.get_text(" ", strip=True) == "Registering…"
    job = Job.fetch("partner-center-webhooks-default", connection=redis)
    job.enqueued_at = utcnow() - timedelta(minutes=2)  # two minutes later, still nobody has taken it
    job.save()
    status = soup(operator_client.get("/admin/partner-center/")).select_one("#webhooks-default .webhook-status")
    assert " ".join(status.get_text(" ").split()) == (
        "Registering… It has waited 2 minutes for the storefront's worker, which registers it: the worker may be "
        "stopped. It registers as soon as the worker is back.")
    run_worker()
    status = soup(operator_client.get("/admin/partner-center/")).select_one("#webhooks-default .webhook-status")
    assert status.get_text(" ", strip=True).startswith("Registered at")


def test_an_operator_member_cannot_register(operator_member_client):
    assert operator_member_client.post("/admin/partner-center/default/webhooks", {}).status_code == 403


def _send_test_event(pc_client, deliveries) -> dict:
    pc_client.send_test_webhook_event()
    assert deliveries.flush() == 1
    return deliveries.all()[0]


def test_a_signed_delivery_is_verified_stored_once_and_handled(registered, pc_client, deliveries, db, run_worker):
    sent = _send_test_event(pc_client, deliveries)
    assert sent["status"] == "delivered" and sent["answer"] == "200"
    stored = db.session.scalars(db.select(PartnerCenterWebhookEvent)).all()
    assert [(e.name, e.resource_uri) for e in stored] == [("test-created", sent["resourceUri"])]
    run_worker()
    db.session.expire_all()
    assert db.session.get(PartnerCenterWebhookEvent, stored[0].id).handled_at is not None
    row = db.session.get(PartnerCenterWebhook, registered.id)
    assert row.events_received == 1 and row.last_event_at is not None


@pytest.fixture
def captured(registered, pc_client, sandbox):
    """The next delivery's body and headers as the sandbox signed them, taken by a second dispatcher of
    the same sandbox store whose transport keeps them (so a test can post them again, or altered)."""
    import httpx

    from app.sandbox.webhooks import Dispatcher

    seen: dict = {}

    def capture(request: httpx.Request) -> httpx.Response:
        seen["body"], seen["headers"] = request.content, dict(request.headers)
        return httpx.Response(200)

    pc_client.send_test_webhook_event()
    Dispatcher(sandbox.extensions["sandbox_store"], mode="manual", transport=httpx.MockTransport(capture)).flush()
    assert seen, "the sandbox sent nothing"
    return seen


def _post(client, token, body: bytes, headers: dict):
    keep = {k: v for k, v in headers.items()
            if k.lower() in ("authorization", "x-ms-certificate-url", "x-ms-signature-algorithm", "content-type")}
    return client.post(f"/webhooks/partner-center/{token}", data=body, headers=keep)


def test_a_replayed_event_is_answered_but_acted_on_once(app, registered, captured, db, run_worker):
    client = app.test_client()
    first = _post(client, registered.token, captured["body"], captured["headers"])
    again = _post(client, registered.token, captured["body"], captured["headers"])
    assert (first.status_code, first.get_data(as_text=True)) == (200, "Received.")
    assert (again.status_code, again.get_data(as_text=True)) == (200, "Already received.")
    assert db.session.scalar(db.select(db.func.count(PartnerCenterWebhookEvent.id))) == 1
    assert len(get_queue().job_ids) == 1


def test_a_tampered_body_is_refused(app, registered, captured, db):
    body = json.loads(captured["body"])
    body["ResourceUri"] = body["ResourceUri"].replace("validationEvents", "customers")
    response = _post(app.test_client(), registered.token, json.dumps(body).encode(), captured["headers"])
    assert response.status_code == 401
    assert "signature does not match" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(PartnerCenterWebhookEvent.id))) == 0
    db.session.expire_all()
    assert db.session.get(PartnerCenterWebhook, registered.id).refused == 1


@pytest.mark.parametrize("url, reason", [
    ("https://evil.example.com/cert/pcnotifications-dispatch.sandbox.cer", "is not a Partner Center host"),
    ("http://api.partnercenter.microsoft.com/webhooks/v1/certificates/pcnotifications-dispatch.sandbox.cer",
     "is not https"),
    # Microsoft's own certificate host is trusted live, not in sandbox mode.
    ("https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer",
     "is not a Partner Center host"),
])
def test_a_certificate_from_elsewhere_is_refused_before_it_is_fetched(app, registered, captured, sandbox_store, url,
                                                                      reason):
    before = len(sandbox_store.calls())
    headers = {**captured["headers"], "x-ms-certificate-url": url}
    response = _post(app.test_client(), registered.token, captured["body"], headers)
    assert response.status_code == 401 and reason in response.get_data(as_text=True)
    assert len(sandbox_store.calls()) == before


def test_missing_headers_and_unknown_tokens_are_refused(app, registered, captured):
    client = app.test_client()
    no_signature = {k: v for k, v in captured["headers"].items() if k.lower() != "authorization"}
    assert _post(client, registered.token, captured["body"], no_signature).status_code == 401
    assert _post(client, "not-a-token", captured["body"], captured["headers"]).status_code == 404


# -- an acceptance arriving by webhook ---------------------------------------------------------------

def _customer_waits(c, prefix="fabrikam"):
    c.post("/checkout/customer", {})
    assert c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": prefix},
                  htmx=True).status_code == 200


def _draft(db, email="customer@example.com"):
    from app.accounts.models import User

    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.email == email))
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == user.id,
                                                            CheckoutDraft.status == "open"))


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_an_acceptance_by_webhook_enables_checkout_before_the_next_poll(
        app, registered, customer_client, db, pc_client, deliveries, run_worker, sandbox_store):
    _customer_waits(customer_client)
    assert soup(customer_client.get("/checkout/service")).select_one("#checkout-button").has_attr("disabled")
    # The watch has backed off: polling would not look before tomorrow.
    watch = db.session.scalar(db.select(AuthorizationWatch).where(AuthorizationWatch.domain == "fabrikam.onmicrosoft.com"))
    later = utcnow() + timedelta(days=1)
    watch.next_check_at = later
    db.session.commit()

    accept_relationship(app, pc_client.get_relationship_request().url, "fabrikam.onmicrosoft.com")
    assert deliveries.flush() == 1
    sent = deliveries.all()[0]
    assert (sent["eventName"], sent["status"]) == ("reseller-relationship-accepted-by-customer", "delivered")
    assert sent["resourceUri"].endswith("/v1/customers/3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3")
    run_worker()

    draft = _draft(db)
    assert draft.authorization_status == "verified"
    assert not soup(customer_client.get("/checkout/service")).select_one("#checkout-button").has_attr("disabled")
    db.session.expire_all()
    assert db.session.get(AuthorizationWatch, watch.id).status == "done"


def test_an_acceptance_event_for_a_tenant_nobody_waits_for_changes_nothing(
        app, registered, db, pc_client, deliveries, run_worker):
    accept_relationship(app, pc_client.get_relationship_request().url, "fabrikam.onmicrosoft.com")
    deliveries.flush()
    run_worker()
    event = db.session.scalar(db.select(PartnerCenterWebhookEvent))
    assert event.name == "reseller-relationship-accepted-by-customer" and event.handled_at is not None
    assert db.session.scalar(db.select(db.func.count(AuthorizationWatch.id))) == 0


def test_polling_backs_off_further_while_events_arrive(db):
    from app.checkout.gate import FAST_INTERVAL, MAX_INTERVAL, MAX_INTERVAL_WITH_WEBHOOKS, next_interval

    start = utcnow()
    watch = AuthorizationWatch(domain="x.onmicrosoft.com", started_at=start, interval_seconds=160.0)
    an_hour = start + timedelta(hours=1)
    assert next_interval(watch, an_hour) == MAX_INTERVAL
    assert next_interval(watch, an_hour, webhooks=True) == 320.0
    watch.interval_seconds = 800.0
    assert next_interval(watch, an_hour, webhooks=True) == MAX_INTERVAL_WITH_WEBHOOKS
    # Within the first minute a person is probably accepting now: fast either way... for 30 s with webhooks.
    assert next_interval(watch, start + timedelta(seconds=20), webhooks=True) == FAST_INTERVAL
    assert next_interval(watch, start + timedelta(seconds=60), webhooks=True) != FAST_INTERVAL
    assert next_interval(watch, start + timedelta(seconds=60)) == FAST_INTERVAL


@pytest.mark.parametrize("app_config", [{"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0}}])
def test_a_subscription_changed_at_microsoft_is_read_again_when_its_event_arrives(
        registered, db, pc_client, deliveries, run_worker):
    from app.subscriptions.models import Subscription
    from tests.support.subscriptions import buy

    sub = buy(db)[0]
    deliveries.flush()  # the order's own event (its subscription appearing): nothing changes
    run_worker()
    assert db.session.get(Subscription, sub.id).quantity == 10
    # Changed at Microsoft, not through this storefront's orders (another tool of the partner's, say).
    pc_client.update_subscription(sub.tenant_id, sub.ms_subscription_id, {"quantity": 14})
    assert db.session.get(Subscription, sub.id).quantity == 10
    assert deliveries.flush() == 1
    assert deliveries.all()[0]["eventName"] == "subscription-updated"
    assert deliveries.all()[0]["status"] == "delivered"
    run_worker()
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).quantity == 14


def test_seed_demo_registers_the_sandbox_connections_webhooks(app, db, sandbox_store, deliveries):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    row = db.session.scalar(db.select(PartnerCenterWebhook).where(PartnerCenterWebhook.connection == "default"))
    assert row.status == "registered"
    assert f"Sandbox webhooks: registered at http://127.0.0.1:5000/webhooks/partner-center/{row.token}." in result.output
    with sandbox_store.tx() as tx:
        held = tx.conn.execute("SELECT data FROM webhook_registrations").fetchone()
    assert json.loads(held[0])["webhookUrl"] == row.url
