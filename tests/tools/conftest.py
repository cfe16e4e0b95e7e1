"""Tools tests buy through the orders machinery against the sandbox (orders complete at once), then
act on Partner Center's side (the client, the sandbox's controls) to make the storefront's copy drift."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}
