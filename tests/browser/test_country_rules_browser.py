"""A licensee's form follows the chosen country's rules as the reseller picks it: the state field is
"State or province (optional)" where Microsoft does not require a state (Poland), plain where it does
(the United States), without reloading the page or losing what was typed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = pytest.mark.browser


def test_the_state_label_changes_with_the_country(page, live_server):
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/settings/licensees/new")
    page.get_by_label("Company name").fill("Northwind Traders")
    state = page.locator("label[for=state]")
    page.get_by_label("Country").select_option(label="Poland")
    expect(state).to_have_text("State or province (optional)")
    page.get_by_label("Country").select_option(label="United States")
    expect(state).to_have_text("State or province")
    page.get_by_label("State or province").fill("WA")  # the label still names its field
    page.get_by_label("Country").select_option(label="Poland")
    expect(state).to_have_text("State or province (optional)")
    expect(page.get_by_label("Company name")).to_have_value("Northwind Traders")
    expect(page.get_by_label("State or province (optional)")).to_have_value("WA")
