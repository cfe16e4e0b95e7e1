""""Partner Center needs a fresh consent with MFA": remembered per connection, shown in admin.

Partner Center refuses every App+User call whose token was not obtained through a sign-in with
MFA (401, code 900421; see app.partner_center.auth.MfaRequired). The refresh token's consent
decides that, so every later App+User call would fail the same way until the operator makes the
Secure Application Model consent again, signed in with MFA. The client reports the first such
refusal (TokenProvider.on_mfa_required); it is kept in Redis, shared by the web processes and the
worker, so admin > Partner Center says it once, with the steps, instead of jobs failing one by one.
It is forgotten when the operator saves a new refresh token or a connection check passes.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from flask import Flask

from app.extensions import get_redis
from app.partner_center import MfaRequired
from app.time import utcnow

log = logging.getLogger(__name__)

HEADLINE = "Partner Center needs a fresh consent with MFA"
# The Secure Application Model consent, as Microsoft describes it
# (https://learn.microsoft.com/en-us/partner-center/developer/enable-secure-app-model).
STEPS = (
    "Sign in as a Partner Center user in the Admin agent role whose account uses multifactor authentication "
    "(Microsoft Entra MFA, or a federated provider that passes the MFA claim).",
    "Run the Secure Application Model consent for the storefront's app registration (the authorization-code "
    "sign-in of the app, completing the MFA prompt) and take the refresh token it returns.",
    "Enter that refresh token in the connection below (Add or update a connection, same name) and save.",
    "Press Check connection: when it passes, this notice goes away and waiting work can be processed again.",
)


def _key(name: str) -> str:
    return f"partner-center:mfa-consent-needed:{name}"


def mfa_consent_needed(name: str) -> dict | None:
    """When and on which call Partner Center refused for want of MFA, or None."""
    try:
        raw = get_redis().get(_key(name))
    except Exception:  # Redis down: admin still renders, without the notice
        log.warning("could not read the MFA consent flag of %s", name, exc_info=True)
        return None
    return json.loads(raw) if raw else None


def forget_mfa_consent_needed(name: str) -> None:
    try:
        get_redis().delete(_key(name))
    except Exception:
        log.warning("could not clear the MFA consent flag of %s", name, exc_info=True)


@dataclass(frozen=True)
class MfaRefusalNoticer:
    """TokenProvider.on_mfa_required for one connection: remembers the refusal (never raises)."""

    app: Flask
    name: str

    def __call__(self, error: MfaRequired) -> None:
        try:
            with self.app.app_context():
                get_redis().set(_key(self.name), json.dumps({
                    "at": utcnow().isoformat(timespec="seconds"), "call": f"{error.method or ''} {error.path or ''}".strip(),
                    "request_id": error.request_id, "description": error.description}))
            log.error("Partner Center connection %s: App+User call refused for want of MFA (900421); "
                      "a fresh consent with MFA is needed", self.name)
        except Exception:
            log.warning("could not record that connection %s needs a fresh consent", self.name, exc_info=True)
