"""Archive: the migrated history, read-only and marked, scoped to the signed-in account; invoices are
downloaded as they were imported."""
from __future__ import annotations

import base64
import json

import pytest

from app.migration.importer import EXAMPLE_FILE
from app.migration.models import ArchivedInvoice, ArchivedOrder
from tests.helpers import signed_in, soup


@pytest.fixture
def migrated_client(demo):
    """Mia Brewer, admin of the demo's Fourth Coffee Reseller (migrated from the example file)."""
    return signed_in(demo, "migrated@example.com")


def _example():
    with open(EXAMPLE_FILE, "rb") as fh:
        return json.loads(fh.read())["accounts"][0]


def _nav(client, url="/") -> list[str]:
    return [a.get_text() for a in soup(client.get(url)).select("nav[aria-label=Main] a")]


def test_the_migrated_account_reads_its_history_under_archive_marked_as_imported(migrated_client):
    assert "Archive" in _nav(migrated_client)
    page = soup(migrated_client.get("/archive"))
    assert page.select_one(".archive-mark").get_text(" ", strip=True).startswith("Imported from the previous portal.")
    orders = [[td.get_text(" ", strip=True) for td in row.select("td")] for row in page.select("#archive-orders tbody tr")]
    assert orders == [["PO-2025-0057", "2025-11-03", "Alpine Ski House", "Completed", "60.00 USD"],
                      ["PO-2025-0042", "2025-09-28", "Alpine Ski House", "Completed", "550.00 USD"]]
    invoices = [row.select("td")[0].get_text() for row in page.select("#archive-invoices tbody tr")]
    assert invoices == ["INV-2025-0057", "INV-2025-0042"]
    # Read-only: no form on the archive's pages, nothing to re-order.
    assert page.select("main form:not(.inline-form)") == []
    order_page = soup(migrated_client.get(page.select_one("#archive-orders a")["href"]))
    assert order_page.select_one(".archive-mark") is not None and order_page.select("main form:not(.inline-form)") == []
    assert [td.get_text() for td in order_page.select("#archive-order-lines td")][:2] == ["Exchange Online (Plan 1)", "15"]


def test_an_invoice_downloads_as_it_was_imported(migrated_client, db):
    record = _example()["invoices"]
    pdf = db.session.scalar(db.select(ArchivedInvoice).where(ArchivedInvoice.legacy_id == "LP-INV-4401"))
    page = soup(migrated_client.get(f"/archive/invoices/{pdf.id}"))
    assert page.select_one(".archive-mark") is not None
    response = migrated_client.get(page.select_one("#invoice-download")["href"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="INV-2025-0042.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == base64.b64decode(record[0]["document"]["base64"])
    # An invoice that came without a document is its record, as the file gave it.
    plain = db.session.scalar(db.select(ArchivedInvoice).where(ArchivedInvoice.legacy_id == "LP-INV-4402"))
    response = migrated_client.get(f"/archive/invoices/{plain.id}/document")
    assert response.mimetype == "application/json" and json.loads(response.data) == record[1]


def test_nothing_in_the_archive_can_be_changed(app, migrated_client, db):
    """The archive's routes answer GET only: there is nothing to post, edit or order again."""
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/archive")]
    assert len(routes) == 4 and all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in routes)
    order = db.session.scalar(db.select(ArchivedOrder).where(ArchivedOrder.legacy_id == "LP-ORD-4301"))
    assert migrated_client.post(f"/archive/orders/{order.id}", {}).status_code == 405


def test_another_reseller_gets_404_for_the_migrated_accounts_archive(demo, db, migrated_client):
    litware = signed_in(demo, "reseller2@example.com")
    order = db.session.scalar(db.select(ArchivedOrder).where(ArchivedOrder.legacy_id == "LP-ORD-4301"))
    invoice = db.session.scalar(db.select(ArchivedInvoice).where(ArchivedInvoice.legacy_id == "LP-INV-4401"))
    for url in (f"/archive/orders/{order.id}", f"/archive/invoices/{invoice.id}",
                f"/archive/invoices/{invoice.id}/document"):
        assert migrated_client.get(url).status_code == 200
        response = litware.get(url)
        assert response.status_code == 404 and b"PO-2025-0042" not in response.data, url
    # Its own archive is empty, and its navigation has no Archive (it was not migrated).
    page = soup(litware.get("/archive"))
    assert page.select("#archive-orders") == [] and page.select("#archive-invoices") == []
    assert "Archive" not in _nav(litware)


def test_the_operator_reads_every_accounts_archive(operator_client, db):
    page = soup(operator_client.get("/archive"))
    rows = [[td.get_text(" ", strip=True) for td in row.select("td")][:2] for row in page.select("#archive-orders tbody tr")]
    assert ["PO-2025-0042", "Fourth Coffee Reseller"] in rows
    invoice = db.session.scalar(db.select(ArchivedInvoice).where(ArchivedInvoice.legacy_id == "LP-INV-4401"))
    assert operator_client.get(f"/archive/invoices/{invoice.id}/document").status_code == 200
