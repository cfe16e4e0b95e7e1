"""Entra's admin consent endpoint, played for a reseller's tenant: an administrator of that tenant
grants the storefront's multi-tenant app its application permissions there, after which the token
endpoint issues app-only tokens for that tenant to that client (and only then).

``GET /{tenant}/adminconsent?client_id=&redirect_uri=&state=`` shows the consent prompt (a signed-out
administrator of the tenant, simulated); Accept sends the browser back to ``redirect_uri`` with
``admin_consent=True&tenant=...&state=...``, Cancel with ``error=access_denied&error_description=...``
(https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent, "Successful response" and
"Error response"). UNCONFIRMED: the exact error_description of a declined consent (AADSTS65004, as
Entra's error-code list names "user declined to consent").

Tenants it knows: the resellers of the operator's network (their partner tenants). The consent is
kept per tenant and client id (kind ``admin_consent``); ``/_sandbox/consents`` lists and revokes them.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, redirect, render_template, request

from . import csrf
from .store import iso
from .web import json_response, setting, store

bp = Blueprint("sandbox_consent", __name__)

KIND = "admin_consent"
PERMISSION = "DelegatedAdminRelationship.ReadWrite.All"  # the application permission GDAP asks for


def reseller_tenants() -> dict[str, str]:
    """The partner tenants of the operator's reseller network: tenant id -> name."""
    return {str(r.get("tenantId", "")).lower(): r.get("name", "") for r in store().documents("reseller")
            if r.get("tenantId")}


def _key(tenant: str, client_id: str) -> str:
    return f"{tenant.lower()}|{client_id.lower()}"


def granted(tenant: str, client_id: str) -> bool:
    return store().document(KIND, _key(tenant, client_id)) is not None


def _problem(tenant: str, client_id: str, redirect_uri: str) -> str | None:
    """What Entra would show instead of the prompt (it never redirects to an unchecked address)."""
    if tenant.lower() not in reseller_tenants():
        return f"AADSTS90002: Tenant '{tenant}' not found."
    if client_id.lower() != str(setting("SANDBOX_CLIENT_ID")).lower():
        return f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'."
    # UNCONFIRMED detail: Entra compares redirect_uri with the app registration's; the sandbox has no
    # registration, so it only asks for an absolute http(s) address.
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ("AADSTS50011: The redirect URI specified in the request does not match the redirect URIs "
                "configured for the application.")
    return None


def _back(redirect_uri: str, **params: str):
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return redirect(f"{redirect_uri}{joiner}{urlencode(params)}", code=302)


@bp.route("/<tenant>/adminconsent", methods=["GET", "POST"])
@csrf.protect
def prompt(tenant):
    source = request.form if request.method == "POST" else request.args
    client_id, redirect_uri, state = (source.get("client_id", ""), source.get("redirect_uri", ""),
                                      source.get("state", ""))
    problem = _problem(tenant, client_id, redirect_uri)
    if problem:
        return render_template("sandbox/admin_consent.html", problem=problem), 400
    if request.method == "POST":
        if request.form.get("decision") != "accept":
            return _back(redirect_uri, error="access_denied",
                         error_description="AADSTS65004: User declined to consent to access the app.", state=state)
        with store().tx() as tx:
            tx.put(KIND, _key(tenant, client_id), {"tenantId": tenant.lower(), "clientId": client_id,
                                                   "permissions": [PERMISSION], "consentedAt": iso(tx.now())})
        return _back(redirect_uri, admin_consent="True", tenant=tenant.lower(), state=state)
    return render_template("sandbox/admin_consent.html", problem=None, tenant=tenant.lower(),
                           tenant_name=reseller_tenants()[tenant.lower()], client_id=client_id,
                           redirect_uri=redirect_uri, state=state, permission=PERMISSION)


@bp.get("/_sandbox/consents")
def consents():
    """JSON: the admin consents given (tenant, client id, when)."""
    return json_response({"value": store().documents(KIND)})


@bp.delete("/_sandbox/consents/<tenant>")
def revoke(tenant):
    """Revoke every consent of a tenant (its administrator removed the app)."""
    with store().tx() as tx:
        for doc in tx.list(KIND):
            if doc["tenantId"] == tenant.lower():
                tx.delete(KIND, _key(doc["tenantId"], doc["clientId"]))
    return json_response({}, 204)
