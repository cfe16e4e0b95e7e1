"""A migration file of one reseller and one direct customer, built per test so each can spoil a row."""
from __future__ import annotations

import base64
import json

import pytest

PDF = b"%PDF-1.4\n% an invoice of the previous portal\n%%EOF\n"


def migration_file(accounts: list[dict]) -> bytes:
    return json.dumps({"format": "legacy-portal-migration", "version": 1, "accounts": accounts}).encode()


@pytest.fixture
def reseller_record() -> dict:
    return {
        "legacy_id": "T-ACC-1", "kind": "reseller", "name": "Wingtip Partners", "country": "US",
        "state": "migrated", "email": "office@wingtip-partners.example.com",
        "address": {"line1": "1 Main Street", "city": "Boise", "state": "ID", "postal_code": "83702"},
        "users": [
            {"legacy_id": "T-USR-1", "email": "wanda@wingtip-partners.example.com", "first_name": "Wanda",
             "last_name": "Wing", "role": "admin"},
            {"legacy_id": "T-USR-2", "email": "walt@wingtip-partners.example.com", "first_name": "Walt",
             "last_name": "Tip"}],
        "licensees": [
            {"legacy_id": "T-LIC-1", "company_name": "Proseware, Inc.", "country": "US", "contact_first_name": "Pia",
             "contact_last_name": "Prose", "email": "it@proseware.example.com"}],
        "orders": [
            {"legacy_id": "T-ORD-1", "number": "PO-1", "date": "2025-05-02", "status": "Completed",
             "licensee": "T-LIC-1", "currency": "USD", "total": "120.00",
             "lines": [{"product": "Microsoft 365 Business Basic", "quantity": 20, "unit_price": "6.00"}]}],
        "invoices": [
            {"legacy_id": "T-INV-1", "number": "INV-1", "date": "2025-05-03", "currency": "USD", "total": 120,
             "status": "Paid", "orders": ["PO-1"],
             "document": {"filename": "INV-1.pdf", "content_type": "application/pdf",
                          "base64": base64.b64encode(PDF).decode()}},
            {"legacy_id": "T-INV-2", "number": "INV-2", "date": "2025-06-03", "currency": "USD", "total": "0.50"}],
    }


@pytest.fixture
def customer_record() -> dict:
    return {"legacy_id": "T-ACC-2", "kind": "customer", "name": "Margie's Travel", "country": "GB",
            "state": "scheduled", "scheduled_for": "2026-12-15",
            "users": [{"legacy_id": "T-USR-3", "email": "margie@margiestravel.example.com", "first_name": "Margie",
                       "last_name": "Travel", "role": "admin"}]}


@pytest.fixture
def as_file():
    """bytes of a migration file holding these account records."""
    return migration_file


@pytest.fixture
def pdf_bytes():
    return PDF
