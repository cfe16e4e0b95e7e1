"""Partner Center sandbox: a faithful built-in stand-in for Microsoft Partner
Center (REST v1) and the Entra ID token endpoint, with its own persistent store.

It imports nothing of the rest of ``app`` (not even the client in ``app.partner_center``): it
speaks only HTTP, so the client that talks to it is the client that talks to Microsoft. In the
storefront, ``app.connections`` is the only module that knows it exists.

It is a WSGI app (Flask) that answers by path on any host, so one app serves
both Microsoft hosts: Entra (``/{tenant}/v2.0/.well-known/openid-configuration``,
``/{tenant}/oauth2/v2.0/token``) and the API (``/v1/...``, plus the price sheet
at ``/v1.0/sales/pricesheets(...)/$value``). Its own pages: ``/`` (overview),
``/Adminportal/Home`` (accepting a reseller relationship request), ``/AdminPortal/Home``
(approving a GDAP request; the Graph endpoints are in gdap.py, the indirect-reseller variant and its
control ``/_sandbox/gdap`` in gdap_reseller.py), ``/{tenant}/adminconsent`` (a reseller tenant's
administrator consents to the storefront's app, admin_consent.py), ``/mail`` (the
storefront's mail, for a demo's invitees) and ``/_sandbox/admin`` (fault, review and
clock controls; JSON under ``/_sandbox/``).

Run it alone::

    flask --app app.sandbox run --port 5050

Run alone, it is a development tool and its controls (everything under ``/_sandbox/``) are open
to whoever reaches it: bind it to loopback. Mounted beside the storefront (sandbox mode, served
in-process), the storefront lets only its signed-in operator admins reach the controls
(``app/serving.py``); the acceptance page stays open to anyone with the link, as Microsoft's
is. Every page carries a "Simulation" banner, and its forms carry the sandbox's own CSRF token
(``csrf.py``).

Settings (``create_app(config)`` keys override the same-named environment
variables; defaults in brackets):

- ``SANDBOX_TENANT_ID`` [``8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c``]: the
  operator's partner tenant id.
- ``SANDBOX_CLIENT_ID`` [``00000000-0000-0000-0000-00000000c11e``] and
  ``SANDBOX_CLIENT_SECRET`` [``sandbox-secret``]: the only client credentials
  the token endpoint accepts (the secret also signs the access tokens).
- ``SANDBOX_REFRESH_TOKEN`` [``sandbox-refresh-token``]: the refresh token
  accepted for App+User (grant_type=refresh_token).
- ``SANDBOX_DATA_DIR`` [``instance/sandbox``]: where the SQLite store lives.
- ``SANDBOX_PUBLIC_URL`` [``http://127.0.0.1:5050``]: the URL browsers use to
  reach the sandbox's pages; used to build the relationship request link.
- ``SANDBOX_ORDER_DELAY_SECONDS`` [``5``]: how long (sandbox clock) a new
  order stays pending before it completes.
- ``SANDBOX_MAILDIR`` [empty]: the Maildir that the mailbox page (``/mail``)
  shows, where the storefront's embedded mail server keeps what it received.
- ``SANDBOX_WEBHOOK_DISPATCH`` [``thread``]: how webhook deliveries are sent
  (webhooks.py): from a short background thread, or ``manual`` (only when
  flushed: ``POST /_sandbox/webhooks/deliver``), for tests.
- ``SANDBOX_SEED`` [``demo``]: what a new store holds: ``demo`` (the demo's
  customers, tenants and subscriptions) or ``network`` (the partner tenant and
  its reseller network only: another Partner Center instance of the operator).
- ``SANDBOX_CLOUD`` [``public``]: the cloud it plays (``public``,
  ``us_government``, ``china_21vianet``); outside the public cloud the
  agreements (MCA) API answers 404 and checkout needs no attestation.
- ``SANDBOX_WEBHOOK_TRANSPORT`` (config only): the httpx transport deliveries
  go through (default: the network).

Python API: ``create_app`` and ``SandboxStore`` (at ``app.extensions["sandbox_store"]``).
Reaching it is the caller's business: the client's ``app.partner_center.routing`` calls it
in-process (``InProcessTransport``) or at its base URL (``HostRewriteTransport``).
"""

from __future__ import annotations

import re
import time

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from .config import DEFAULTS, load_config
from .store import SandboxStore
from .web import PCError, bearer_claims, error_body, json_response

__all__ = ["create_app", "DEFAULTS", "SandboxStore"]

# "Unexpected service error" (500; https://learn.microsoft.com/partner-center/developer/error-codes)
UNEXPECTED = 800003

_ENTRA_PATH = re.compile(
    r"^/[^/]+/(v2\.0/\.well-known/openid-configuration|\.well-known/openid-configuration"
    r"|oauth2/(v2\.0/)?token)$|^/common/discovery/instance$")


def _call_kind(path: str) -> str | None:
    if path == "/v1" or path.startswith("/v1/") or path.startswith("/v1.0/"):
        return "api"
    if path.startswith("/webhooks/v1/registration"):  # the webhook API (webhooks.py); its certificate is public
        return "api"
    if _ENTRA_PATH.match(path):
        return "entra"
    return None


def create_app(config: dict | None = None) -> Flask:
    """Build the sandbox WSGI app; ``config`` keys override environment variables."""
    settings = load_config(config)
    webhook_transport = settings.pop("SANDBOX_WEBHOOK_TRANSPORT", None)  # an object, not a setting to copy
    app = Flask(__name__)
    app.config.update(settings)
    app.json.sort_keys = False
    store = SandboxStore(str(settings["SANDBOX_DATA_DIR"]), tenant_id=settings["SANDBOX_TENANT_ID"],
                         seed_kind=str(settings["SANDBOX_SEED"]))
    app.extensions["sandbox_store"] = store

    from . import (admin_consent, api, commerce, control, csrf, entra, gdap, gdap_reseller, mail, pages, subscriptions,
                   webhooks)

    for module in (entra, admin_consent, api, commerce, subscriptions, gdap, gdap_reseller, control, pages, mail,
                   webhooks):
        app.register_blueprint(module.bp)
    app.extensions["sandbox_webhooks"] = webhooks.Dispatcher(
        store, mode=str(settings["SANDBOX_WEBHOOK_DISPATCH"]), transport=webhook_transport)
    app.after_request(webhooks.kick_after_request)
    app.add_template_global(csrf.token, "sandbox_csrf_token")
    app.add_template_global(pages.may_open)
    app.after_request(csrf.set_cookie)

    @app.before_request
    def gate():
        kind = _call_kind(request.path)
        g.call_kind = kind
        if kind is None:
            return None
        fault = store.take_fault(request.method, request.path)
        if fault:
            if fault["kind"] == "throttle":
                seconds = int(fault["retryAfter"] or 0)
                return json_response(
                    {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."},
                    429, {"Retry-After": str(seconds)})
            if fault["kind"] == "error":
                return json_response(error_body(UNEXPECTED, "Unexpected service error. Please retry."), 500)
            g.slow_delay = float(fault["delay"] or 0)
        if kind == "api":
            claims = bearer_claims()
            if claims is None:
                # UNCONFIRMED: the exact 401 body; Partner Center's gateway
                # answers 401 with a WWW-Authenticate challenge.
                return json_response(
                    error_body("Unauthorized", "The access token is missing, invalid or expired."), 401,
                    {"WWW-Authenticate": 'Bearer realm="api.partnercenter.microsoft.com", '
                                         'error="invalid_token"'})
            g.claims = claims
            from .token_rules import refusal  # audience, MFA and App+User-only rules

            refused = refusal(claims)
            if refused is not None:
                return refused
        return None

    @app.after_request
    def finish(response):
        kind = g.get("call_kind")
        if kind:
            store.record_call(
                method=request.method, host=request.host, path=request.path,
                query=request.query_string.decode("latin-1"),
                request_id=request.headers.get("MS-RequestId"),
                correlation_id=request.headers.get("MS-CorrelationId"),
                status=response.status_code)
            delay = g.get("slow_delay")
            if delay:
                time.sleep(delay)
        return response

    @app.errorhandler(PCError)
    def pc_error(exc: PCError):
        return json_response(exc.body(), exc.status, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _call_kind(request.path) is None:
            return exc
        # Documented codes only (error-codes page): 1000 "Not found", else "Invalid request
        # input" or "Unexpected service error".
        code = 1000 if exc.code == 404 else UNEXPECTED if (exc.code or 500) >= 500 else 800002
        return json_response(error_body(code, exc.description or exc.name), exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("sandbox failure on %s %s", request.method, request.path)
        return json_response(error_body(UNEXPECTED, "Unexpected service error."), 500)

    return app
