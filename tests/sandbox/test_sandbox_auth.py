"""Entra stand-in: discovery, token endpoint, MSAL unmodified, bearer checks."""
from __future__ import annotations

import msal
from tests.sandbox.sandbox_support import (API, AUTHORITY, CLIENT_ID, CLIENT_SECRET, LOGIN, REFRESH_TOKEN, SCOPE,
                             TENANT_ID, PartnerCenter, fetch_token)

from app.partner_center.routing import InProcessTransport, MsalHttpClient
from app.sandbox import create_app


def test_discovery_names_https_endpoints_on_the_requested_host(http):
    response = http.get(f"{LOGIN}/{TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["token_endpoint"] == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"].startswith(f"https://login.microsoftonline.com/{TENANT_ID}/")
    assert doc["issuer"] == f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"

    other = http.get(f"https://login.microsoftonline.us/{TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert other.json()["token_endpoint"].startswith("https://login.microsoftonline.us/")


def test_discovery_of_an_unknown_tenant_fails(http):
    response = http.get(f"{LOGIN}/not-a-tenant/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    assert "AADSTS90002" in response.json()["error_description"]


def test_client_credentials_token(http):
    response = http.post(f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scope": SCOPE})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert body["access_token"]
    assert "refresh_token" not in body


def test_refresh_token_grant_returns_app_user_token_and_refresh_token(http):
    response = http.post(f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scope": f"{SCOPE} offline_access", "refresh_token": REFRESH_TOKEN})
    assert response.status_code == 200
    assert response.json()["refresh_token"] == REFRESH_TOKEN
    pc = PartnerCenter(http, response.json()["access_token"])
    assert pc.get("/v1/profiles/mpn").status_code == 200


def test_wrong_secret_is_refused_like_entra(http):
    response = http.post(f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope", "scope": SCOPE})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_wrong_refresh_token_and_wrong_scope_are_refused(http):
    bad_rt = http.post(f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scope": SCOPE, "refresh_token": "stolen"})
    assert bad_rt.status_code == 400
    assert bad_rt.json()["error"] == "invalid_grant"
    bad_scope = http.post(f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scope": "https://management.azure.com/.default"})  # a resource the sandbox does not serve
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error"] == "invalid_scope"


def test_msal_runs_unmodified_against_the_sandbox(sandbox_app, http):
    client = msal.ConfidentialClientApplication(
        CLIENT_ID, authority=AUTHORITY, client_credential=CLIENT_SECRET,
        http_client=MsalHttpClient(InProcessTransport(sandbox_app)), instance_discovery=False)
    result = client.acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    pc = PartnerCenter(http, result["access_token"])
    assert pc.get("/v1/products", params={"country": "US", "targetView": "OnlineServices"}).status_code == 200
    # App-only: the App+User operations are refused.
    denied = pc.get("/v1/profiles/mpn")
    assert denied.status_code == 403
    assert denied.json()["code"] == 900329  # "does not support application-only authentication"

    again = client.acquire_token_for_client(scopes=[SCOPE])
    assert again["token_source"] == "cache"


def test_msal_refresh_token_flow_gives_app_user(sandbox_app, http):
    client = msal.ConfidentialClientApplication(
        CLIENT_ID, authority=AUTHORITY, client_credential=CLIENT_SECRET,
        http_client=MsalHttpClient(InProcessTransport(sandbox_app)), instance_discovery=False)
    result = client.acquire_token_by_refresh_token(REFRESH_TOKEN, scopes=[SCOPE])
    assert "access_token" in result, result
    pc = PartnerCenter(http, result["access_token"])
    profile = pc.get("/v1/profiles/mpn")
    assert profile.status_code == 200
    assert profile.json()["profileType"] == "MpnProfile"


def test_msal_with_a_wrong_secret_gets_an_error(sandbox_app):
    client = msal.ConfidentialClientApplication(
        CLIENT_ID, authority=AUTHORITY, client_credential="wrong-secret",
        http_client=MsalHttpClient(InProcessTransport(sandbox_app)), instance_discovery=False)
    result = client.acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


def test_api_without_a_valid_token_answers_401(http, pc):
    assert http.get(f"{API}/v1/customers").status_code == 401
    forged = PartnerCenter(http, pc.token[:-4] + "AAAA")
    response = forged.get("/v1/customers")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["source"] == "PartnerCenter"


def test_tokens_validate_in_another_process_without_shared_state(tmp_path, http):
    token = fetch_token(http, app_user=True)
    other = create_app({"SANDBOX_DATA_DIR": str(tmp_path / "elsewhere")})
    with other.test_client() as client:
        ok = client.get("/v1/profiles/mpn", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    stranger = create_app({"SANDBOX_DATA_DIR": str(tmp_path / "stranger"),
                           "SANDBOX_CLIENT_SECRET": "a-different-secret"})
    with stranger.test_client() as client:
        assert client.get("/v1/profiles/mpn",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 401
