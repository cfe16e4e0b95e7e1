"""The client's table of token kinds per operation (app/partner_center/operations.py), walked
against the sandbox over HTTP: each App+User-only operation is refused with an app-only token as
Partner Center refuses it, and accepted with App+User; and the client sends every call with the
token and audience its row names."""

from __future__ import annotations

import httpx
import pytest

from app.partner_center import APP, APP_USER, HostRewriteTransport
from app.partner_center.clouds import PARTNER_API_SCOPE, PARTNER_CENTER_SCOPE
from app.partner_center.operations import OPERATIONS, PARTNER_API, operation_for
from tests.partner_center.pc_support import ADATUM, new_customer

APP_USER_ONLY = [op for op in OPERATIONS if op.kind == APP_USER and op.example]


def _send(http: httpx.Client, op, token: str) -> httpx.Response:
    path, params, body = op.example
    base = "https://api.partner.microsoft.com/v1.0" if op.audience == PARTNER_API \
        else "https://api.partnercenter.microsoft.com/v1"
    return http.request(op.method, base + path, params=params, json=body,
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})


@pytest.fixture
def http(sbx_url):
    with httpx.Client(transport=HostRewriteTransport(sbx_url), timeout=10) as client:
        yield client


def test_the_table_names_every_app_user_only_operation_microsoft_lists():
    names = {op.name for op in OPERATIONS if op.kind == APP_USER}
    assert {"get_mpn_profile", "get_agreement_status", "list_indirect_resellers", "list_customer_relationships",
            "search_customers_by_reseller", "create_customer_for_reseller", "get_relationship_request",
            "list_agreement_templates", "attest_agreement", "list_agreements", "price_sheet",
            "get_validation_status"} <= names
    assert all(op.doc.startswith("https://") for op in OPERATIONS)


@pytest.mark.parametrize("op", APP_USER_ONLY, ids=[op.name for op in APP_USER_ONLY])
def test_app_user_only_operation_refuses_an_app_token_and_takes_app_user(op, pc_client, http):
    scope = PARTNER_API_SCOPE if op.audience == PARTNER_API else PARTNER_CENTER_SCOPE
    refused = _send(http, op, pc_client.tokens.get_token(APP, scope))
    assert refused.status_code == 403, refused.text
    assert "can't be accessed by application credentials" in refused.json()["description"]

    accepted = _send(http, op, pc_client.tokens.get_token(APP_USER, scope))
    # Accepted: whatever the operation then says about the example's data, not an auth refusal.
    assert accepted.status_code not in (401, 403), accepted.text


def test_conditional_rows_follow_what_is_asked():
    assert operation_for("GET", "/v1/customers", {"size": 5}).kind == APP
    assert operation_for("GET", "/v1/customers", {"filter": '{"Field": "IndirectReseller"}'}).kind == APP_USER
    assert operation_for("POST", "/v1/customers", None, {"companyProfile": {}}).kind == APP
    assert operation_for("POST", "/v1/customers", None, {"associatedPartnerId": "x"}).kind == APP_USER
    assert operation_for("GET", "/v1/customers/relationshiprequests").name == "get_relationship_request"


def test_the_client_sends_each_call_with_its_rows_token(make_pc, sbx_store):
    """Without a refresh token the client still does what app-only may do, and names the
    App+User operations it cannot; with one, the two-tier calls succeed."""
    app_only = make_pc(refresh_token=None)
    assert app_only.get_country_rules("US").iso2_code == "US"
    customer = new_customer(app_only)  # direct customer creation: app-only
    from app.partner_center import PartnerCenterAuthError

    with pytest.raises(PartnerCenterAuthError, match="App\\+User"):
        new_customer(app_only, associated_partner_id=ADATUM[1])  # for a reseller: App+User only
    with pytest.raises(PartnerCenterAuthError):
        app_only.search_customers_by_reseller(ADATUM[1])

    both = make_pc()
    assert both.get_customer(customer.id).id == customer.id
    assert both.search_customers_by_reseller(ADATUM[1]) is not None
    with both.price_sheet("US") as rows:  # Partner API host, its own audience
        assert next(iter(rows))["Market"] == "US"


@pytest.mark.parametrize("cloud,api_host,login_host", [
    ("public", "api.partnercenter.microsoft.com", "login.microsoftonline.com"),
    ("us_government", "api.partnercenter.microsoft.com", "login.microsoftonline.us"),
    ("china_21vianet", "partner.partnercenterapi.microsoftonline.cn", "login.chinacloudapi.cn"),
])
def test_each_national_cloud_asks_its_own_authority_and_api_host(make_pc, sbx_store, cloud, api_host, login_host):
    client = make_pc(cloud=cloud)
    assert client.get_country_rules("US").iso2_code == "US"
    assert client.get_mpn_profile("1234567").partner_name == "Adatum IT Services"
    calls = sbx_store.calls()
    token_hosts = {c["host"] for c in calls if c["path"].endswith("/oauth2/v2.0/token")}
    api_hosts = {c["host"] for c in calls if c["path"].startswith("/v1/")}
    assert token_hosts == {login_host} and api_hosts == {api_host}


def test_the_price_sheet_host_per_cloud(make_pc):
    from app.partner_center import PartnerCenterError

    assert make_pc(cloud="us_government").price_sheet_url("US").startswith("https://api.partner.microsoft.com/v1.0/")
    with pytest.raises(PartnerCenterError, match="no price sheet API"):
        make_pc(cloud="china_21vianet").price_sheet_url("CN")


def test_every_call_the_client_makes_in_an_order_flow_has_a_row(pc_client, sbx_store):
    """One table: no call of a typical run falls through to the unlisted default."""
    from tests.partner_center.test_client_orders import place_order
    from tests.partner_center.pc_support import US_ADDRESS

    customer, order, sub = place_order(pc_client, sbx_store)
    pc_client.is_domain_available("some-new-prefix")
    pc_client.get_customer(customer.id)
    pc_client.find_customer_by_domain(customer.domain)
    pc_client.get_country_rules("PL")
    pc_client.validate_address(US_ADDRESS)
    pc_client.get_order(customer.id, order.id)
    pc_client.get_provisioning_status(customer.id, order.id)
    pc_client.get_subscription(customer.id, sub.id)
    pc_client.list_agreements(customer.id)
    pc_client.list_customer_relationships(customer.id)
    pc_client.get_agreement_status("1234567")
    pc_client.list_indirect_resellers()
    pc_client.get_relationship_request()
    with pc_client.price_sheet("US") as rows:
        next(iter(rows))

    unlisted = [f'{c["method"]} {c["path"]}' for c in sbx_store.calls()
                if c["path"].startswith(("/v1/", "/v1.0/")) and operation_for(c["method"], c["path"]).name == "unlisted"]
    assert unlisted == []
