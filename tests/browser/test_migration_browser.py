"""A migration in Chromium, as people would do it: the operator admin uploads a migration file under
Partners > Migration and reads the job's report; the migrated user gets the invitation mail (over SMTP,
in the sandbox's mailbox), joins, is prompted to enroll in the CSP Partner Program, and reads the
account's Archive, marked as imported, downloading an invoice exactly as it was imported."""
from __future__ import annotations

import base64
import importlib
import json

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in_as

onboarding = importlib.import_module("tests.browser.test_onboarding_browser")

pytestmark = [pytest.mark.browser]

PDF = b"%PDF-1.4\n% invoice INV-WWI-7 of the previous portal\n%%EOF\n"
FILE = {"format": "legacy-portal-migration", "version": 1, "accounts": [{
    "legacy_id": "BR-ACC-1", "kind": "reseller", "name": "Wide World Importers Reseller", "country": "US",
    "state": "migrated",
    "users": [{"legacy_id": "BR-USR-1", "email": "wwi-admin@example.com", "first_name": "Wendy",
               "last_name": "Wide", "role": "admin"},
              {"legacy_id": "BR-USR-2", "email": "not-an-address", "first_name": "No", "last_name": "Mail"}],
    "orders": [{"legacy_id": "BR-ORD-1", "number": "PO-WWI-7", "date": "2025-08-14", "status": "Completed",
                "customer_name": "Relecloud", "currency": "USD", "total": "88.00",
                "lines": [{"product": "Microsoft 365 E3", "quantity": 2, "unit_price": "44.00"}]}],
    "invoices": [{"legacy_id": "BR-INV-1", "number": "INV-WWI-7", "date": "2025-08-15", "currency": "USD",
                  "total": "88.00", "status": "Paid", "orders": ["PO-WWI-7"],
                  "document": {"filename": "INV-WWI-7.pdf", "content_type": "application/pdf",
                               "base64": base64.b64encode(PDF).decode()}}]}]}


def test_a_migrated_user_gets_the_invitation_joins_and_reads_the_archive(page, browser, live_server, live_worker,
                                                                         tmp_path):
    base = live_server
    sign_in_as(page, base, "admin@example.com")
    onboarding.open_in_nav(page, "Partners", "Migration")
    path = tmp_path / "legacy-portal.json"
    path.write_text(json.dumps(FILE))
    page.get_by_label("Migration file (JSON)").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Migration import")
    # The worker imports it; the result fragment polls until the report is there.
    expect(page.locator("#run-summary")).to_have_text(
        "Import finished: 4 created, 0 updated, 0 unchanged, 1 refused.", timeout=30_000)
    expect(page.locator("#run-report tr.outcome-refused")).to_contain_text("is not an email address")

    wendy_context = browser.new_context(accept_downloads=True)
    try:
        wendy = wendy_context.new_page()
        wendy.set_default_timeout(10_000)
        # The email that the account moved reached her mailbox too.
        wendy.goto(f"{base}/sandbox/mail?to=wwi-admin@example.com")
        moved = wendy.get_by_role("link", name="Wide World Importers Reseller has moved to the new storefront")
        for _ in range(60):
            if moved.count():
                break
            wendy.wait_for_timeout(500)
            wendy.reload()
        expect(moved).to_have_count(1)
        onboarding.accept_invitation(wendy, base, "wwi-admin@example.com", "Wide World Importers Reseller",
                                     "Wendy Wide")

        prompt = wendy.get_by_role("region", name="CSP Partner Program")
        expect(prompt).to_contain_text("Enroll in the CSP Partner Program before ordering CSP products.")
        expect(prompt.get_by_role("link", name="Enroll in the CSP Partner Program")).to_be_visible()

        wendy.get_by_role("navigation", name="Main").get_by_role("link", name="Archive").click()
        expect(wendy.get_by_role("heading", level=1)).to_have_text("Archive")
        expect(wendy.locator(".archive-mark")).to_contain_text("Imported from the previous portal.")
        expect(wendy.locator("#archive-orders")).to_contain_text("PO-WWI-7")
        expect(wendy.locator("#archive-orders")).to_contain_text("Relecloud")
        wendy.get_by_role("link", name="PO-WWI-7").click()
        expect(wendy.get_by_role("heading", level=1)).to_have_text("Order PO-WWI-7")
        # Nothing to change or re-order: the only forms are the notices' Hide buttons.
        expect(wendy.locator("main form:not(.inline-form)")).to_have_count(0)
        expect(wendy.locator("main form.inline-form button")).to_have_text(["Hide the enrollment prompt"])
        wendy.get_by_role("link", name="INV-WWI-7").click()
        with wendy.expect_download() as download_info:
            wendy.get_by_role("link", name="Download INV-WWI-7.pdf").click()
        download = download_info.value
        assert download.suggested_filename == "INV-WWI-7.pdf"
        with open(download.path(), "rb") as fh:
            assert fh.read() == PDF
    finally:
        wendy_context.close()
