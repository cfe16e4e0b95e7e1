"""What the sandbox's API refuses because of the token, as Partner Center does, and the token
controls (rotation, single use, MFA) the token endpoint follows.

Checked for every API call by the gate in ``create_app``, before the route runs:

1. the audience: a token is for one API; the Partner API (``/v1.0/...``, the price sheet) and the
   Partner Center API (``/v1/...``) each refuse the other's with 401
   (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls);
2. MFA: from 1 April 2026 every App+User call must carry a token whose sign-in used MFA; without
   it Partner Center answers 401 with error code 900421
   (https://learn.microsoft.com/en-us/partner-center/security/partner-security-requirements-mandating-mfa,
   "Partner Center and APIs"; the status and code as Microsoft's announcement gives them);
3. the token kind: the operations Microsoft documents "App+User credentials only" refuse an
   app-only token (``APP_USER_ONLY`` below, each with its page).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from flask import request

from . import tokens
from .web import app_only_refused, json_response, query_arg, setting, store

# UNCONFIRMED: the wording of the 900421 description (Microsoft publishes the status and the code).
MFA_REQUIRED = 900421
MFA_DESCRIPTION = ("Multifactor authentication (MFA) is required for App+User access to Partner Center APIs. "
                   "The access token does not carry an MFA claim.")

_DOCS = "https://learn.microsoft.com/en-us/partner-center/developer/"


def _filter_field() -> str:
    try:
        return str(json.loads(query_arg("filter") or "{}").get("Field", "")).lower()
    except (ValueError, AttributeError):
        return ""


def _body_has(key: str) -> bool:
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return False
    return isinstance(body, dict) and any(k.lower() == key.lower() and v for k, v in body.items())


# (method, path regex, extra condition or None, the page that says "App+User credentials only")
APP_USER_ONLY: tuple[tuple[str, str, Callable[[], bool] | None, str], ...] = (
    ("GET", r"/v1/profiles/mpn", None, _DOCS + "get-partner-network-profile"),
    ("GET", r"/v1/compliance/[^/]+/agreementstatus", None, _DOCS + "verify-indirect-reseller-mpa-status"),
    ("GET", r"/v1/relationships", None, _DOCS + "retrieve-a-list-of-indirect-resellers"),
    ("GET", r"/v1/customers/relationshiprequests", None, _DOCS + "request-reseller-relationship"),
    ("GET", r"/v1/customers/[^/]+/relationships", None, _DOCS + "get-indirect-resellers-of-a-customer"),
    ("GET", r"/v1/customers", lambda: _filter_field() == "indirectreseller",
     _DOCS + "get-customers-of-an-indirect-reseller"),
    ("POST", r"/v1/customers", lambda: _body_has("associatedPartnerId"),
     _DOCS + "create-a-customer-for-an-indirect-reseller"),
    ("GET", r"/v1/agreements", None, _DOCS + "get-customer-agreement-metadata"),
    # Customer agreements: the classic attestation (an enhanced attestation's id makes it app-only)
    # and reading them back.
    ("POST", r"/v1/customers/[^/]+/agreements", lambda: not _body_has("attestationId"),
     _DOCS + "agreement-resources"),
    ("GET", r"/v1/customers/[^/]+/agreements", None, _DOCS + "agreement-resources"),
    ("GET", r"/v1/customers/[^/]+/directSignedMicrosoftCustomerAgreementStatus", None,
     _DOCS + "customer-agreement-direct-sign-status-resource"),
    ("GET", r"/v1/customers/[^/]+/validationStatus", None, _DOCS + "retrieve-validation-status"),
    ("GET", r"/v1\.0/sales/pricesheets\(.*\)/\$value", None, _DOCS + "get-a-price-sheet"),
)


def app_user_only(method: str, path: str) -> bool:
    for rule_method, pattern, condition, _doc in APP_USER_ONLY:
        if method == rule_method and re.fullmatch(pattern, path, re.I) and (condition is None or condition()):
            return True
    return False


def audience_for(path: str) -> str:
    if path.startswith("/v1.0/tenantRelationships/"):  # Microsoft Graph: GDAP
        return tokens.GRAPH
    return tokens.PARTNER_API if path.startswith("/v1.0/") else tokens.PARTNER_CENTER


def refusal(claims: tokens.TokenClaims) -> Any:
    """The answer to a call this token may not make, or None."""
    wanted = audience_for(request.path)
    if claims.audience.rstrip("/").lower() != wanted:
        # Entra-protected APIs answer a token for another resource with 401 and an invalid_token
        # challenge naming the problem.
        return json_response(
            {"code": "Unauthorized", "description": f"The token's audience {claims.audience!r} is not {wanted!r}.",
             "data": [], "source": "PartnerCenter"}, 401,
            {"WWW-Authenticate": f'Bearer realm="{wanted.split("://", 1)[1]}", error="invalid_token", '
                                 'error_description="The audience is invalid"'})
    if wanted != tokens.GRAPH and claims.tenant_id.lower() != str(setting("SANDBOX_TENANT_ID")).lower():
        # A token of another tenant (a reseller's, after its admin consent: admin_consent.py) is for
        # Microsoft Graph; Partner Center serves this partner tenant only. UNCONFIRMED: the exact answer.
        return json_response({"code": "Unauthorized", "description": "The token is not for this partner's tenant.",
                              "data": [], "source": "PartnerCenter"}, 401)
    if claims.app_user and not claims.mfa:
        return json_response({"code": MFA_REQUIRED, "description": MFA_DESCRIPTION, "data": [],
                              "source": "PartnerCenter"}, 401)
    if not claims.app_user and app_user_only(request.method, request.path):
        refused = app_only_refused()
        return json_response(refused.body(), refused.status)
    return None


# ----------------------------------------------------------------------------- token controls

def controls() -> dict:
    """The token endpoint's behaviour: ``rotate`` (a new refresh token on every refresh-token
    grant, as Entra does), ``singleUse`` (a used refresh token is refused afterwards),
    ``mfa`` (whether the consent behind the refresh tokens was signed in with MFA)."""
    with store().tx(write=False) as tx:
        saved = tx.meta("token_controls", {}) or {}
    return {"rotate": bool(saved.get("rotate", setting("SANDBOX_ROTATE_REFRESH_TOKENS"))),
            "singleUse": bool(saved.get("singleUse", False)),
            "mfa": bool(saved.get("mfa", True))}


def set_controls(changes: dict) -> dict:
    current = controls()
    for key in ("rotate", "singleUse", "mfa"):
        if key in changes:
            value = changes[key]
            current[key] = value.lower() in ("1", "true", "yes", "on") if isinstance(value, str) else bool(value)
    with store().tx() as tx:
        tx.set_meta("token_controls", current)
    return current
