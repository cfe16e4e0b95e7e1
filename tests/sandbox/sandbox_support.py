"""Helpers for the sandbox tests: a small Partner Center caller and scenarios."""
from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

TENANT_ID = "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c"
CLIENT_ID = "00000000-0000-0000-0000-00000000c11e"
CLIENT_SECRET = "sandbox-secret"
REFRESH_TOKEN = "sandbox-refresh-token"
SCOPE = "https://api.partnercenter.microsoft.com/.default"
API = "https://api.partnercenter.microsoft.com"
PARTNER_API_SCOPE = "https://api.partner.microsoft.com/.default"
PARTNER_API = "https://api.partner.microsoft.com"
LOGIN = "https://login.microsoftonline.com"
AUTHORITY = f"{LOGIN}/{TENANT_ID}"

FABRIKAM = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"
WINGTIP = "6b1e4d7a-2c5f-4a8b-9e3d-f1a2b3c4d5e6"
CONTOSO = "0e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"
BUSINESS_PREMIUM = "CFQ7TTC0LCHC"


def fetch_token(http: httpx.Client, app_user: bool, base: str = LOGIN, scope: str = SCOPE,
                refresh_token: str = REFRESH_TOKEN) -> str:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": scope}
    if app_user:
        data.update(grant_type="refresh_token", refresh_token=refresh_token)
    else:
        data.update(grant_type="client_credentials")
    response = http.post(f"{base}/{TENANT_ID}/oauth2/v2.0/token", data=data)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class PartnerCenter:
    """Calls the sandbox API the way the storefront's client does."""

    def __init__(self, http: httpx.Client, token: str, base: str = API):
        self.http = http
        self.token = token
        self.base = base

    def call(self, method: str, path: str, *, json=None, params=None, headers=None,
             request_id: str | None = None, timeout=None) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                "MS-RequestId": request_id or str(uuid.uuid4()),
                "MS-CorrelationId": str(uuid.uuid4()), "X-Locale": "en-US"}
        sent.update(headers or {})
        kwargs = {"json": json, "params": params, "headers": sent}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.request(method, self.base + path, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def head(self, path, **kw):
        return self.call("HEAD", path, **kw)


def customer_body(prefix: str, country: str = "US", **changes) -> dict:
    addresses = {
        "US": {"addressLine1": "1 Main Street", "city": "Redmond", "state": "WA", "postalCode": "98052",
               "country": "US", "phoneNumber": "4255550101"},
        "PL": {"addressLine1": "ul. Marszalkowska 10", "city": "Warszawa", "postalCode": "00-590",
               "country": "PL", "phoneNumber": "+48 22 123 45 67"},
    }
    address = dict(addresses[country], firstName="Gena", lastName="Soto")
    address.update(changes.pop("address", {}))
    body = {
        "companyProfile": {"domain": f"{prefix}.onmicrosoft.com"},
        "billingProfile": {"email": "gena@example.com", "culture": "en-US", "language": "en",
                           "companyName": f"{prefix.capitalize()} Ltd", "defaultAddress": address},
    }
    if country == "PL":
        body["companyProfile"]["organizationRegistrationNumber"] = "5260250274"
    for key, value in changes.items():
        if key == "registration":
            if value is None:
                body["companyProfile"].pop("organizationRegistrationNumber", None)
            else:
                body["companyProfile"]["organizationRegistrationNumber"] = value
        else:
            body[key] = value
    return body


def create_customer(pc: PartnerCenter, prefix: str, country: str = "US", **changes) -> dict:
    response = pc.post("/v1/customers", json=customer_body(prefix, country, **changes))
    assert response.status_code == 201, response.text
    return response.json()


def attest_mca(pc: PartnerCenter, tenant_id: str, email: str = "gena@example.com") -> httpx.Response:
    return pc.post(f"/v1/customers/{tenant_id}/agreements", json={
        "primaryContact": {"firstName": "Gena", "lastName": "Soto", "email": email,
                           "phoneNumber": "4255550101"},
        "templateId": MCA_TEMPLATE,
        "dateAgreed": "2024-05-01T10:00:00Z",
        "type": "MicrosoftCustomerAgreement",
    })


def catalog_item(pc: PartnerCenter, product_id: str = BUSINESS_PREMIUM, sku_id: str = "0001",
                 country: str = "US") -> str:
    response = pc.get(f"/v1/products/{product_id}/skus/{sku_id}/availabilities",
                      params={"country": country})
    assert response.status_code == 200, response.text
    return response.json()["items"][0]["catalogItemId"]


def line(catalog_item_id: str, quantity: int = 10, term: str = "P1Y", cycle: str = "monthly",
         reseller: str | None = "1234567", **extra) -> dict:
    item = {"id": 0, "catalogItemId": catalog_item_id, "quantity": quantity, "billingCycle": cycle,
            "termDuration": term, "provisioningContext": {}, "participants": []}
    if reseller:
        item["participants"] = [{"key": "transaction_reseller", "value": reseller}]
    item.update(extra)
    return item


def create_cart(pc: PartnerCenter, tenant_id: str, lines: list[dict], attested: bool = True,
                request_id: str | None = None) -> httpx.Response:
    return pc.post(f"/v1/customers/{tenant_id}/carts",
                   json={"lineItems": lines, "PartnerOnRecordAttestationAccepted": attested},
                   request_id=request_id)


def purchase(pc: PartnerCenter, store, tenant_id: str, quantity: int = 10, term: str = "P1Y",
             cycle: str = "monthly", product_id: str = BUSINESS_PREMIUM) -> dict:
    """Cart, checkout, let the order complete; return the new subscription."""
    cart = create_cart(pc, tenant_id, [line(catalog_item(pc, product_id), quantity, term, cycle)])
    assert cart.status_code == 201, cart.text
    checkout = pc.post(f"/v1/customers/{tenant_id}/carts/{cart.json()['id']}/checkout")
    assert checkout.status_code == 201, checkout.text
    order = checkout.json()["orders"][0]
    store.advance_clock(timedelta(seconds=10))
    subs = pc.get(f"/v1/customers/{tenant_id}/subscriptions", params={"order_id": order["id"]})
    assert subs.status_code == 200
    assert subs.json()["totalCount"] == 1
    return subs.json()["items"][0]


def new_customer_ready_to_buy(pc: PartnerCenter, prefix: str) -> str:
    tenant_id = create_customer(pc, prefix)["id"]
    assert attest_mca(pc, tenant_id).status_code == 201
    return tenant_id


def hidden_fields(form) -> dict:
    """The hidden inputs of a parsed <form> (the sandbox's CSRF token among them), as a browser sends them."""
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden][name]")}
