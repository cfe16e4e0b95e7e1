"""Acting as a reseller's tenant administrator: "Connect your partner tenant for GDAP" from the storefront
page, the consent on the sandbox's simulated admin consent page, and back to the storefront."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from werkzeug.test import Client as WsgiClient

from app.sandbox.gdap_reseller import RESELLER_TYPE

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
LITWARE_TENANT = "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"


def consent_at_microsoft(app, consent_url: str, decision: str = "accept") -> str:
    """The simulated administrator opens the consent page and presses Accept (or Cancel); the address
    the browser is sent back to."""
    from app.serving import storefront_wsgi

    parts = urlsplit(consent_url)
    path = f"{parts.path}?{parts.query}"
    browser = WsgiClient(storefront_wsgi(app))
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    form = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#consent-prompt form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    answer = browser.post(path, data={**data, "decision": decision})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"]


def start_connecting(client) -> str:
    """Press "Connect your partner tenant for GDAP"; the admin consent address it sends the browser to."""
    client.get("/programs/gdap")
    response = client.post("/programs/gdap/connect", {})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def back_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def connect(app, client) -> None:
    """The whole connection: consent, back to the storefront, Finish connecting."""
    back = back_path(consent_at_microsoft(app, start_connecting(client)))
    page = client.get(back)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    form = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("form[action='/programs/gdap/connected']")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"}
    done = client.post("/programs/gdap/connected", data)
    assert done.status_code == 303, done.get_data(as_text=True)[:500]


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def reseller_relationships(store, tenant_id: str = ADATUM_TENANT) -> list[dict]:
    return [d for d in store.documents("gdap") if d.get("@odata.type") == RESELLER_TYPE
            and d.get("_partnerTenantId") == tenant_id]


def operator_relationships(store) -> list[dict]:
    """The relationships made with the operator's own token (its partner tenant's)."""
    tenant = store.tenant_id
    return [d for d in store.documents("gdap") if (d.get("_partnerTenantId") or tenant) == tenant]
