"""Self-describing access tokens, HMAC-signed with the client secret.

Every process that knows the secret can validate a token without shared state
(gunicorn workers, the RQ worker and the test process all do). Expiry uses the
real clock, not the sandbox clock: MSAL caches tokens by the real clock, so an
advanced sandbox clock must not make a freshly cached token look expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

PREFIX = "pcsbx"
LIFETIME_SECONDS = 3599

# The two resources a token can be for (its "aud"): the Partner Center API and the Partner API,
# where the new-commerce price sheet lives; each refuses the other's tokens.
# https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls
PARTNER_CENTER = "https://api.partnercenter.microsoft.com"
PARTNER_API = "https://api.partner.microsoft.com"
# Microsoft Graph (GDAP, https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationships-api-overview).
GRAPH = "https://graph.microsoft.com"
AUDIENCES = (PARTNER_CENTER, PARTNER_API, GRAPH)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, prefix: str, body: str) -> bytes:
    return hmac.new(secret.encode(), f"{prefix}.{body}".encode(), hashlib.sha256).digest()


def _sign(secret: str, prefix: str, payload: dict) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{prefix}.{body}.{_b64(_signature(secret, prefix, body))}"


def _payload(secret: str, prefix: str, token: str) -> dict | None:
    """The payload of a genuine, unexpired token signed under ``prefix``, else None."""
    try:
        found, body, signature = token.split(".")
        if found != prefix or not hmac.compare_digest(_signature(secret, prefix, body), _unb64(signature)):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    return payload if payload.get("exp", 0) > time.time() else None


@dataclass(frozen=True)
class TokenClaims:
    tenant_id: str
    client_id: str
    app_user: bool
    expires_at: float
    audience: str = PARTNER_CENTER
    # Entra's "amr" (authentication methods) of the user's sign-in; Partner Center looks for "mfa"
    # in App+User tokens (https://learn.microsoft.com/en-us/powershell/partnercenter/test-partner-security-requirements).
    amr: tuple[str, ...] = ()

    @property
    def mfa(self) -> bool:
        return "mfa" in self.amr


def issue(secret: str, *, tenant_id: str, client_id: str, app_user: bool,
          lifetime: int = LIFETIME_SECONDS, audience: str = PARTNER_CENTER, mfa: bool = True) -> str:
    payload = {
        "tid": tenant_id,
        "appid": client_id,
        "aud": audience,
        "app_user": bool(app_user),
        "iat": int(time.time()),
        "exp": int(time.time()) + lifetime,
        "jti": secrets.token_hex(8),
    }
    if app_user:  # app-only tokens have no user, so no sign-in methods
        payload["amr"] = ["pwd", "mfa"] if mfa else ["pwd"]
    return _sign(secret, PREFIX, payload)


def validate(secret: str, token: str) -> TokenClaims | None:
    """The claims of a genuine, unexpired token, else None."""
    payload = _payload(secret, PREFIX, token)
    if payload is None:
        return None
    return TokenClaims(
        tenant_id=payload.get("tid", ""),
        client_id=payload.get("appid", ""),
        app_user=bool(payload.get("app_user")),
        expires_at=float(payload["exp"]),
        audience=payload.get("aud", ""),
        amr=tuple(payload.get("amr") or ()),
    )


# Refresh tokens the token endpoint hands out when it rotates them (Entra returns a new one on
# every refresh-token grant): signed like access tokens, under their own prefix so that neither
# kind passes for the other. "issued" is the sandbox clock's time (epoch seconds), so a demo or a
# test can let one expire by moving that clock: Entra's refresh tokens for this flow expire after
# 90 days without use, and each grant hands out a new one with a fresh 90 days
# (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens).
REFRESH_PREFIX = "pcsbxrt"
REFRESH_LIFETIME_SECONDS = 90 * 24 * 3600


def issue_refresh(secret: str, *, tenant_id: str, client_id: str, issued: float) -> str:
    payload = {"tid": tenant_id, "appid": client_id, "iat": int(time.time()), "issued": int(issued),
               "exp": int(time.time()) + 10 * REFRESH_LIFETIME_SECONDS, "jti": secrets.token_hex(8)}
    return _sign(secret, REFRESH_PREFIX, payload)


def refresh_claims(secret: str, token: str) -> dict | None:
    """The payload of a genuine refresh token that issue_refresh made with this secret (its
    "issued" and "jti" decide, in the token endpoint, whether it is still valid), else None."""
    return _payload(secret, REFRESH_PREFIX, token)
