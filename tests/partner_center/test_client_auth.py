"""Contract: MSAL against the sandbox's Entra endpoints, auth failures, and check_instance."""

import socket

import pytest

from app.partner_center import APP, APP_USER, PartnerCenterAuthError, check_instance
from tests.partner_center.pc_support import TENANT_ID


def test_msal_acquires_token_from_sandbox(pc_client, sbx_store):
    token = pc_client.tokens.get_token(APP)
    assert token.startswith("pcsbx.")
    entra = sbx_store.calls(path_prefix=f"/{TENANT_ID}/")
    assert [(c["method"], c["path"], c["status"]) for c in entra] == [
        ("GET", f"/{TENANT_ID}/v2.0/.well-known/openid-configuration", 200),
        ("POST", f"/{TENANT_ID}/oauth2/v2.0/token", 200),
    ]
    assert entra[0]["host"] == "login.microsoftonline.com"
    # cached: further calls use the same token, no new token request
    pc_client.get_country_rules("US")
    pc_client.get_country_rules("PL")
    assert pc_client.tokens.get_token(APP) == token
    assert len(sbx_store.calls(path=f"/{TENANT_ID}/oauth2/v2.0/token")) == 1


def test_app_user_token_from_refresh_token(pc_client, sbx_store):
    user_token = pc_client.tokens.get_token(APP_USER)
    assert user_token != pc_client.tokens.get_token(APP)
    assert pc_client.tokens.refresh_token == "sandbox-refresh-token"


def test_wrong_secret_names_instance(make_pc, sbx_store):
    client = make_pc(name="northwind-live", client_secret="wrong")
    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_country_rules("US")
    err = info.value
    assert "northwind-live" in str(err)
    assert err.error == "invalid_client" and "AADSTS7000215" in err.error_description
    assert "invalid_client" in str(err) and "AADSTS7000215" in str(err)
    assert sbx_store.calls(path_prefix="/v1/") == []


def test_wrong_refresh_token(make_pc):
    client = make_pc(refresh_token="revoked")
    assert client.get_country_rules("US").iso2_code == "US"  # app-only still works
    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_mpn_profile("1234567")
    assert info.value.error == "invalid_grant"


def test_unknown_tenant(make_pc):
    client = make_pc(tenant_id="99999999-9999-9999-9999-999999999999")
    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_country_rules("US")
    assert "sandbox-test" in str(info.value)


def test_check_instance_ok(pc_client):
    result = check_instance(pc_client)
    assert result.ok and bool(result)
    assert result.passed == ["app-only token", "country rules read", "App+User token", "agreement templates read"]


def test_check_instance_app_only(make_pc):
    result = check_instance(make_pc(refresh_token=None))
    assert result.ok and "no refresh token" in result.message


def test_check_instance_bad_secret(make_pc):
    result = check_instance(make_pc(client_secret="nope"))
    assert not result.ok and "client secret" in result.message
    assert isinstance(result.error, PartnerCenterAuthError)


def test_check_instance_bad_refresh_token(make_pc):
    result = check_instance(make_pc(refresh_token="nope"))
    assert not result.ok and "refresh token" in result.message
    assert result.passed == ["app-only token", "country rules read"]


def test_check_instance_unreachable(make_pc):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = check_instance(make_pc(base_url=f"http://127.0.0.1:{port}", name="offline"))
    assert not result.ok and "cannot reach" in result.message
    assert result.error.unreachable


def test_check_instance_throttled(make_pc, sbx_store):
    sbx_store.inject_fault("GET", "/v1/countryvalidationrules", "429", count=5, retry_after=120)
    result = check_instance(make_pc())
    assert not result.ok and "throttling" in result.message and "120" in result.message


def test_check_instance_partner_center_down(make_pc, sbx_store):
    sbx_store.inject_fault("GET", "/v1/countryvalidationrules", "500", count=10)
    result = check_instance(make_pc(max_attempts=2))
    assert not result.ok and "server errors" in result.message
