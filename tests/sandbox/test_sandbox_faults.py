"""Fault controls (429, 500, slow), the /_sandbox JSON controls and the admin page."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.sandbox.sandbox_support import (FABRIKAM, customer_body, hidden_fields,
                                                          new_customer_ready_to_buy, purchase)


def test_throttling_answers_429_with_retry_after_for_the_next_n_calls(pc, sandbox_store):
    sandbox_store.inject_fault("GET", "/v1/customers", "throttle", count=2, retry_after=7)
    for _ in range(2):
        response = pc.get("/v1/customers")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json() == {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}
    assert pc.get("/v1/customers").status_code == 200
    # Other methods and paths were never affected.
    assert sandbox_store.faults() == []


def test_fault_matches_method_and_path_prefix(pc, sandbox_store):
    sandbox_store.inject_fault("POST", "/v1/customers", "throttle", count=1, retry_after=3)
    assert pc.get("/v1/customers").status_code == 200
    assert pc.get("/v1/products", params={"country": "US", "targetView": "OnlineServices"}).status_code == 200
    assert pc.post("/v1/customers", json=customer_body("afterfault")).status_code == 429
    assert pc.post("/v1/customers", json=customer_body("afterfault")).status_code == 201


def test_server_error_fault_changes_nothing(pc, sandbox_store):
    before = len(sandbox_store.documents("tenant"))
    sandbox_store.inject_fault("*", "/v1/customers", "500", count=1)
    response = pc.post("/v1/customers", json=customer_body("errorco"))
    assert response.status_code == 500
    assert response.json()["source"] == "PartnerCenter"
    assert len(sandbox_store.documents("tenant")) == before
    assert [c["status"] for c in sandbox_store.calls(method="POST", path="/v1/customers")] == [500]


def test_slow_fault_times_out_the_client_after_the_work_was_done(pc, sandbox_store):
    sandbox_store.inject_fault("POST", "/v1/customers", "slow", count=1, delay=0.6)
    request_id = "cccccccc-0000-0000-0000-000000000001"
    with pytest.raises(httpx.ReadTimeout):
        pc.post("/v1/customers", json=customer_body("slowco"), request_id=request_id,
                timeout=httpx.Timeout(5, read=0.3))
    # The sandbox processed it: the tenant exists and the call was answered 201.
    created = sandbox_store.tenant_by_domain("slowco.onmicrosoft.com")
    assert created is not None
    assert [c["status"] for c in sandbox_store.calls(method="POST", path="/v1/customers")] == [201]
    # The client's retry with the same MS-RequestId gets the first answer, nothing new is created.
    retry = pc.post("/v1/customers", json=customer_body("slowco"), request_id=request_id)
    assert retry.status_code == 201
    assert retry.json()["id"] == created["id"]
    assert len([t for t in sandbox_store.documents("tenant") if t["domain"] == "slowco.onmicrosoft.com"]) == 1


def test_slow_answer_within_the_timeout_is_just_slow(pc, sandbox_store):
    sandbox_store.inject_fault("GET", "/v1/customers", "slow", count=1, delay=0.2)
    assert pc.get("/v1/customers", timeout=httpx.Timeout(5)).status_code == 200


def test_fault_kinds_are_validated(sandbox_store):
    with pytest.raises(ValueError):
        sandbox_store.inject_fault("GET", "/v1/", "teapot")
    with pytest.raises(ValueError):
        sandbox_store.inject_fault("GET", "/v1/", "slow")


def test_json_controls(http, pc, sandbox_store):
    base = "https://api.partnercenter.microsoft.com/_sandbox"
    added = http.post(f"{base}/faults", json={"method": "GET", "pathPrefix": "/v1/customers",
                                               "kind": "throttle", "count": 1, "retryAfter": 9})
    assert added.status_code == 201
    assert http.get(f"{base}/faults").json()["items"][0]["retryAfter"] == 9
    assert pc.get("/v1/customers").headers["Retry-After"] == "9"

    tenant_id = new_customer_ready_to_buy(pc, "controlco")
    assert http.post(f"{base}/customers/{tenant_id}/review", json={"underReview": True}).status_code == 200
    assert sandbox_store.document("tenant", tenant_id)["underReview"] is True
    assert http.post(f"{base}/customers/{tenant_id}/review", json={"underReview": False}).json()[
        "underReview"] is False

    before = sandbox_store.now()
    moved = http.post(f"{base}/clock/advance", json={"days": 2, "hours": 3}).json()
    assert moved["offsetSeconds"] == pytest.approx(2 * 86400 + 3 * 3600)
    assert (sandbox_store.now() - before).total_seconds() >= 2 * 86400 + 3 * 3600
    assert http.post(f"{base}/clock/reset").json()["offsetSeconds"] == 0

    calls = http.get(f"{base}/calls", params={"method": "POST", "path": "/v1/customers"}).json()
    assert calls["totalCount"] == 1
    assert calls["items"][0]["status"] == 201
    assert calls["items"][0]["requestId"]
    # The controls themselves are not logged as API calls.
    assert sandbox_store.calls(path_prefix="/_sandbox") == []

    assert http.post(f"{base}/reset").status_code == 200
    assert sandbox_store.document("tenant", tenant_id) is None
    assert sandbox_store.document("tenant", FABRIKAM) is not None
    assert sandbox_store.calls() == []


def test_admin_page_forms(sandbox_app, sandbox_store):
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        for form in page.select("form"):
            assert form["method"] == "post"
            assert form.select_one("button").get_text(strip=True)
        fault_form = page.select_one("#faults form")
        assert page.find("label", attrs={"for": "fault-path"}).get_text(strip=True) == "Path prefix"
        token = hidden_fields(fault_form)
        assert token["sandbox_csrf"]
        response = browser.post(fault_form["action"], data={
            **token, "method": "POST", "pathPrefix": "/v1/customers", "kind": "throttle", "count": "2",
            "retryAfter": "5"},
            follow_redirects=True)
        assert response.status_code == 200
        assert sandbox_store.faults()[0]["remaining"] == 2
        browser.post(page.select_one("#review form")["action"], data={**token, "tenantId": FABRIKAM,
                                                                      "underReview": "true"})
        assert sandbox_store.document("tenant", FABRIKAM)["underReview"] is True
        browser.post(page.select_one("#clock form")["action"], data={**token, "days": "3", "hours": "0",
                                                                     "action": "advance"})
        assert sandbox_store.clock_offset().total_seconds() == pytest.approx(3 * 86400)
        browser.post(page.select_one("#clock form")["action"], data={**token, "action": "reset"})
        assert sandbox_store.clock_offset().total_seconds() == 0


def test_admin_page_forms_without_the_sandbox_token_are_refused(sandbox_app, sandbox_store):
    """Run alone, the controls are open (a development tool), but a forged form still does nothing."""
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        action = page.select_one("#clock form")["action"]
        refused = browser.post(action, data={"days": "3", "hours": "0", "action": "advance"})
        assert refused.status_code == 400
        assert BeautifulSoup(refused.data, "html.parser").select_one(".problem[role=alert]")
        wrong = browser.post(action, data={"sandbox_csrf": "x" * 43, "days": "3", "action": "advance"})
        assert wrong.status_code == 400
    with sandbox_app.test_client() as other_browser:
        stolen = hidden_fields(page.select_one("#clock form"))
        assert other_browser.post(action, data={**stolen, "days": "3", "action": "advance"}).status_code == 400
    assert sandbox_store.clock_offset().total_seconds() == 0


def test_every_sandbox_page_says_it_is_a_simulation(sandbox_app):
    with sandbox_app.test_client() as browser:
        for path in ("/", "/_sandbox/admin",
                     "/Adminportal/Home?invType=ResellerRelationship&partnerId=someone-else&msppId=0&DAP=false"):
            banner = BeautifulSoup(browser.get(path).data, "html.parser").select_one("#simulation-banner")
            assert banner is not None, path
            assert banner.get_text(" ", strip=True).startswith(
                "Simulation: this is the Partner Center sandbox, not Microsoft."), path


def test_overview_shows_what_microsoft_received(pc, sandbox_app, sandbox_store):
    tenant_id = new_customer_ready_to_buy(pc, "overviewco")
    sub = purchase(pc, sandbox_store, tenant_id, quantity=7)
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/").data, "html.parser")
    row = page.select_one(f'#tenants tr[data-tenant-id="{tenant_id}"]')
    assert "overviewco.onmicrosoft.com" in row.get_text()
    assert "reseller since" in row.get_text()
    assert "MicrosoftCustomerAgreement" in page.select_one("#agreements").get_text()
    assert "completed" in page.select_one("#orders").get_text()
    assert sub["id"] in page.select_one("#subscriptions").get_text()


def test_wipe_and_reseed_asks_first_in_both_modes(sandbox_app, sandbox_store, pc):
    """Wiping cannot be undone: with JavaScript the button's dialog asks and the post carries
    confirmed=yes; without, the post opens a page that says what goes and what stays."""
    tenant_id = new_customer_ready_to_buy(pc, "wipeco")
    sandbox_store.advance_clock(timedelta(days=2))
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        form = page.select_one("#reset form")
        assert form["data-confirm"].startswith("Wipe the sandbox and seed it again?")
        assert "window.confirm(this.dataset.confirm)" in form["onsubmit"]
        assert "this.elements.confirmed.value = 'yes'" in form["onsubmit"]
        fields = hidden_fields(form)
        assert fields["confirmed"] == ""  # what the post carries without JavaScript

        asked = browser.post(form["action"], data=fields)
        assert asked.status_code == 200
        asking = BeautifulSoup(asked.data, "html.parser")
        assert asking.select_one("h1").get_text() == "Wipe the sandbox and seed it again?"
        consequences = " ".join(asking.select_one("#reset-consequences").get_text(" ").split())
        assert consequences.startswith("Deleted: 6 customer tenants,")
        assert "The clock goes back to real time (it is 48.0 hours ahead)." in consequences
        assert asking.select_one("#confirm-reset button").get_text() == "Wipe and reseed the sandbox"
        assert asking.select_one("#confirm-reset a").get_text() == "Keep the sandbox as it is"
        assert sandbox_store.document("tenant", tenant_id) is not None  # nothing wiped yet

        done = browser.post(asking.select_one("#confirm-reset")["action"], data=hidden_fields(
            asking.select_one("#confirm-reset")), follow_redirects=True)
        assert "Sandbox wiped and reseeded." in done.get_data(as_text=True)
    assert sandbox_store.document("tenant", tenant_id) is None
    assert sandbox_store.clock_offset().total_seconds() == 0


def test_a_control_refused_says_why_at_its_field_keeping_what_was_typed(sandbox_app, sandbox_store):
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        form = page.select_one("#faults form")
        refused = browser.post(form["action"], data={**hidden_fields(form), "method": "PATCH",
                                                     "pathPrefix": "/v1/customers/x/subscriptions", "kind": "slow",
                                                     "count": "3", "retryAfter": "30", "delay": ""})
        assert refused.status_code == 422
        again = BeautifulSoup(refused.data, "html.parser")
        delay = again.select_one("#fault-delay")
        assert delay["aria-invalid"] == "true"
        assert again.select_one(f"#{delay['aria-describedby']}").get_text() == (
            "Enter the delay in seconds, like 2.5: a late answer needs one.")
        assert again.select_one("#problem-summary a")["href"] == "#fault-delay"
        assert again.select_one("#fault-path")["value"] == "/v1/customers/x/subscriptions"
        assert again.select_one("#fault-count")["value"] == "3"
        assert again.select_one("#fault-method option[selected]").get_text() == "PATCH"
        assert again.select_one("#fault-kind option[selected]")["value"] == "slow"
        assert again.select_one("#webhook-fault-count")["value"] == "1"  # the other forms as they were
        assert sandbox_store.faults() == []

        clock = page.select_one("#clock form")
        refused = browser.post(clock["action"], data={**hidden_fields(clock), "days": "-2", "hours": "5",
                                                      "action": "advance"})
        assert refused.status_code == 422
        again = BeautifulSoup(refused.data, "html.parser")
        assert again.select_one("#clock-days-error").get_text() == "Days must be a whole number, 0 or more."
        assert (again.select_one("#clock-days")["value"], again.select_one("#clock-hours")["value"]) == ("-2", "5")
    assert sandbox_store.clock_offset().total_seconds() == 0


def test_the_overview_says_when_a_table_is_empty(sandbox_app):
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/").data, "html.parser")
    for section in ("agreements", "orders"):  # a fresh sandbox holds none
        assert [td.get_text() for td in page.select(f"#{section} tbody td")] == ["None yet."], section
    assert page.select_one("#tenants tr.empty") is None


def test_the_call_log_says_its_times_are_real_time_when_the_clock_is_moved(sandbox_app, sandbox_store, pc):
    pc.get("/v1/customers")
    with sandbox_app.test_client() as browser:
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
        assert page.select_one("#calls th").get_text() == "When (UTC)" and page.select_one("#calls-clock") is None
        first = page.select_one("#calls tbody td").get_text()
        assert "T" not in first and first[:10] == sandbox_store.calls()[-1]["at"][:10]
        sandbox_store.advance_clock(timedelta(days=2))
        page = BeautifulSoup(browser.get("/_sandbox/admin").data, "html.parser")
    assert page.select_one("#calls th").get_text() == "When (UTC, real time)"
    assert page.select_one("#calls-clock").get_text() == (
        "Logged in real time, not by the sandbox clock (which is 48.0 hours ahead).")
