"""Subscriptions tests buy through the orders machinery against the sandbox, then move the
sandbox's clock (Partner Center's time) and act as a person would on the pages."""
from __future__ import annotations

import pytest

from tests.support.subscriptions import buy


@pytest.fixture
def app_config():
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


@pytest.fixture
def bought(demo, db):
    [sub] = buy(db)
    return sub
