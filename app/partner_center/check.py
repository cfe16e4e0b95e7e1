"""``check_instance``: is this Partner Center connection usable? (``flask partner-center check``)

It gets an app-only token, makes one cheap read (the US country validation rules) and, when a
refresh token is configured, gets an App+User token and reads the MCA agreement templates.
The answer is ``ok`` plus a sentence an operator can act on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .auth import APP, APP_USER, MfaRequired
from .errors import (
    PartnerCenterAuthError,
    PartnerCenterError,
    PartnerCenterUnavailable,
    Throttled,
)

if TYPE_CHECKING:
    from .client import PartnerCenterClient

__all__ = ["CheckResult", "check_instance"]


@dataclass
class CheckResult:
    ok: bool
    message: str
    instance: str = ""
    passed: list[str] = field(default_factory=list)  # the steps that worked, in order
    error: PartnerCenterError | None = None
    elapsed: float = 0.0

    def __bool__(self) -> bool:
        return self.ok


def _auth_message(exc: PartnerCenterAuthError, authority: str, user: bool) -> str:
    err = (exc.error or "").lower()
    desc = exc.error_description or ""
    if exc.unreachable:
        return f"cannot reach the sign-in service at {authority}: {desc}"
    if err == "no_refresh_token":
        return "no refresh token is configured, App+User operations will fail"
    if "AADSTS7000215" in desc or "AADSTS7000222" in desc or (err == "invalid_client" and not user):
        return f"the client secret was rejected, wrong or expired ({exc.error}): " + desc
    if "AADSTS700016" in desc:
        return "the application (client id) is not found in the partner tenant: " + desc
    if "AADSTS90002" in desc or err == "invalid_authority" or "AADSTS900023" in desc:
        return "the partner tenant id is not known to the sign-in service: " + desc
    if user and err == "invalid_grant":
        return "the refresh token was rejected (expired, revoked or consent missing); sign in again to renew it: " + desc
    return f"could not get a token ({exc.error}): {desc}"


def _call_message(exc: PartnerCenterError, what: str) -> str:
    if isinstance(exc, Throttled):
        wait = f" retry in {int(exc.retry_after)} s" if exc.retry_after is not None else ""
        return f"Partner Center is throttling this partner ({what});{wait}"
    if isinstance(exc, PartnerCenterUnavailable):
        if exc.status is None:
            return f"Partner Center is unreachable ({what}): {exc.description}"
        return f"Partner Center answers with server errors ({what}, HTTP {exc.status})"
    if isinstance(exc, MfaRequired):
        return (f"Partner Center needs a fresh consent with MFA ({what}): the refresh token's sign-in did not use "
                "multifactor authentication (code 900421)")
    if exc.status == 401:
        return f"Partner Center rejected the token ({what}): is the app registered for Partner Center in this tenant?"
    if exc.status == 403:
        return f"Partner Center refused access ({what}): the app or user lacks Partner Center permissions"
    return f"Partner Center call failed ({what}): {exc}"


def check_instance(client: "PartnerCenterClient") -> CheckResult:
    started = time.monotonic()
    name = client.instance.name
    authority = client.tokens.authority
    passed: list[str] = []

    def done(ok: bool, message: str, error: PartnerCenterError | None = None) -> CheckResult:
        if not ok:  # name the instance: an operator may run several
            message = f"{name}: {message}"
        return CheckResult(ok, message, name, passed, error, time.monotonic() - started)

    # (what passed, the call, the errors that fail it, the sentence for them), in order
    steps = [
        ("app-only token", lambda: client.tokens.get_token(APP),
         PartnerCenterAuthError, lambda exc: _auth_message(exc, authority, user=False)),
        ("country rules read", lambda: client.get_country_rules("US"),
         PartnerCenterError, lambda exc: _call_message(exc, "reading the US country rules")),
    ]
    with_user = bool(client.tokens.refresh_token)
    if with_user:
        steps += [
            ("App+User token", lambda: client.tokens.get_token(APP_USER),
             PartnerCenterAuthError, lambda exc: _auth_message(exc, authority, user=True)),
            ("agreement templates read", lambda: client.list_agreement_templates(),
             PartnerCenterError, lambda exc: _call_message(exc, "reading the agreement templates as App+User")),
        ]
    for passes, call, fails_with, explain in steps:
        try:
            call()
        except fails_with as exc:
            return done(False, explain(exc), exc)
        passed.append(passes)
    if with_user:
        return done(True, f"{name}: connected; app-only and App+User authentication work")
    return done(
        True,
        f"{name}: connected with app-only authentication; no refresh token, so App+User "
        "operations (partner ID checks, relationship links, price sheet) are unavailable",
    )
