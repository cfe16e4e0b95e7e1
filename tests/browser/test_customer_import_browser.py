"""Customer import in Chromium: the operator reads Partner Center's customers (the real worker, progress
pushed to the page), finds the two the storefront does not know, and imports the indirect one as a
licensee of its reseller."""
from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]

SEEDED_TENANTS = ("9d4c1a7e-3b2f-4e6d-8a5c-7f1e2d3c4b5a", "2a7b3c9d-5e1f-4a2b-8c3d-4e5f6a7b8c9d")


@pytest.fixture
def unknown_customers(live_app, live_worker):
    """The sandbox's seeded customers are unknown to the storefront again (another browser test may have
    imported them into this session's database)."""
    from app.accounts.models import Tenant
    from app.extensions import db
    from app.orders.models import OrderLine
    from app.subscriptions.models import Agreement, Subscription
    from app.tools.models import ImportCandidate, ReconciliationFinding

    with live_app.app_context():
        db.session.execute(db.delete(ReconciliationFinding))
        db.session.execute(db.delete(ImportCandidate))
        db.session.execute(db.update(OrderLine).values(subscription_id=None))
        db.session.execute(db.delete(Subscription).where(Subscription.tenant_id.in_(SEEDED_TENANTS)))
        db.session.execute(db.delete(Agreement).where(Agreement.tenant_id.in_(SEEDED_TENANTS)))
        db.session.execute(db.delete(Tenant).where(Tenant.tenant_id.in_(SEEDED_TENANTS)))
        db.session.commit()


def test_operator_reads_partner_center_customers_and_imports_an_indirect_one(page, live_server, unknown_customers):
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(live_server + "/admin/customer-import")
    page.get_by_role("button", name="Read Partner Center customers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customer import")
    expect(page.locator("#import-status")).to_have_text("Finished", timeout=30_000)  # pushed, not reloaded
    rows = page.locator("#candidates-table tbody tr[id]")
    expect(rows).to_have_count(2)
    alpine = page.locator("#candidates-table tr[data-domain='alpineskihouse.onmicrosoft.com']")
    expect(alpine.locator(".candidate-reseller")).to_contain_text("Adatum IT Services (1234567)")
    expect(alpine.get_by_label("Import into")).to_have_value(
        alpine.get_by_label("Import into").locator("option").first.get_attribute("value"))
    alpine.get_by_role("button", name="Import Alpine Ski House").click()
    expect(page.locator("#flash-region")).to_contain_text(
        "1 subscription imported into Alpine Ski House, a licensee of Adatum IT Services.")
    expect(rows).to_have_count(1)  # the list shows those still to import
    page.get_by_label("Show").select_option("imported")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#candidates-table tr[data-domain='alpineskihouse.onmicrosoft.com'] .imported")).to_contain_text(
        "a licensee of Adatum IT Services")
    # The CSV of what the list shows names where each went (read before the response streams: the live
    # server's database session is gone by then).
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert [row[0] for row in table[1:]] == ["Alpine Ski House"]
    assert table[1][8] == "Alpine Ski House of Adatum IT Services" and table[1][9] == "Nora Admin"
