"""The client's webhook operations over real HTTP against a served sandbox, and ``verify_event`` on a
delivery the sandbox really sent (to a real receiving server on loopback), with Microsoft's checks:
signature, certificate host, certificate organization."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.partner_center import APP, PartnerCenterError, WebhookRefused, certificate_hosts, verify_event
from app.partner_center.operations import operation_for

API = "https://api.partnercenter.microsoft.com"
WANTED = ["reseller-relationship-accepted-by-customer", "test-created"]


@pytest.fixture
def receiver():
    """The partner's endpoint on a loopback port: records every post."""
    received: list[tuple[bytes, dict]] = []

    @Request.application
    def app(request):
        received.append((request.get_data(), dict(request.headers)))
        return Response("OK")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_the_webhook_operations_are_app_only_as_documented():
    for method, path in [("GET", "/webhooks/v1/registration/events"), ("GET", "/webhooks/v1/registration"),
                         ("POST", "/webhooks/v1/registration"), ("PUT", "/webhooks/v1/registration"),
                         ("DELETE", "/webhooks/v1/registration"),
                         ("POST", "/webhooks/v1/registration/validationEvents"),
                         ("GET", "/webhooks/v1/registration/validationEvents/abc")]:
        op = operation_for(method, path)
        assert op.kind == APP and op.name != "unlisted", (method, path)
        assert op.doc.endswith("partner-center-webhooks")


def test_register_read_update_delete(pc_client, sbx_store, receiver):
    url, _ = receiver
    assert "indirect-reseller-relationship-accepted-by-customer" in pc_client.list_webhook_events()
    assert pc_client.get_webhook_registration() is None
    created = pc_client.register_webhook(url, WANTED)
    assert (created.url, created.events) == (url, tuple(WANTED))
    with pytest.raises(PartnerCenterError) as second:
        pc_client.register_webhook(url, WANTED)
    assert second.value.status == 409
    updated = pc_client.update_webhook_registration(url + "?v=2", ["test-created"])
    assert pc_client.get_webhook_registration() == updated
    pc_client.delete_webhook_registration()
    assert pc_client.get_webhook_registration() is None
    calls = [(c["method"], c["path"], c["status"]) for c in sbx_store.calls(path_prefix="/webhooks/")]
    assert ("POST", "/webhooks/v1/registration", 409) in calls and ("DELETE", "/webhooks/v1/registration", 204) in calls


def _wait_for(received, count=1):
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(received) >= count, "the sandbox delivered nothing"


def test_a_delivered_test_event_verifies_and_a_tampered_one_does_not(pc_client, receiver):
    url, received = receiver
    pc_client.register_webhook(url, WANTED)
    correlation_id = pc_client.send_test_webhook_event()
    _wait_for(received)
    body, headers = received[0]
    sandbox_hosts = certificate_hosts(API, microsoft=False)

    def verify(b, h, hosts=sandbox_hosts, organization="Partner Center sandbox"):
        return verify_event(b, h, fetch_certificate=pc_client.fetch_webhook_certificate, allowed_hosts=hosts,
                            organization=organization)

    event = verify(body, headers)
    assert event.name == "test-created"
    assert event.resource_uri == f"{API}/webhooks/v1/registration/validationEvents/{correlation_id}"
    deadline = time.monotonic() + 5
    while pc_client.get_test_webhook_event(correlation_id)["status"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pc_client.get_test_webhook_event(correlation_id)["status"] == "delivered"

    with pytest.raises(WebhookRefused, match="signature does not match"):
        verify(body.replace(b"test-created", b"test-updated"), headers)
    with pytest.raises(WebhookRefused, match="not a Partner Center host"):
        verify(body, headers, hosts=frozenset({"3psostorageacct.blob.core.windows.net"}))
    with pytest.raises(WebhookRefused, match="organization is not Microsoft Corporation"):
        verify(body, headers, organization="Microsoft Corporation")
    with pytest.raises(WebhookRefused, match="unsupported signature algorithm"):
        verify(body, {**headers, "X-Ms-Signature-Algorithm": "rsa-sha1"})


def test_live_trust_is_the_clouds_host_and_microsofts_certificate_host():
    assert certificate_hosts(API) == {"api.partnercenter.microsoft.com", "3psostorageacct.blob.core.windows.net"}
    assert certificate_hosts("https://partner.partnercenterapi.microsoftonline.cn", microsoft=False) == {
        "partner.partnercenterapi.microsoftonline.cn"}
