"""Tokens for Partner Center, through MSAL (unmodified, in live and sandbox mode alike).

Two kinds of token:

* app-only (``acquire_token_for_client``), for most operations;
* App+User (``acquire_token_by_refresh_token`` with the stored Secure Application Model
  refresh token), for the operations Microsoft marks App+User only: MPN profile, relationship
  request link, indirect reseller list, agreement templates, price sheet.

MSAL keeps its own token cache; on top of it we keep the last token per kind with its expiry,
renewed ``refresh_margin`` seconds (default 5 minutes) before it expires, so a busy worker does
not go through MSAL's cache lookup (or the refresh-token grant, which MSAL never caches as an
access token lookup) on every call.

App-only and App+User tokens come from two separate MSAL applications, each with its own
token cache: MSAL's ``acquire_token_for_client`` cache lookup does not tell an app-only access
token from one obtained by the refresh-token grant for the same client and scope, so with one
shared cache an "app-only" call could silently run as the user.

Where MSAL is pointed is decided by the ``http_client`` given to it: ``None`` means MSAL's own
``requests`` session (live); the sandbox, in-process or standalone, gets a
``routing.MsalHttpClient`` over the matching transport.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import msal

from .clouds import PARTNER_CENTER_SCOPE, Cloud
from .errors import PartnerCenterAuthError, PartnerCenterError, register_error_code

logger = logging.getLogger("app.partner_center")

__all__ = ["TokenProvider", "AccessToken", "APP", "APP_USER", "MfaRequired", "MFA_REQUIRED_CODE"]

# Partner Center refuses an App+User call whose token carries no MFA claim: 401, code 900421,
# enforced for every App+User call from 1 April 2026
# (https://learn.microsoft.com/en-us/partner-center/security/partner-security-requirements-mandating-mfa,
# "Partner Center and APIs"). Only a new Secure Application Model consent, signed in with MFA,
# gives a refresh token whose tokens carry it: retrying never helps.
MFA_REQUIRED_CODE = "900421"


class MfaRequired(PartnerCenterError):
    """An App+User call refused because the consent behind the refresh token was made without
    MFA: Partner Center needs a fresh consent with MFA (the operator's, in admin)."""


register_error_code(MFA_REQUIRED_CODE, MfaRequired)

APP = "app"
APP_USER = "app_user"


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: float  # epoch seconds
    kind: str
    scope: str


class TokenProvider:
    """Gets and caches tokens for one Partner Center instance.

    ``instance`` is anything with ``name``, ``tenant_id``, ``client_id``, ``client_secret`` and
    ``refresh_token`` (an ``InstanceConfig``). The MSAL application is built lazily on the first
    token request, because building it already fetches the authority's OpenID configuration.
    """

    def __init__(
        self,
        instance: Any,
        cloud: Cloud,
        *,
        http_client: Any = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 300.0,
    ) -> None:
        self.instance = instance
        self.cloud = cloud
        self.authority = f"{cloud.authority_host}/{instance.tenant_id}"
        self._http_client = http_client
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._lock = threading.RLock()
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._tokens: dict[tuple[str, str], AccessToken] = {}
        self._refresh_token: str | None = getattr(instance, "refresh_token", None)
        # Called with the new refresh token when Entra rotates it, so the caller can store it; it
        # runs under this provider's lock and must not raise.
        self.on_refresh_token: Callable[[str], None] | None = None
        # Called with the error when Partner Center refuses an App+User call for want of MFA, so
        # the storefront can tell its operator once instead of failing call after call; must not raise.
        self.on_mfa_required: Callable[[MfaRequired], None] | None = None

    # -- public

    @property
    def http_client(self) -> Any:
        """What MSAL sends its requests through (None: MSAL's own session)."""
        return self._http_client

    @property
    def refresh_token(self) -> str | None:
        """The newest refresh token (Entra may rotate it on each App+User grant); the
        storefront may persist it."""
        return self._refresh_token

    def get_token(self, kind: str = APP, scope: str = PARTNER_CENTER_SCOPE) -> str:
        """A valid bearer token of ``kind`` (``APP`` or ``APP_USER``) for ``scope``."""
        with self._lock:
            cached = self._tokens.get((kind, scope))
            if cached and cached.expires_at - self._refresh_margin > self._clock():
                return cached.token
            result = self._acquire(kind, scope)
            token = result["access_token"]
            expires_in = _as_float(result.get("expires_in"), 3600.0)
            self._tokens[(kind, scope)] = AccessToken(
                token=token, expires_at=self._clock() + expires_in, kind=kind, scope=scope
            )
            rotated = result.get("refresh_token") if kind == APP_USER else None
            if rotated and rotated != self._refresh_token:
                self._refresh_token = rotated
                if self.on_refresh_token is not None:
                    self.on_refresh_token(rotated)
            logger.debug(
                "token for %s (%s) from %s, expires in %ss",
                self.instance.name,
                kind,
                result.get("token_source", "identity_provider"),
                int(expires_in),
            )
            return token

    def invalidate(self) -> None:
        """Forget our cached tokens (MSAL's own cache stays)."""
        with self._lock:
            self._tokens.clear()

    def reset(self) -> None:
        """Forget every token, MSAL's caches included (after a 401: a revoked token or a
        rotated secret); the next call builds fresh MSAL applications."""
        with self._lock:
            self._tokens.clear()
            self._apps.clear()

    # -- internals

    def _application(self, kind: str) -> msal.ConfidentialClientApplication:
        if kind not in self._apps:
            try:
                self._apps[kind] = msal.ConfidentialClientApplication(
                    self.instance.client_id,
                    authority=self.authority,
                    client_credential=self.instance.client_secret,
                    http_client=self._http_client,
                    instance_discovery=False,
                )
            except ValueError as exc:
                # MSAL raises ValueError when the authority's OpenID configuration is missing,
                # typically an unknown tenant id.
                raise PartnerCenterAuthError(
                    self.instance.name, "invalid_authority", f"{self.authority}: {exc}"
                ) from exc
            except Exception as exc:  # connection refused, DNS, TLS, timeouts ...
                raise self._unreachable(exc) from exc
        return self._apps[kind]

    def _unreachable(self, exc: Exception) -> PartnerCenterAuthError:
        return PartnerCenterAuthError(
            self.instance.name,
            "unreachable",
            f"cannot reach {self.cloud.authority_host}: {type(exc).__name__}: {exc}",
            unreachable=True,
        )

    def _acquire(self, kind: str, scope: str) -> dict[str, Any]:
        if kind == APP_USER and not self._refresh_token:
            raise PartnerCenterAuthError(
                self.instance.name,
                "no_refresh_token",
                "this operation needs App+User authentication and the instance has no "
                "refresh token configured",
            )
        app = self._application(kind)
        try:
            if kind == APP_USER:
                result = app.acquire_token_by_refresh_token(self._refresh_token, scopes=[scope])
            else:
                result = app.acquire_token_for_client(scopes=[scope])
        except PartnerCenterAuthError:
            raise
        except Exception as exc:
            raise self._unreachable(exc) from exc
        if not isinstance(result, dict) or "access_token" not in result:
            result = result if isinstance(result, dict) else {}
            raise PartnerCenterAuthError(
                self.instance.name,
                result.get("error") or "no_token",
                result.get("error_description") or "MSAL returned no access token",
            )
        return result


def _as_float(v: Any, default: float) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return default
