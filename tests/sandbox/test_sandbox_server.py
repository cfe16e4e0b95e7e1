"""The sandbox served on a real loopback port, standalone and mounted under
/sandbox with DispatcherMiddleware: it answers as it does in-process."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import httpx
import msal
import pytest
from bs4 import BeautifulSoup
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from app.partner_center.routing import HostRewriteTransport, MsalHttpClient
from app.sandbox import create_app
from tests.sandbox.sandbox_support import (AUTHORITY, CLIENT_ID, CLIENT_SECRET, FABRIKAM,
                                                          REFRESH_TOKEN, SCOPE, TENANT_ID, PartnerCenter,
                                                          customer_body, fetch_token)


class Served:
    """A WSGI app on 127.0.0.1:<free port>, in a thread."""

    def __init__(self):
        self.app = None
        self.server = make_server("127.0.0.1", 0, lambda env, start: self.app(env, start), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self, app):
        self.app = app
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def standalone(tmp_path):
    served = Served()
    app = create_app({"SANDBOX_DATA_DIR": str(tmp_path / "standalone"), "SANDBOX_PUBLIC_URL": served.url})
    served.start(app)
    yield served, app
    served.stop()


@pytest.fixture
def mounted(tmp_path):
    served = Served()
    sandbox = create_app({"SANDBOX_DATA_DIR": str(tmp_path / "mounted"),
                          "SANDBOX_PUBLIC_URL": served.url + "/sandbox"})
    storefront = Response("storefront", mimetype="text/plain")
    served.start(DispatcherMiddleware(storefront, {"/sandbox": sandbox}))
    yield served, sandbox
    served.stop()


def test_standalone_server_answers_like_the_in_process_app(standalone, pc):
    served, app = standalone
    with httpx.Client(base_url=served.url, timeout=10) as http:
        token = fetch_token(http, app_user=True, base=served.url)
        remote = PartnerCenter(http, token, base=served.url)
        for path, params in [("/v1/products", {"country": "US", "targetView": "OnlineServices"}),
                             ("/v1/countryvalidationrules/PL", None),
                             ("/v1/profiles/mpn", {"mpnId": "1234567"}),
                             ("/v1/relationships", {"relationship_type": "IsIndirectCloudSolutionProviderOf"})]:
            here, there = pc.get(path, params=params), remote.get(path, params=params)
            assert there.status_code == here.status_code == 200
            assert there.json() == here.json()
        assert remote.head("/v1/domains/fabrikam.onmicrosoft.com").status_code == 200
        assert remote.head("/v1/domains/free-name.onmicrosoft.com").status_code == 404
        created = remote.post("/v1/customers", json=customer_body("servedco"))
        assert created.status_code == 201
        assert remote.head("/v1/domains/servedco.onmicrosoft.com").status_code == 200
        assert http.get(f"{served.url}/v1/customers").status_code == 401
    store = app.extensions["sandbox_store"]
    assert [c["status"] for c in store.calls(method="POST", path="/v1/customers")] == [201]


def test_msal_against_the_standalone_server(standalone):
    served, _ = standalone
    http_client = MsalHttpClient(HostRewriteTransport(served.url))
    discovery = http_client.get(f"https://login.microsoftonline.com/{TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert discovery.json()["token_endpoint"].startswith("https://login.microsoftonline.com/")
    client = msal.ConfidentialClientApplication(CLIENT_ID, authority=AUTHORITY, client_credential=CLIENT_SECRET,
                                                http_client=http_client, instance_discovery=False)
    result = client.acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in result, result
    with httpx.Client(timeout=10) as http:
        remote = PartnerCenter(http, result["access_token"], base=served.url)
        assert remote.get("/v1/customers").status_code == 200

    wrong = msal.ConfidentialClientApplication(CLIENT_ID, authority=AUTHORITY, client_credential="bad",
                                               http_client=MsalHttpClient(HostRewriteTransport(served.url)),
                                               instance_discovery=False)
    assert wrong.acquire_token_for_client(scopes=[SCOPE])["error"] == "invalid_client"


def test_mounted_under_a_prefix(mounted):
    served, sandbox = mounted
    base = served.url + "/sandbox"
    client = msal.ConfidentialClientApplication(CLIENT_ID, authority=AUTHORITY, client_credential=CLIENT_SECRET,
                                                http_client=MsalHttpClient(HostRewriteTransport(base)), instance_discovery=False)
    result = client.acquire_token_by_refresh_token(REFRESH_TOKEN, scopes=[SCOPE])
    assert "access_token" in result, result
    with httpx.Client(timeout=10) as http:
        assert http.get(served.url + "/").text == "storefront"
        remote = PartnerCenter(http, result["access_token"], base=base)
        url = remote.get("/v1/customers/relationshiprequests").json()["url"]
        parts = urlsplit(url)
        assert url.startswith(base + "/Adminportal/Home?invType=ResellerRelationship&partnerId=")

        page = http.get(f"{base}/Adminportal/Home", params=dict(p.split("=") for p in parts.query.split("&")))
        assert page.status_code == 200
        soup = BeautifulSoup(page.text, "html.parser")
        action = soup.select_one("form")["action"]
        assert action.startswith("/sandbox/Adminportal/Home?")
        assert soup.select_one("header a")["href"] == "/sandbox/"
        assert remote.get(f"/v1/customers/{FABRIKAM}").status_code == 404
        token = soup.select_one("form input[name=sandbox_csrf]")["value"]
        assert http.cookies.get("sandbox_csrf", path="/sandbox") == token  # the sandbox's cookie, on its own path
        accepted = http.post(served.url + action, data={"sandbox_csrf": token, "tenantId": FABRIKAM})
        assert "Partner relationship accepted" in accepted.text
        assert remote.get(f"/v1/customers/{FABRIKAM}").json()["relationshipToPartner"] == "reseller"
        admin = http.get(f"{base}/_sandbox/admin")
        assert BeautifulSoup(admin.text, "html.parser").select_one("#faults form")["action"].startswith("/sandbox/")
