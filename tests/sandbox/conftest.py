"""Fixtures for the Partner Center sandbox tests: one sandbox per test, with
its store in the test's tmp_path, reached through the in-process transport."""
from __future__ import annotations

import httpx
import pytest
from tests.sandbox.sandbox_support import PARTNER_API, PARTNER_API_SCOPE, PartnerCenter, fetch_token

from app.partner_center.routing import InProcessTransport
from app.sandbox import create_app


@pytest.fixture
def sandbox_config(tmp_path):
    return {"SANDBOX_DATA_DIR": str(tmp_path / "sandbox"), "SANDBOX_ORDER_DELAY_SECONDS": 5,
            "SANDBOX_PUBLIC_URL": "http://127.0.0.1:5050", "TESTING": True}


@pytest.fixture
def sandbox_app(sandbox_config):
    return create_app(sandbox_config)


@pytest.fixture
def sandbox_store(sandbox_app):
    return sandbox_app.extensions["sandbox_store"]


@pytest.fixture
def http(sandbox_app):
    with httpx.Client(transport=InProcessTransport(sandbox_app), timeout=30) as client:
        yield client


@pytest.fixture
def pc(http):
    """An App+User caller (the Secure Application Model refresh token)."""
    return PartnerCenter(http, fetch_token(http, app_user=True))


@pytest.fixture
def partner_api(http):
    """An App+User caller of the Partner API (api.partner.microsoft.com: the price sheet), with a
    token for that API's audience."""
    return PartnerCenter(http, fetch_token(http, app_user=True, scope=PARTNER_API_SCOPE), base=PARTNER_API)


@pytest.fixture
def partner_api_app_only(http):
    return PartnerCenter(http, fetch_token(http, app_user=False, scope=PARTNER_API_SCOPE), base=PARTNER_API)


@pytest.fixture
def pc_app_only(http):
    """An app-only caller (client credentials)."""
    return PartnerCenter(http, fetch_token(http, app_user=False))
