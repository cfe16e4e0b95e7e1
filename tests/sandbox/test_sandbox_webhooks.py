"""The sandbox's Partner Center webhooks: the registration API, signed deliveries when its simulated
admin accepts a relationship or a subscription changes, the delivery record on the overview page, and
the fault control that drops or delays deliveries.

Deliveries go to a recording WSGI app (the partner's endpoint) through the sandbox's delivery
transport; the sandbox runs in "manual" mode, so a test sends what is due by flushing.
"""
from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from bs4 import BeautifulSoup
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from app.partner_center.routing import InProcessTransport
from app.sandbox import create_app
from tests.sandbox.sandbox_support import (API, FABRIKAM, PartnerCenter, fetch_token, new_customer_ready_to_buy,
                                           purchase)

HOOK = "https://storefront.example.com/webhooks/partner-center/t0ken"
ALL = ["test-created", "reseller-relationship-accepted-by-customer",
       "indirect-reseller-relationship-accepted-by-customer", "subscription-updated"]


class Endpoint:
    """The partner's endpoint: records every post; answers `status`."""

    def __init__(self):
        self.received: list[httpx.Request] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(self.status)

    def events(self) -> list[dict]:
        return [json.loads(r.content) for r in self.received]


@pytest.fixture
def endpoint():
    return Endpoint()


@pytest.fixture
def sandbox_app(sandbox_config, endpoint):
    return create_app({**sandbox_config, "SANDBOX_WEBHOOK_DISPATCH": "manual",
                       "SANDBOX_WEBHOOK_TRANSPORT": httpx.MockTransport(endpoint)})


@pytest.fixture
def flush(sandbox_app):
    return sandbox_app.extensions["sandbox_webhooks"].flush


@pytest.fixture
def registered(pc):
    response = _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ALL})
    assert response.status_code == 200, response.text
    return response.json()


def _api(pc: PartnerCenter, method: str, path: str, body=None) -> httpx.Response:
    return pc.http.request(method, API + path, json=body, headers={"Authorization": f"Bearer {pc.token}"})


def test_the_registration_api(pc):
    assert _api(pc, "GET", "/webhooks/v1/registration/events").json() == ALL
    assert _api(pc, "GET", "/webhooks/v1/registration").status_code == 404
    created = _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ALL[:2]})
    assert created.json() == {"SubscriberId": "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c", "WebhookUrl": HOOK,
                              "WebhookEvents": ALL[:2]}
    assert _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ALL}).status_code == 409
    updated = _api(pc, "PUT", "/webhooks/v1/registration", {"webhookUrl": HOOK + "2", "webhookEvents": ALL})
    assert updated.json()["WebhookUrl"] == HOOK + "2"
    assert _api(pc, "GET", "/webhooks/v1/registration").json()["WebhookEvents"] == ALL
    refused = _api(pc, "PUT", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ["nonsense"]})
    assert refused.status_code == 400 and "nonsense" in refused.json()["description"]
    assert _api(pc, "DELETE", "/webhooks/v1/registration").status_code == 204
    assert _api(pc, "GET", "/webhooks/v1/registration").status_code == 404


def test_the_registration_api_needs_a_token(http):
    assert http.get(API + "/webhooks/v1/registration").status_code == 401


def _accept(http, link_url: str, tenant_id: str):
    path = httpx.URL(link_url).raw_path.decode()
    page = http.get("http://127.0.0.1:5050" + path)
    token = BeautifulSoup(page.text, "html.parser").select_one("form input[name=sandbox_csrf]")["value"]
    assert http.post("http://127.0.0.1:5050" + path, data={"sandbox_csrf": token, "tenantId": tenant_id}).status_code == 200


def _verify(request: httpx.Request, http) -> dict:
    """What the partner does (the webhooks page's steps), with the certificate from the sandbox."""
    assert request.headers["X-MS-Signature-Algorithm"] == "rsa-sha256"
    scheme, signature = request.headers["Authorization"].split(" ", 1)
    assert scheme == "Signature"
    cert_url = request.headers["X-MS-Certificate-Url"]
    assert httpx.URL(cert_url).host == "api.partnercenter.microsoft.com" and cert_url.startswith("https://")
    cert = x509.load_der_x509_certificate(http.get(cert_url).content)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Partner Center sandbox"
    cert.public_key().verify(base64.b64decode(signature), request.content, padding.PKCS1v15(), hashes.SHA256())
    return json.loads(request.content)


def test_an_accepted_relationship_is_delivered_signed_after_the_request(pc, http, registered, endpoint, flush,
                                                                        sandbox_app):
    link = pc.get("/v1/customers/relationshiprequests").json()["url"]
    _accept(http, link, FABRIKAM)
    assert endpoint.received == []  # the acceptance did not wait for the partner's endpoint
    assert flush() == 1
    event = _verify(endpoint.received[0], http)
    assert event["EventName"] == "reseller-relationship-accepted-by-customer"
    assert event["ResourceUri"] == f"{API}/v1/customers/{FABRIKAM}"
    assert event["ResourceName"] == "customer" and event["AuditUri"] is None and event["ResourceChangeUtcDate"]
    assert str(endpoint.received[0].url) == HOOK
    # Accepting again changes nothing, and raises nothing.
    _accept(http, link, FABRIKAM)
    assert flush() == 0
    overview = BeautifulSoup(http.get("http://127.0.0.1:5050/").text, "html.parser")
    rows = overview.select("#webhooks tr.webhook-delivery")
    assert [r["data-status"] for r in rows] == ["delivered"]
    assert "reseller-relationship-accepted-by-customer" in rows[0].get_text() and HOOK in rows[0].get_text()


def test_an_indirect_acceptance_raises_the_indirect_event(pc, http, registered, endpoint, flush):
    link = pc.get("/v1/customers/relationshiprequests",
                  params={"indirectResellerId": "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"}).json()["url"]
    _accept(http, link, FABRIKAM)
    flush()
    assert [e["EventName"] for e in endpoint.events()] == ["indirect-reseller-relationship-accepted-by-customer"]


def test_only_registered_events_are_sent(pc, http, endpoint, flush):
    _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ["subscription-updated"]})
    _accept(http, pc.get("/v1/customers/relationshiprequests").json()["url"], FABRIKAM)
    assert flush() == 0 and endpoint.received == []


def test_a_test_event_and_its_status(pc, registered, endpoint, flush):
    correlation_id = _api(pc, "POST", "/webhooks/v1/registration/validationEvents").json()["correlationId"]
    assert _api(pc, "GET", f"/webhooks/v1/registration/validationEvents/{correlation_id}").json()["status"] == "pending"
    flush()
    assert endpoint.events()[0]["EventName"] == "test-created"
    assert endpoint.events()[0]["ResourceUri"].endswith(f"/webhooks/v1/registration/validationEvents/{correlation_id}")
    status = _api(pc, "GET", f"/webhooks/v1/registration/validationEvents/{correlation_id}").json()
    assert status["status"] == "delivered"


def test_a_failing_endpoint_is_tried_again_then_given_up(pc, registered, endpoint, flush, sandbox_store):
    endpoint.status = 500
    _api(pc, "POST", "/webhooks/v1/registration/validationEvents")
    for _ in range(3):
        flush()
        with sandbox_store.tx() as tx:  # the retry's wait has passed
            tx.conn.execute("UPDATE webhook_deliveries SET due = 0 WHERE status = 'pending'")
    assert len(endpoint.received) == 3
    state = _api(pc, "GET", "/_sandbox/webhooks").json()["deliveries"][0]
    assert (state["status"], state["attempts"], state["answer"]) == ("failed", 3, "500")


def test_the_fault_control_drops_deliveries(pc, http, registered, endpoint, flush):
    fault = http.post("http://127.0.0.1:5050/_sandbox/faults", json={"kind": "drop", "count": 1})
    assert fault.status_code == 201
    assert fault.json()["faults"][0]["pathPrefix"] == "/webhooks/deliveries/"
    _accept(http, pc.get("/v1/customers/relationshiprequests").json()["url"], FABRIKAM)
    flush()
    assert endpoint.received == []
    state = http.get("http://127.0.0.1:5050/_sandbox/webhooks").json()["deliveries"]
    assert [(d["status"], d["answer"]) for d in state] == [("dropped", "dropped by a fault")]
    # The fault was used up: the next event goes through.
    _api(pc, "POST", "/webhooks/v1/registration/validationEvents")
    flush()
    assert [e["EventName"] for e in endpoint.events()] == ["test-created"]


def test_the_fault_control_delays_deliveries_of_one_event(pc, http, registered, endpoint, flush):
    http.post("http://127.0.0.1:5050/_sandbox/faults",
              json={"kind": "delay", "delay": 0.4, "pathPrefix": "/webhooks/deliveries/test-created"})
    _api(pc, "POST", "/webhooks/v1/registration/validationEvents")
    flush()
    assert endpoint.received == []
    time.sleep(0.5)
    flush()
    assert [e["EventName"] for e in endpoint.events()] == ["test-created"]


def test_an_order_completing_and_a_subscription_change_raise_subscription_updated(pc, registered, endpoint, flush,
                                                                                   sandbox_store):
    tenant_id = new_customer_ready_to_buy(pc, "hookedco")
    sub = purchase(pc, sandbox_store, tenant_id)  # the order completes when it is read, 10 s later
    flush()
    path = f"/customers/{tenant_id}/subscriptions/{sub['id']}"
    assert [(e["EventName"], e["ResourceUri"]) for e in endpoint.events()] == [("subscription-updated", API + "/v1" + path)]
    current = pc.get("/v1" + path).json()
    current["quantity"] = 12
    assert pc.patch("/v1" + path, json=current, headers={"If-Match": current["attributes"]["etag"]}).status_code == 200
    flush()
    assert [e["EventName"] for e in endpoint.events()] == ["subscription-updated"] * 2


def test_the_background_dispatcher_sends_without_a_flush(sandbox_config, endpoint, tmp_path):
    app = create_app({**sandbox_config, "SANDBOX_WEBHOOK_TRANSPORT": httpx.MockTransport(endpoint)})
    with httpx.Client(transport=InProcessTransport(app), timeout=10) as http:
        pc = PartnerCenter(http, fetch_token(http, app_user=True))
        _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ALL})
        _api(pc, "POST", "/webhooks/v1/registration/validationEvents")
        deadline = time.monotonic() + 5
        while not endpoint.received and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [e["EventName"] for e in endpoint.events()] == ["test-created"]


def test_a_process_forked_while_a_delivery_is_under_way_can_use_the_store(sandbox_config, tmp_path):
    """The RQ worker forks a work horse per job while the sandbox's delivery thread of the worker may be
    at work (it runs whenever a request of the worker's own kicks it, as the worker's start does). A
    child forked while that thread was inside the store took the thread's SQLite state along (its open
    connection and locks, which no thread of the child would ever release): the job's first step then
    waited on the sandbox's file until it failed, or for ever. The fork now waits for the delivery
    under way, so the child starts with the store free."""
    import os
    import signal
    import threading
    from datetime import timedelta

    from app.sandbox.store import _StoreConnection

    started, release = threading.Event(), threading.Event()
    holder: dict = {}

    def busy_endpoint(request: httpx.Request) -> httpx.Response:
        # The partner's endpoint, answered in this process (as the storefront's is in the worker): it
        # uses the same SQLite store while the delivery is under way.
        with holder["store"].tx() as tx:
            tx.set_meta("endpoint", "busy")
            started.set()
            release.wait(10)
        return httpx.Response(200)

    app = create_app({**sandbox_config, "SANDBOX_WEBHOOK_TRANSPORT": httpx.MockTransport(busy_endpoint)})
    holder["store"] = store = app.extensions["sandbox_store"]
    with httpx.Client(transport=InProcessTransport(app), timeout=10) as http:
        pc = PartnerCenter(http, fetch_token(http, app_user=True))
        _api(pc, "POST", "/webhooks/v1/registration", {"WebhookUrl": HOOK, "WebhookEvents": ALL})
        _api(pc, "POST", "/webhooks/v1/registration/validationEvents")
    assert started.wait(10), "the delivery thread did not start"
    threading.Timer(0.3, release.set).start()  # the endpoint answers a moment later, fork or not
    pid = os.fork()
    if pid == 0:  # the work horse: its first step uses the sandbox's store
        code = 1
        try:
            signal.alarm(20)  # a child that hangs dies rather than the test waiting for ever
            _StoreConnection.patience_seconds = 3.0
            store.advance_clock(timedelta(seconds=0))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the forked process could not use the sandbox's store"
