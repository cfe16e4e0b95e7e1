"""An htmx answer never eats what the buyer types while it is on its way.

Partner Center is made slow (the sandbox's slow fault) so that each check is still in flight
while the buyer keeps typing; when the answer lands, what was typed is still there.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts", "filled_carts")]

SLOW = 1.5  # seconds; below the timeout of a check a person waits on


@pytest.fixture
def sandbox(live_app):
    from app.connections.services import in_process_sandbox

    store = in_process_sandbox(live_app).extensions["sandbox_store"]
    yield store
    store.clear_faults()


def _to_service_step(page, base):
    sign_in_as(page, base, "reseller@example.com")
    page.goto(f"{base}/checkout/")
    page.get_by_label("Customer", exact=True).select_option(label="Fabrikam, Inc. (US)")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service details")).to_be_visible()


def test_typing_in_the_mpn_id_while_its_automatic_check_is_on_its_way(page, live_server, sandbox):
    sandbox.inject_fault("GET", "/v1/profiles/mpn", "slow", count=1, delay=SLOW)
    with page.expect_request("**/checkout/service/partner-id"):
        _to_service_step(page, live_server)
    # The prefilled partner ID is being checked (slowly); the buyer corrects it meanwhile.
    mpn = page.get_by_label("MPN ID")
    mpn.press("End")
    mpn.press_sequentially("89", delay=30)
    expect(page.locator("#readiness")).to_have_text("READY")  # the first check's answer has landed
    expect(mpn).to_have_value("123456789")
    expect(mpn).to_be_focused()


def test_typing_the_domain_while_the_existing_tenant_box_is_answered(page, live_server, sandbox):
    _to_service_step(page, live_server)
    prefix = page.get_by_label("Domain prefix")
    prefix.fill("fabri")
    sandbox.inject_fault("*", "/v1/domains", "slow", count=3, delay=SLOW)
    box = page.get_by_label("My customer is already using Office 365 service and he/she owns this domain")
    with page.expect_response("**/checkout/service/tenant-mode") as answered:
        box.check()
        prefix.focus()
        prefix.press("End")
        prefix.press_sequentially("kam", delay=40)  # typed while the box's answer is on its way
    assert answered.value.ok
    expect(page.get_by_label("Authorization link")).to_be_visible()  # the answer has been swapped in
    expect(prefix).to_have_value("fabrikam")
    expect(box).to_be_checked()
