"""The token endpoint as Entra ID and Partner Center treat the Secure Application Model tokens:
refresh tokens rotate on every use and, when the sandbox is told, a used one is refused and one
unused for 90 days expires; a consent signed in without MFA gives App+User tokens that Partner
Center refuses (401, 900421), while app-only calls go on."""
from __future__ import annotations

from datetime import timedelta

from tests.sandbox.sandbox_support import (AUTHORITY, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SCOPE, PartnerCenter,
                                           fetch_token)


def _grant(http, refresh_token: str):
    return http.post(f"{AUTHORITY}/oauth2/v2.0/token", data={
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": f"{SCOPE} offline_access openid profile",
        "grant_type": "refresh_token", "refresh_token": refresh_token})


def _controls(http, **changes):
    response = http.post("https://login.microsoftonline.com/_sandbox/tokens", json=changes)
    assert response.status_code == 200
    return response.json()


def test_rotated_refresh_tokens_are_single_use_when_told(http):
    assert _controls(http, rotate=True, singleUse=True) == {"rotate": True, "singleUse": True, "mfa": True}
    first = _grant(http, REFRESH_TOKEN)
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != REFRESH_TOKEN

    # A storefront that kept the token it started with is refused from now on.
    stale = _grant(http, REFRESH_TOKEN)
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert stale.json()["error_codes"] == [70000]

    second = _grant(http, rotated)
    assert second.status_code == 200 and second.json()["refresh_token"] not in (rotated, REFRESH_TOKEN)
    assert _grant(http, rotated).status_code == 400


def test_without_single_use_an_older_refresh_token_still_works(http):
    _controls(http, rotate=True, singleUse=False)
    rotated = _grant(http, REFRESH_TOKEN).json()["refresh_token"]
    assert _grant(http, REFRESH_TOKEN).status_code == 200
    assert _grant(http, rotated).status_code == 200


def test_a_refresh_token_unused_for_90_days_expires(http, sandbox_store):
    _controls(http, rotate=True)
    rotated = _grant(http, REFRESH_TOKEN).json()["refresh_token"]
    sandbox_store.advance_clock(timedelta(days=89))
    fresh = _grant(http, rotated)
    assert fresh.status_code == 200  # used in time: a new token with a fresh 90 days
    newest = fresh.json()["refresh_token"]
    sandbox_store.advance_clock(timedelta(days=91))
    expired = _grant(http, newest)
    assert expired.status_code == 400
    assert expired.json()["error_codes"] == [700082]
    assert "inactivity" in expired.json()["error_description"]


def test_a_consent_without_mfa_gets_app_user_calls_refused_and_app_only_calls_go_on(http):
    _controls(http, mfa=False)
    without_mfa = PartnerCenter(http, fetch_token(http, app_user=True))
    refused = without_mfa.get("/v1/profiles/mpn", params={"mpnId": "1234567"})
    assert refused.status_code == 401
    assert refused.json()["code"] == 900421
    assert without_mfa.get("/v1/countryvalidationrules/US").status_code == 401  # every App+User call

    app_only = PartnerCenter(http, fetch_token(http, app_user=False))
    assert app_only.get("/v1/countryvalidationrules/US").status_code == 200

    _controls(http, mfa=True)  # a fresh consent, signed in with MFA
    with_mfa = PartnerCenter(http, fetch_token(http, app_user=True))
    assert with_mfa.get("/v1/profiles/mpn", params={"mpnId": "1234567"}).status_code == 200


def test_the_token_controls_page_shows_and_changes_the_settings(sandbox_app):
    client = sandbox_app.test_client()
    page = client.get("/_sandbox/tokens/admin")
    assert page.status_code == 200 and b"Sign-in and tokens" in page.data
    token = client.get_cookie("sandbox_csrf").value
    saved = client.post("/_sandbox/tokens/admin", data={"sandbox_csrf": token, "mfa": "without", "rotate": "on"},
                        follow_redirects=True)
    assert b"WITHOUT MFA" in saved.data
    assert client.get("/_sandbox/tokens").json == {"rotate": True, "singleUse": False, "mfa": False}
    assert client.post("/_sandbox/tokens/admin", data={"mfa": "with"}).status_code in (400, 403)  # no CSRF token
