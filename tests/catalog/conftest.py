"""Fixtures for the catalog tests: the demo (with its synchronised sandbox catalog), the sandbox's
own store (to change what "Microsoft" sells between syncs), and a worker run."""
from __future__ import annotations

import pytest
from rq import SimpleWorker

from app.jobs import get_queue

BUSINESS_PREMIUM = "CFQ7TTC0LCHC"  # Microsoft 365 Business Premium, seats 1 to 300
BUSINESS_BASIC = "CFQ7TTC0LH18"    # monthly and 1-year terms only
FINANCE = "CFQ7TTC0LGX8"           # Dynamics 365 Finance: at least 20 seats, 1-year term only


@pytest.fixture
def app_config():
    # Partner Center retries quickly in tests (faults answer 500 several times).
    return {"PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.02}}


@pytest.fixture
def sandbox_store(demo):
    from app.connections.services import in_process_sandbox

    return in_process_sandbox(demo).extensions["sandbox_store"]


@pytest.fixture
def run_worker(redis):
    def run():
        SimpleWorker([get_queue()], connection=redis).work(burst=True)

    return run


@pytest.fixture
def sandbox_catalog(monkeypatch):
    """Change the sandbox's catalog data (what Microsoft sells) for one test; restored afterwards."""
    from app.partner_center.sandbox import catalog

    class Editor:
        def products(self):
            return catalog.PRODUCTS

        def set_products(self, products):
            monkeypatch.setattr(catalog, "PRODUCTS", products)
            monkeypatch.setattr(catalog, "_BY_ID", {p["id"].upper(): p for p in products})

    return Editor()
