"""Fixtures for the Partner Center client's contract tests.

Every test gets its own sandbox (a fresh SQLite store in tmp_path). The primary route is over
real HTTP: the sandbox served on a loopback port by werkzeug, reached through
``HostRewriteTransport`` (for the client and, through ``MsalHttpClient``, for MSAL) exactly as a
standalone sandbox would be. ``pc_inprocess`` uses ``InProcessTransport`` instead.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from app.partner_center import HostRewriteTransport, InProcessTransport, MsalHttpClient, PartnerCenterClient
from app.sandbox import create_app
from tests.partner_center.pc_support import instance

@pytest.fixture
def sbx(tmp_path):
    """A fresh sandbox WSGI app with its own data directory."""
    return create_app({"SANDBOX_DATA_DIR": str(tmp_path / "sandbox"), "SANDBOX_ORDER_DELAY_SECONDS": 5})


@pytest.fixture
def sbx_store(sbx):
    return sbx.extensions["sandbox_store"]


@pytest.fixture
def sbx_url(sbx):
    """The sandbox on a real loopback HTTP server; yields its base URL."""
    server = make_server("127.0.0.1", 0, sbx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def make_pc(sbx_url):
    """Factory: a fresh client over HTTP to the served sandbox (fresh MSAL app each time)."""
    made: list[PartnerCenterClient] = []

    def factory(base_url: str | None = None, **overrides) -> PartnerCenterClient:
        base = base_url or sbx_url
        client = PartnerCenterClient(
            instance(**overrides),
            transport=HostRewriteTransport(base),
            msal_http_client=MsalHttpClient(HostRewriteTransport(base)),
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def pc_client(make_pc) -> PartnerCenterClient:
    return make_pc()


@pytest.fixture
def pc_inprocess(sbx):
    client = PartnerCenterClient(
        instance(name="sandbox-inprocess"),
        transport=InProcessTransport(sbx),
        msal_http_client=MsalHttpClient(InProcessTransport(sbx)),
    )
    yield client
    client.close()
