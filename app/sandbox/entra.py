"""Microsoft Entra ID stand-in: OpenID discovery and the v2.0 token endpoint.

Answers by path on any host. The discovery document names https endpoints on
the host the request came in on (login.microsoftonline.com when a routing HTTP
client sent it), so MSAL for Python runs unmodified with such a client."""

from __future__ import annotations

import base64
import hmac
import uuid
from datetime import datetime, timezone
from urllib.parse import unquote_plus, urlsplit

from flask import Blueprint, redirect, render_template, request, url_for

from . import admin_consent, csrf, token_rules, tokens
from .web import json_response, setting, store

bp = Blueprint("sandbox_entra", __name__)

OPEN_TENANTS = {"common", "organizations"}


def _tenant_known(tenant: str) -> bool:
    return (tenant.lower() in OPEN_TENANTS or tenant.lower() == setting("SANDBOX_TENANT_ID")
            or tenant.lower() in admin_consent.reseller_tenants())


def _reseller_tenant(tenant: str) -> bool:
    """A reseller's partner tenant (not the operator's): its tokens need its administrator's consent."""
    return tenant.lower() not in OPEN_TENANTS and tenant.lower() != setting("SANDBOX_TENANT_ID")


def _base() -> str:
    return f"https://{request.host}"


def _entra_error(status: int, error: str, code: int, message: str):
    now = datetime.now(timezone.utc)
    trace = str(uuid.uuid4())
    correlation = request.form.get("client-request-id") or str(uuid.uuid4())
    description = (f"AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} "
                   f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%SZ')}")
    return json_response({
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }, status)


def _discovery(tenant: str, version: str):
    if not _tenant_known(tenant):
        return _entra_error(400, "invalid_tenant", 90002,
                            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                            "and are signing into the correct cloud.")
    base = _base()
    tid = setting("SANDBOX_TENANT_ID") if tenant.lower() in OPEN_TENANTS else tenant
    prefix = f"{base}/{tenant}/oauth2/v2.0" if version == "v2.0" else f"{base}/{tenant}/oauth2"
    return json_response({
        "token_endpoint": f"{prefix}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0" if version == "v2.0" else f"https://sts.windows.net/{tid}/",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{prefix}/authorize",
        "device_authorization_endpoint": f"{prefix}/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{prefix}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                             "tid", "ver", "oid", "preferred_username", "name"],
        "kerberos_endpoint": f"{base}/{tenant}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })


@bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
def openid_configuration_v2(tenant):
    return _discovery(tenant, "v2.0")


@bp.get("/<tenant>/.well-known/openid-configuration")
def openid_configuration_v1(tenant):
    return _discovery(tenant, "v1")


@bp.get("/common/discovery/instance")
def instance_discovery():
    """Only used when a client leaves MSAL's instance discovery on."""
    endpoint = request.args.get("authorization_endpoint", "")
    parts = [p for p in urlsplit(endpoint).path.split("/") if p]
    tenant = parts[0] if parts else "common"
    return json_response({
        "tenant_discovery_endpoint": f"{_base()}/{tenant}/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": request.host, "preferred_cache": request.host,
                      "aliases": [request.host]}],
    })


def _client_credentials() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            return unquote_plus(client_id), unquote_plus(secret)
        except (ValueError, UnicodeDecodeError):
            pass
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def _requested_audience() -> str | None:
    """The resource a token is asked for: v2.0 names it by scope ("<resource>/.default", next to
    openid, profile and offline_access, which MSAL adds), v1 by ``resource``. One of the two APIs
    (tokens.AUDIENCES), else None."""
    wanted = [s[:-len("/.default")] for s in request.form.get("scope", "").split() if s.lower().endswith("/.default")]
    if request.form.get("resource"):
        wanted.append(request.form["resource"])
    known = {a.lower(): a for a in tokens.AUDIENCES}
    found = {known[w.rstrip("/").lower()] for w in wanted if w.rstrip("/").lower() in known}
    return found.pop() if len(found) == 1 else None


def _redeem(presented: str, secret: str, single_use: bool):
    """Check a refresh token and, with single use on, spend it; an Entra error answer, or None.

    Valid: the configured token (the sandbox's consent) or one this endpoint handed out, issued
    (sandbox clock) less than 90 days ago, and, with single use, not redeemed before: Entra
    replaces the refresh token on every use, and a client that keeps using an old one is caught."""
    invalid = _entra_error(400, "invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid.")
    with store().tx() as tx:  # one write transaction: two processes never both spend the same token
        spent = set(tx.meta("spent_refresh_tokens", []) or [])
        if presented == str(setting("SANDBOX_REFRESH_TOKEN")):
            key = "configured"
        else:
            claims = tokens.refresh_claims(secret, presented)
            if claims is None:
                return invalid
            age = tx.now().timestamp() - float(claims.get("issued", 0))
            if age > tokens.REFRESH_LIFETIME_SECONDS:
                return _entra_error(400, "invalid_grant", 700082,
                                    "The refresh token has expired due to inactivity. The token was issued on "
                                    f"{datetime.fromtimestamp(float(claims.get('issued', 0)), timezone.utc):%Y-%m-%d} "
                                    "and was inactive for 90.00:00:00.")
            key = str(claims.get("jti"))
        if key in spent:
            return invalid
        if single_use:
            tx.set_meta("spent_refresh_tokens", sorted(spent | {key}))
    return None


@bp.post("/<tenant>/oauth2/v2.0/token")
@bp.post("/<tenant>/oauth2/token")
def token(tenant):
    if not _tenant_known(tenant):
        return _entra_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
    client_id, secret = _client_credentials()
    if client_id.lower() != str(setting("SANDBOX_CLIENT_ID")).lower():
        return _entra_error(400, "unauthorized_client", 700016,
                            f"Application with identifier '{client_id}' was not found in the directory "
                            f"'{tenant}'.")
    if not hmac.compare_digest(secret.encode(), str(setting("SANDBOX_CLIENT_SECRET")).encode()):
        return _entra_error(401, "invalid_client", 7000215,
                            "Invalid client secret provided. Ensure the secret being sent in the request "
                            "is the client secret value, not the client secret ID, for a secret added to "
                            f"app '{client_id}'.")
    audience = _requested_audience()
    if audience is None:
        scopes = request.form.get("scope", "")
        return _entra_error(400, "invalid_scope", 1002012,
                            f"The provided value for scope {scopes} is not valid. "
                            f"Client credential flows must have a scope value with /.default suffixed "
                            f"to the resource identifier (application ID URI).")
    grant = request.form.get("grant_type", "")
    secret_text = str(setting("SANDBOX_CLIENT_SECRET"))
    tenant_id = setting("SANDBOX_TENANT_ID")
    if _reseller_tenant(tenant):
        # Another tenant (a reseller's): the multi-tenant app gets app-only tokens there only after an
        # administrator of that tenant consented (admin_consent.py). UNCONFIRMED: the exact answer Entra gives
        # a client-credentials request before that consent; AADSTS65001 is its "not consented" code.
        if grant != "client_credentials" or not admin_consent.granted(tenant, client_id):
            return _entra_error(400, "invalid_client", 65001,
                                f"The user or administrator has not consented to use the application with ID "
                                f"'{client_id}'. Send an interactive authorization request for this user and "
                                "resource.")
        tenant_id = tenant.lower()
    if grant == "client_credentials":
        access = tokens.issue(secret_text, tenant_id=tenant_id, client_id=client_id, app_user=False,
                              audience=audience)
        return json_response({"token_type": "Bearer", "expires_in": tokens.LIFETIME_SECONDS,
                              "ext_expires_in": tokens.LIFETIME_SECONDS, "access_token": access})
    if grant == "refresh_token":
        controls = token_rules.controls()
        refused = _redeem(request.form.get("refresh_token", ""), secret_text, controls["singleUse"])
        if refused is not None:
            return refused
        access = tokens.issue(secret_text, tenant_id=tenant_id, client_id=client_id, app_user=True,
                              audience=audience, mfa=controls["mfa"])
        # Entra answers a refresh-token grant with a new refresh token (rotating: a new one each time;
        # otherwise the configured one back).
        refresh = (tokens.issue_refresh(secret_text, tenant_id=tenant_id, client_id=client_id,
                                        issued=store().now().timestamp())
                   if controls["rotate"] else str(setting("SANDBOX_REFRESH_TOKEN")))
        return json_response({"token_type": "Bearer", "scope": f"{audience}/.default",
                              "expires_in": tokens.LIFETIME_SECONDS,
                              "ext_expires_in": tokens.LIFETIME_SECONDS, "access_token": access,
                              "refresh_token": refresh})
    return _entra_error(400, "unsupported_grant_type", 70003,
                        f"The app requested an unsupported grant type '{grant}'.")


# Token controls (no bearer token; reached like the other /_sandbox controls) ------------------

@bp.get("/_sandbox/tokens")
def token_controls():
    """JSON: ``{"rotate", "singleUse", "mfa"}`` (see token_rules.controls)."""
    return json_response(token_rules.controls())


@bp.post("/_sandbox/tokens")
def set_token_controls():
    data = request.get_json(silent=True)
    return json_response(token_rules.set_controls(data if isinstance(data, dict) else request.form.to_dict()))


@bp.get("/_sandbox/tokens/admin")
def token_controls_page():
    return render_template("sandbox/tokens.html", controls=token_rules.controls(),
                           message=request.args.get("msg"))


@bp.post("/_sandbox/tokens/admin")
@csrf.protect
def token_controls_form():
    form = request.form
    current = token_rules.set_controls({"rotate": form.get("rotate") == "on",
                                        "singleUse": form.get("singleUse") == "on",
                                        "mfa": form.get("mfa") == "with"})
    words = "with MFA" if current["mfa"] else "WITHOUT MFA: App+User calls are now refused (401, 900421)"
    return redirect(url_for("sandbox_entra.token_controls_page", msg=f"Saved. The consent is signed in {words}."))
