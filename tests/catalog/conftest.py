"""Fixtures for the catalog tests: the sandbox's own store (to change what "Microsoft" sells between
syncs); the worker run is tests/conftest.py's run_worker; the products they name are in tests/support/catalog.py."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    # Partner Center retries quickly in tests (faults answer 500 several times).
    return {"PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.02}}

@pytest.fixture
def sandbox_catalog(monkeypatch):
    """Change the sandbox's catalog data (what Microsoft sells) for one test; restored afterwards."""
    from app.sandbox import catalog

    class Editor:
        def products(self):
            return catalog.PRODUCTS

        def set_products(self, products):
            monkeypatch.setattr(catalog, "PRODUCTS", products)
            monkeypatch.setattr(catalog, "_BY_ID", {p["id"].upper(): p for p in products})

    return Editor()
