"""Fixtures for the checkout tests."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _something_to_buy(something_to_buy):
    """Every buyer a checkout test signs in as starts with something in the cart (tests/conftest.py)."""

