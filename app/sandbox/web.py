"""HTTP plumbing shared by the sandbox's blueprints: Partner Center error
bodies, collections, input casing, bearer tokens and MS-RequestId idempotency."""

from __future__ import annotations

import json
from typing import Any, Callable

from flask import current_app, g, request

from . import tokens
from .store import SandboxStore, Tx

# "Invalid request input" (400), Partner Center's generic code for a malformed request
# (https://learn.microsoft.com/partner-center/developer/error-codes).
INVALID_INPUT = 800002
# "This resource does not support application-only authentication." (403, same page)
APP_ONLY_NOT_SUPPORTED = 900329


class PCError(Exception):
    """An answer in Partner Center's error shape."""

    def __init__(self, status: int, code: int | str, description: str,
                 data: list | None = None, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.data = data or []
        self.headers = headers or {}

    def body(self) -> dict:
        return error_body(self.code, self.description, self.data)


def error_body(code: int | str, description: str, data: list | None = None) -> dict:
    return {"code": code, "description": description, "data": data or [], "source": "PartnerCenter"}


def json_response(body: Any, status: int = 200, headers: dict | None = None):
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype="application/json")
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def collection(items: list, links: dict | None = None, **extra) -> dict:
    body = {"totalCount": len(items), "items": items, "links": links or {},
            "attributes": {"objectType": "Collection"}}
    body.update(extra)
    return body


def link(uri: str, method: str = "GET", headers: list | None = None) -> dict:
    return {"uri": uri, "method": method, "headers": headers or []}


def store() -> SandboxStore:
    return current_app.extensions["sandbox_store"]


def setting(key: str) -> Any:
    return current_app.config[key]


def camelize(value: Any) -> Any:
    """Partner Center accepts PascalCase input: lower the first letter of keys."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): camelize(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def body_json(required: bool = True) -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise PCError(400, INVALID_INPUT, "The request body is required.")
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise PCError(400, INVALID_INPUT, "The request body is not valid JSON.")
    if not isinstance(parsed, dict):
        raise PCError(400, INVALID_INPUT, "The request body must be a JSON object.")
    return camelize(parsed)


def bearer_claims() -> tokens.TokenClaims | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return tokens.validate(setting("SANDBOX_CLIENT_SECRET"), header[7:].strip())


def app_only_refused() -> PCError:
    """An app-only token on an App+User-only operation (the list is token_rules.APP_USER_ONLY).

    403 with the words Microsoft's service gives ("This resource can't be accessed by application
    credentials.", and "You should be getting back a 403" from Microsoft's maintainer,
    https://github.com/PartnerCenterSamples/Reseller-Web-Application/issues/13).
    The code is the error-codes page's 900329 "This resource does not support application-only
    authentication"."""
    return PCError(403, APP_ONLY_NOT_SUPPORTED, "This resource can't be accessed by application credentials. "
                             "Use App+User authentication (the Secure Application Model).")



def query_arg(name: str, default: str | None = None) -> str | None:
    """Query parameters are matched case-insensitively, as IIS does."""
    for key, value in request.args.items():
        if key.lower() == name.lower():
            return value
    return default


def idempotent(scope: str, handler: Callable[[Tx], tuple[int, Any] | tuple[int, Any, dict]]):
    """Run ``handler`` in one write transaction, keyed by MS-RequestId.

    A request repeated with the same MS-RequestId (same operation scope) gets
    the first answer again, status and body, and changes nothing more. Errors
    the handler raises are remembered too, so a retry sees the same answer."""
    request_id = request.headers.get("MS-RequestId", "").strip().lower()
    key = f"{scope}|{request_id}" if request_id else None
    st = store()
    try:
        with st.tx() as tx:
            if key:
                replay = tx.replay(key)
                if replay:
                    status, body, headers = replay
                    g.idempotent_replay = True
                    return json_response(body, status, headers)
            result = handler(tx)
            status, body = result[0], result[1]
            headers = result[2] if len(result) > 2 else {}
            if key:
                tx.remember(key, status, body, headers)
    except PCError as exc:
        if key:
            with st.tx() as tx:
                replay = tx.replay(key)
                if replay:
                    status, body, headers = replay
                    return json_response(body, status, headers)
                tx.remember(key, exc.status, exc.body(), exc.headers)
        raise
    return json_response(body, status, headers)
