"""Existing tenants: the relationship link, the gate, Verify Authorization, the watching job and pushes."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app import live
from app.accounts.models import Licensee, utcnow
from app.checkout.jobs import poll_authorizations
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.checkout.gate import FAST_INTERVAL, MAX_INTERVAL, next_interval
from tests.helpers import refused, soup, text_of
from tests.support.sandbox import accept_relationship

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
OPERATOR_TENANT = "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c"


def _reseller_waits_on(c, db, prefix="fabrikam"):
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    c.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    c.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    response = c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": prefix,
                                                        "partner_id": "1234567"}, htmx=True)
    assert response.status_code == 200
    # The htmx answer carries only the parts that change; the page shows the whole step.
    return c.get("/checkout/service")


def test_ticking_the_box_answers_only_the_parts_that_change(reseller_client, db):
    """Never the inputs the buyer may be typing in: the domain prefix and the MPN ID stay as they are."""
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    reseller_client.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    response = reseller_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "fabrikam",
                                                                      "partner_id": "1234567"}, htmx=True)
    page = soup(response)
    assert page.select_one("#domain_prefix") is None and page.select_one("#partner_id") is None
    assert page.select_one("#existing-section #authorization-link") is not None
    assert page.select_one("#live-region")["hx-swap-oob"] == "true"
    assert page.select_one("#domain_prefix-hint")["hx-swap-oob"] == "true"


def test_ticking_the_box_shows_the_indirect_link_and_disables_checkout(reseller_client, db):
    response = _reseller_waits_on(reseller_client, db)
    page = soup(response)
    assert page.select_one("label[for=existing_tenant]").get_text() == (
        "My customer is already using Office 365 service and he/she owns this domain")
    link = page.select_one("#authorization-link")["value"]
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert parts.path == "/sandbox/Adminportal/Home" and parts.fragment == "/BillingAccounts/partner-invitation"
    assert query["invType"] == ["IndirectResellerRelationship"] and query["partnerId"] == [ADATUM_TENANT]
    assert query["msppId"] == ["1234567"] and query["indirectCSPId"] == [OPERATOR_TENANT]
    button = page.select_one("#checkout-button")
    assert button.get_text() == "Checkout" and button.has_attr("disabled")
    # Pushed over SSE; the page with a stream does not poll too (the poll URL is asked only if this
    # browser cannot open the stream).
    assert page.select_one("#live-region")["sse-connect"] == "/checkout/events"
    gate = page.select_one("#checkout-gate")
    assert page.select_one("#live-region")["sse-swap"] == "authorization"
    assert gate["hx-get"] == "/checkout/service/authorization" and gate["hx-trigger"] == "poll-instead"
    assert "Checkout is disabled until the customer's global administrator accepts" in page.select_one("#checkout-reason").get_text()
    mailto = page.find("a", string=lambda s: s and s.startswith("Email the link to"))
    assert mailto["href"].startswith("mailto:it@fabrikam.example.com?subject=") and "Adminportal" in mailto["href"]
    assert page.find("button", string="Copy link") is not None
    assert page.find("button", string="Verify Authorization") is not None


def test_direct_customer_gets_the_operator_link(customer_client, db):
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y",
                                                           "domain_prefix": "wingtiptoys"}, htmx=True)
    page = soup(customer_client.get("/checkout/service"))
    assert page.select_one("label[for=existing_tenant]").get_text() == (
        "I am already using Office 365 service and I own this domain")
    query = parse_qs(urlsplit(page.select_one("#authorization-link")["value"]).query)
    assert query["invType"] == ["ResellerRelationship"] and query["partnerId"] == [OPERATOR_TENANT]
    assert page.select_one("#checkout-button").has_attr("disabled")


def test_a_direct_customer_waits_for_its_own_global_administrator_not_a_customers(customer_client, db):
    """A direct customer is the customer: the gate and Verify Authorization speak of its own global
    administrator and tenant, as the steps above them do, not of "the customer's"."""
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "wingtiptoys"},
                         htmx=True)
    page = soup(customer_client.get("/checkout/service"))
    assert page.select_one("#checkout-reason").get_text() == (
        "Checkout is disabled until your global administrator accepts the authorization for "
        "wingtiptoys.onmicrosoft.com. Waiting for Microsoft…")
    dialog = soup(customer_client.get("/checkout/service/verify", headers={"HX-Request": "true"}))
    assert dialog.select_one("[role=dialog] p").get_text().startswith("Enter your tenant's default domain.")
    assert dialog.select_one("label[for=default_domain]").get_text() == "Your tenant's default domain"
    response = customer_client.post("/checkout/service/verify", {"default_domain": " "}, htmx=True)
    refused(response, errors={"default_domain": "Enter your tenant's default domain."})
    assert "customer's" not in text_of(response)


def test_verify_before_acceptance_says_not_completed_then_verifies_after(reseller_client, db, app):
    _reseller_waits_on(reseller_client, db)
    dialog = reseller_client.get("/checkout/service/verify", headers={"HX-Request": "true"})
    page = soup(dialog)
    assert page.select_one("[role=dialog]")["aria-modal"] == "true"
    assert page.select_one("#default_domain")["value"] == "fabrikam.onmicrosoft.com"
    early = reseller_client.post("/checkout/service/verify", {"default_domain": "fabrikam.onmicrosoft.com"}, htmx=True)
    assert "The authorization has not been completed yet" in soup(early).select_one("[role=dialog] [role=alert]").get_text()
    draft = db.session.scalar(db.select(CheckoutDraft))
    accept_relationship(app, draft.authorization_link, "fabrikam.onmicrosoft.com")
    done = reseller_client.post("/checkout/service/verify", {"default_domain": "fabrikam.com"}, htmx=True)
    assert done.headers["HX-Trigger"] == "authorization-changed"
    gate = soup(done).select_one("#live-region[hx-swap-oob] #checkout-gate")
    assert "Authorization verified" in gate.get_text() and not gate.select_one("#checkout-button").has_attr("disabled")
    db.session.expire_all()
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert draft.authorization_status == "verified" and draft.default_domain == "fabrikam.com"
    assert draft.tenant_id == "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"
    # Checkout now goes on.
    response = reseller_client.post("/checkout/service", {"partner_id": "1234567", "existing_tenant": "y",
                                                          "domain_prefix": "fabrikam"})
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/company"


def test_once_verified_the_service_step_no_longer_asks_for_the_acceptance(reseller_client, db, app):
    """The step shown again after the acceptance (reloaded, as the steps say to do without JavaScript):
    the panel says the customer has authorized the reseller, with no steps asking to wait for it or to
    press a Verify Authorization that is no longer offered; the GDAP choice stays."""
    _reseller_waits_on(reseller_client, db)
    draft = db.session.scalar(db.select(CheckoutDraft))
    accept_relationship(app, draft.authorization_link, "fabrikam.onmicrosoft.com")
    assert poll_authorizations()["verified"] == 1
    page = soup(reseller_client.get("/checkout/service"))
    panel = page.select_one("#authorization-instructions")
    assert panel.select_one("#auth-heading").get_text() == "Fabrikam, Inc. has authorized Adatum IT Services as its partner"
    assert panel.select_one("ol.instructions") is None and "Verify Authorization" not in panel.get_text()
    assert panel.select_one("#gdap-request") is not None
    assert "Authorization verified" in page.select_one("#checkout-gate").get_text()


def test_verify_needs_a_domain(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    response = reseller_client.post("/checkout/service/verify", {"default_domain": ""}, htmx=True)
    assert response.status_code == 422
    assert soup(response).select_one("#default_domain-error").get_text() == "Enter the customer's default domain."


def test_checkout_stays_refused_while_waiting(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    response = reseller_client.post("/checkout/service", {"partner_id": "1234567", "existing_tenant": "y",
                                                          "domain_prefix": "fabrikam"})
    assert response.status_code == 200
    assert soup(response).select_one("#checkout-button").has_attr("disabled")
    assert db.session.scalar(db.select(CheckoutDraft)).completed_steps == ["customer"]


def test_the_job_notices_acceptance_and_pushes_to_the_open_page(reseller_client, db, app, redis):
    _reseller_waits_on(reseller_client, db)
    draft = db.session.scalar(db.select(CheckoutDraft))
    assert poll_authorizations()["checked"] == 1  # not yet
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(live.channel("checkout", draft.id))
    accept_relationship(app, draft.authorization_link, "fabrikam.onmicrosoft.com")
    watch = db.session.scalar(db.select(AuthorizationWatch))
    watch.next_check_at = utcnow()  # due now
    db.session.commit()
    assert poll_authorizations()["verified"] == 1
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
    assert json.loads(message["data"]) == {"event": "authorization"}
    db.session.expire_all()
    assert db.session.get(CheckoutDraft, draft.id).authorization_status == "verified"
    status = reseller_client.get("/checkout/service/authorization", headers={"HX-Request": "true"})
    assert not soup(status).select_one("#checkout-button").has_attr("disabled")


# Another thread reads and writes the database: it sees only committed data.
@pytest.mark.commits
def test_the_event_stream_sends_the_fresh_gate(reseller_client, db, app):
    _reseller_waits_on(reseller_client, db)
    draft = db.session.scalar(db.select(CheckoutDraft))

    def publish_soon():
        time.sleep(0.5)
        with app.app_context():
            d = db.session.get(CheckoutDraft, draft.id)
            d.authorization_status, d.tenant_id = "verified", "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"
            db.session.commit()
            live.publish("checkout", draft.id, "authorization")

    threading.Thread(target=publish_soon).start()
    received = reseller_client.event_stream(
        "/checkout/events", until=lambda text: "event: authorization" in text and "Authorization verified" in text)
    assert "event: authorization\ndata: " in received
    assert 'id="checkout-gate"' in received


def test_one_call_per_tenant_however_many_checkouts_wait(reseller_client, customer_client, db, app, sandbox_store):
    _reseller_waits_on(reseller_client, db)
    customer_client.post("/checkout/customer", {})
    customer_client.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "fabrikam"}, htmx=True)
    assert db.session.scalar(db.select(db.func.count(AuthorizationWatch.id))) == 1
    for watch in db.session.scalars(db.select(AuthorizationWatch)):
        watch.next_check_at = utcnow()
    db.session.commit()
    sandbox_store.clear_calls()
    poll_authorizations()
    assert len(sandbox_store.calls(method="GET", path="/v1/customers")) == 1


def test_schedule_starts_fast_and_backs_off():
    start = utcnow()
    watch = AuthorizationWatch(domain="x.onmicrosoft.com", started_at=start, interval_seconds=FAST_INTERVAL)
    assert next_interval(watch, start + timedelta(seconds=30)) == FAST_INTERVAL
    later = start + timedelta(minutes=5)
    intervals = []
    for _ in range(10):
        watch.interval_seconds = next_interval(watch, later)
        intervals.append(watch.interval_seconds)
    assert intervals[:3] == [4.0, 8.0, 16.0] and intervals[-1] == MAX_INTERVAL


def test_throttling_is_respected(reseller_client, db, sandbox_store):
    _reseller_waits_on(reseller_client, db)
    sandbox_store.inject_fault("GET", "/v1/customers", "429", count=10, retry_after=120)
    before = utcnow()
    poll_authorizations()
    watch = db.session.scalar(db.select(AuthorizationWatch))
    assert watch.next_check_at >= before + timedelta(seconds=119)
    assert "429" in watch.last_error or "Rate" in watch.last_error


def test_the_watch_stops_when_the_checkout_is_abandoned(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    reseller_client.get("/checkout/service")
    assert reseller_client.post("/checkout/cancel", {"confirmed": "yes"}).status_code == 303
    watch = db.session.scalar(db.select(AuthorizationWatch))
    watch.next_check_at = utcnow()
    db.session.commit()
    assert poll_authorizations()["stopped"] == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(AuthorizationWatch)).status == "stopped"


def test_the_watch_stops_after_seven_days(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    watch = db.session.scalar(db.select(AuthorizationWatch))
    watch.started_at = utcnow() - timedelta(days=7, minutes=1)
    watch.next_check_at = utcnow()
    db.session.commit()
    assert poll_authorizations()["stopped"] == 1


def test_without_javascript_the_verify_button_is_a_page(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    page = reseller_client.get("/checkout/service/verify")
    assert soup(page).select_one("h1").get_text() == "Verify Authorization"
    response = reseller_client.post("/checkout/service/verify", {"default_domain": "fabrikam.onmicrosoft.com"})
    assert response.status_code == 200 and "not been completed yet" in text_of(response)


def test_once_verified_the_line_beside_the_prefix_no_longer_asks_for_the_acceptance(reseller_client, db, app):
    """Typing the prefix says "fabrikam.onmicrosoft.com is registered with Microsoft. Its global administrator must
    accept the partner relationship (see below)." Once the acceptance arrived (pushed, polled, or Verify
    Authorization), the section below said "Fabrikam, Inc. has authorized …" and "Authorization verified", while
    that line beside the prefix still asked for the acceptance. The answers that end the wait now clear it."""
    _reseller_waits_on(reseller_client, db)
    typed = soup(reseller_client.post("/checkout/service/domain", {"domain_prefix": "fabrikam"}, htmx=True))
    assert "must accept the partner relationship" in typed.select_one("#domain-status").get_text()
    draft = db.session.scalar(db.select(CheckoutDraft))
    accept_relationship(app, draft.authorization_link, "fabrikam.onmicrosoft.com")
    done = soup(reseller_client.post("/checkout/service/verify", {"default_domain": "fabrikam.onmicrosoft.com"},
                                     htmx=True))
    assert "Authorization verified" in done.select_one("#checkout-gate").get_text()
    line = done.select_one("#domain-status[hx-swap-oob]")
    assert line is not None and line.get_text(strip=True) == ""
    # The poll (or push) that brings the last gate says the same.
    polled = soup(reseller_client.get("/checkout/service/authorization", headers={"HX-Request": "true"}))
    assert "Authorization verified" in polled.select_one("#checkout-gate").get_text()
    line = polled.select_one("#domain-status[hx-swap-oob]")
    assert line is not None and line.get_text(strip=True) == ""
    # The step shown again has no such line either.
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#domain-status").get_text(strip=True) == ""
