"""Orders tests act as the checkout and as Microsoft; their helpers are in tests/support/orders.py."""
from __future__ import annotations

import pytest

from app.accounts.models import Account


@pytest.fixture
def app_config():
    # Orders complete as soon as Microsoft is asked; retries inside the client do not sleep long.
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


@pytest.fixture
def reseller(db, demo) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
