"""One transport for every Partner Center call: headers, tokens, the retry policy, logging, errors.

Each resource module (``customers``, ``relationships``, ``agreements``, ``catalog``, ``orders``,
``subscriptions``) is a ``Transport`` with its operations, and ``PartnerCenterClient`` composes
them. One logical call (``Transport._call``) runs attempts until one succeeds or the policy gives
up, in four steps:

1. build the request (``_build_request``): ``Authorization``, ``Accept``, ``MS-RequestId``,
   ``MS-CorrelationId``, ``X-Locale`` and ``MS-Contract-Version`` on every attempt, always the
   SAME ``MS-RequestId``, because the request id is Partner Center's idempotency key;
2. send one attempt (``_send_attempt``), logged to the ``app.partner_center`` logger;
3. classify the answer (``classify``): done, throttled, worth retrying, or failed;
4. decide the wait (``_wait_after_no_answer``, ``_wait_after_answer``):

   * 429: what ``Retry-After`` says, doubled on repeats; a wait over ``max_retry_wait`` is not
     slept through: ``Throttled`` is raised at once so a background job can reschedule itself;
   * no answer (timeout, connection failure), 408 and 5xx (but 501 and 505): exponential
     backoff with jitter, at least the ``Retry-After`` a 5xx gave (up to ``max_retry_wait``);
   * anything else, 400/401/403/404/409/412/417 among them: never retried.

Failures become ``errors.PartnerCenterError`` subclasses. Where requests go is decided only by the
httpx transport (and the MSAL http client): live by default, ``routing.InProcessTransport`` for
the in-process sandbox, ``routing.HostRewriteTransport`` for a standalone one.
"""

from __future__ import annotations

import copy
import dataclasses
import json as jsonlib
import logging
import random as random_module
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Self, TypeVar
from urllib.parse import quote

import httpx

from . import errors
from .auth import APP, APP_USER, MfaRequired, TokenProvider
from .clouds import PARTNER_API_SCOPE, PRICE_SHEET_HOST, Cloud, get_cloud
from .operations import GRAPH, PARTNER_API, operation_for, scope_of
from .errors import PartnerCenterError, PartnerCenterUnavailable, Throttled
from .types import Page

__all__ = ["InstanceConfig", "Transport", "new_request_id", "classify"]

_LOGGER = logging.getLogger("app.partner_center")

T = TypeVar("T")

# 5xx that mean "this server will never do that", not "try later".
_PERMANENT_5XX = frozenset({501, 505})
# What an attempt that got no answer raised (anything else httpx raises is not worth a retry).
_NO_ANSWER = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

# An explicit ``auth=`` override some callers still pass: App+User when a refresh token is
# configured, else app-only. The kind an operation needs comes from ``operations.OPERATIONS``.
APP_USER_PREFERRED = "app_user_preferred"


# What ``classify`` makes of an answer.
DONE = "done"
THROTTLED = "throttled"
RETRY = "retry"
FAILED = "failed"


@dataclass(kw_only=True)
class InstanceConfig:
    """One Partner Center connection (a partner tenant + an Entra app registration).

    ``cloud`` names one of ``clouds.CLOUDS`` and fixes the API base and the authority host.
    ``refresh_token`` enables App+User operations. ``timeout`` is the read/write timeout and
    ``connect_timeout`` the connect timeout, in seconds, applied to every call. ``max_attempts``
    bounds the attempts of one call (first try included). A ``Retry-After`` longer than
    ``max_retry_wait`` is not slept through: the call raises ``Throttled`` at once so a
    background job can reschedule itself.
    """

    name: str
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    cloud: str = "public"
    refresh_token: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 4
    locale: str = "en-US"
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_wait: float = 60.0
    # The price sheet is on the Partner API, whose tokens have their own audience
    # (https://learn.microsoft.com/en-us/partner-center/developer/get-a-price-sheet, "Partner API
    # authentication"); a Partner Center token is refused there. Overridable per instance.
    price_sheet_scope: str = PARTNER_API_SCOPE
    price_sheet_host: str = PRICE_SHEET_HOST
    # Where GDAP approval links point (the cloud's admin center unless set; the sandbox's own page).
    admin_center_url: str | None = None

    def __post_init__(self) -> None:
        get_cloud(self.cloud)  # ValueError early for a typo
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @property
    def cloud_info(self) -> Cloud:
        return get_cloud(self.cloud)


def new_request_id() -> str:
    """A fresh MS-RequestId; store it before a mutating call to resume with the same id."""
    return str(uuid.uuid4())


def classify(status: int) -> str:
    """What an HTTP status means for the call: ``DONE`` (below 400), ``THROTTLED`` (429),
    ``RETRY`` (408, and 5xx but 501/505) or ``FAILED`` (every other status)."""
    if status < 400:
        return DONE
    if status == 429:
        return THROTTLED
    if status == 408 or (status >= 500 and status not in _PERMANENT_5XX):
        return RETRY
    return FAILED


@dataclass
class _Call:
    """One logical call: the ids every attempt carries, and how far it got."""

    method: str
    request_id: str
    correlation_id: str
    max_attempts: int
    path: str = ""
    attempts: int = 0
    throttled: int = 0  # retries after a 429
    retried: int = 0  # retries after no answer, a 408 or a 5xx

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts

    def ids(self) -> dict[str, str]:
        """What every error of this call names."""
        return {
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "method": self.method,
            "path": self.path,
        }


class Transport:
    """Partner Center REST v1 for one instance: the calls, without the operations. Thread-safe
    for concurrent calls (httpx.Client and the token provider both are). Close it (or use
    ``with``) to release connections."""

    def __init__(
        self,
        instance: InstanceConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        msal_http_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        logger: logging.Logger | None = None,
    ) -> None:
        self.instance = instance
        self.cloud = instance.cloud_info
        self.api_base = self.cloud.api_base.rstrip("/")
        self._sleep = sleep
        self._random = random
        self._log = logger or _LOGGER
        self._timeout = httpx.Timeout(instance.timeout, connect=instance.connect_timeout)
        self._http = httpx.Client(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": "csp-storefront-partner-center/1"},
        )
        self.tokens = TokenProvider(instance, self.cloud, http_client=msal_http_client)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.instance.name!r} ({self.instance.cloud})>"

    def for_person(self, *, timeout: float = 5.0) -> Self:
        """This client for calls a person waits on (a check as they type, on blur, on a button).

        One attempt with a short timeout, and a 429 raised at once with its Retry-After instead
        of slept through: a web request must never sleep for Microsoft, and a person is better
        served by "try again in N seconds". Shares connections and tokens with this client.
        """
        person = copy.copy(self)
        person.instance = dataclasses.replace(self.instance, max_attempts=1, max_retry_wait=0.0, timeout=timeout,
                                              connect_timeout=min(self.instance.connect_timeout, timeout))
        person._timeout = httpx.Timeout(timeout, connect=person.instance.connect_timeout)
        return person

    def for_tenant(self, tenant_id: str) -> Self:
        """This client's app registration signed in to ANOTHER tenant: a multi-tenant app gets app-only
        tokens at the authority of a tenant whose administrator consented to it
        (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent), such as a reseller's
        partner tenant for its own GDAP relationships. Same connections and retry policy, its own tokens
        (never a refresh token: App+User stays the partner's own)."""
        other = copy.copy(self)
        other.instance = dataclasses.replace(self.instance, name=f"{self.instance.name}@{tenant_id}",
                                             tenant_id=tenant_id, refresh_token=None)
        other.tokens = TokenProvider(other.instance, self.cloud, http_client=self.tokens.http_client)
        return other

    # ------------------------------------------------------------------ one logical call

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        auth: str | None = None,
        scope: str | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one logical call with retries; return the first successful (< 400) response.

        ``url`` is absolute. The same ``MS-RequestId`` (``request_id`` or a fresh GUID) and
        ``MS-CorrelationId`` go on every attempt of this call. The token kind and its scope come
        from ``operations.OPERATIONS`` (``auth``/``scope`` override it, for checks only).
        """
        op = operation_for(method, httpx.URL(url).path, params, json)
        auth = auth or op.kind
        if op.audience == GRAPH:  # Microsoft Graph's audience is the cloud's own Graph host
            scope = scope or scope_of(self.cloud.graph_base)
        scope = scope or (self.instance.price_sheet_scope if op.audience == PARTNER_API else scope_of(op.audience))
        call = _Call(method, request_id or new_request_id(), str(uuid.uuid4()), self.instance.max_attempts)
        content = None if json is None else jsonlib.dumps(json).encode("utf-8")
        while True:
            call.attempts += 1
            request = self._build_request(call, url, params=params, content=content, headers=headers,
                                          auth=auth, scope=scope)
            try:
                response = self._send_attempt(call, request, stream=stream)
            except _NO_ANSWER as exc:
                self._sleep(self._wait_after_no_answer(call, exc))
                continue
            outcome = classify(response.status_code)
            if outcome == DONE:
                return response
            error = self._error_of(call, response, stream=stream)
            if response.status_code == 401:
                # Not retried; but the token may have been revoked or the app's secret rotated:
                # forget the token (and MSAL's cache) so the next call gets a fresh one.
                self.tokens.reset()
                if isinstance(error, MfaRequired) and self.tokens.on_mfa_required is not None:
                    self.tokens.on_mfa_required(error)
            self._sleep(self._wait_after_answer(call, outcome, error, response))

    def _build_request(
        self,
        call: _Call,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        auth: str,
        scope: str,
    ) -> httpx.Request:
        """One attempt's request, with a valid token and the call's ids."""
        standard = {"Accept": "application/json"}
        if content is not None:
            standard["Content-Type"] = "application/json"
        request = self._http.build_request(
            call.method,
            url,
            params=params,
            content=content,
            headers={
                **standard,
                "Authorization": f"Bearer {self._token(auth, scope)}",
                "MS-RequestId": call.request_id,
                "MS-CorrelationId": call.correlation_id,
                "X-Locale": self.instance.locale,
                "MS-Contract-Version": "v1",
                **(headers or {}),
            },
            timeout=self._timeout,
        )
        call.path = request.url.raw_path.decode("ascii", "replace")
        return request

    def _send_attempt(self, call: _Call, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send once and log it. No answer raises what httpx raised (one of ``_NO_ANSWER``); a
        request httpx cannot send at all (unsupported protocol, invalid URL ...) is
        ``PartnerCenterUnavailable``, not retried."""
        started = time.monotonic()
        try:
            response = self._http.send(request, stream=stream)
        except _NO_ANSWER as exc:
            self._log_attempt(logging.WARNING, call, type(exc).__name__, time.monotonic() - started)
            raise
        except httpx.HTTPError as exc:
            raise PartnerCenterUnavailable(
                None, None, f"{type(exc).__name__}: {exc}", retryable=False, **call.ids()
            ) from exc
        status = response.status_code
        level = logging.WARNING if status >= 500 or status == 429 else logging.INFO
        self._log_attempt(level, call, status, time.monotonic() - started)
        return response

    def _error_of(self, call: _Call, response: httpx.Response, *, stream: bool) -> PartnerCenterError:
        """The most specific error for a failed answer (a streamed one is read and closed first)."""
        if stream:
            response.read()
            response.close()
        return errors.error_from_response(
            response.status_code, response.content, headers=response.headers, **call.ids()
        )

    def _wait_after_no_answer(self, call: _Call, exc: Exception) -> float:
        """Seconds before the next attempt after a timeout or connection failure; on the last
        attempt, ``PartnerCenterUnavailable``."""
        if call.last_attempt:
            raise PartnerCenterUnavailable(
                None, None, f"no answer after {call.attempts} attempt(s): {type(exc).__name__}: {exc}",
                **call.ids(),
            ) from exc
        call.retried += 1
        return self._backoff(call.retried)

    def _wait_after_answer(
        self, call: _Call, outcome: str, error: PartnerCenterError, response: httpx.Response
    ) -> float:
        """Seconds before the next attempt after a failed answer; raises the error when the
        policy gives up (see the module doc)."""
        if outcome == THROTTLED:
            assert isinstance(error, Throttled)
            call.throttled += 1
            wait = error.retry_after
            if wait is None:
                wait = self._backoff(call.throttled + 1)
            else:
                # Wait what we were told; on repeats back off exponentially from there.
                wait = wait * (2 ** (call.throttled - 1))
            if call.last_attempt or wait > self.instance.max_retry_wait:
                raise error
            return wait
        if outcome == FAILED:
            raise error
        if call.last_attempt:
            if not isinstance(error, PartnerCenterUnavailable):
                raise PartnerCenterUnavailable(
                    error.status, error.code, error.description, error.data,
                    error_name=error.error_name, body=error.body, **call.ids(),
                )
            raise error
        call.retried += 1
        wait = self._backoff(call.retried)
        hinted = errors.parse_retry_after(response.headers.get("Retry-After"))
        if hinted is not None:
            wait = max(wait, min(hinted, self.instance.max_retry_wait))
        return wait

    def _backoff(self, n: int) -> float:
        """Exponential backoff with 'equal jitter' for the n-th retry (n >= 1)."""
        delay = min(self.instance.backoff_max, self.instance.backoff_base * (2 ** (n - 1)))
        return delay / 2 + self._random() * delay / 2

    def _token(self, auth: str, scope: str) -> str:
        if auth == APP_USER_PREFERRED:
            auth = APP_USER if self.tokens.refresh_token else APP
        return self.tokens.get_token(auth, scope)

    def _log_attempt(self, level: int, call: _Call, status: Any, elapsed: float) -> None:
        self._log.log(
            level,
            "partner center %s %s %s -> %s attempt %d/%d MS-RequestId=%s MS-CorrelationId=%s %.3fs",
            self.instance.name,
            call.method,
            call.path,
            status,
            call.attempts,
            self.instance.max_attempts,
            call.request_id,
            call.correlation_id,
            elapsed,
            extra={
                "pc_instance": self.instance.name,
                "pc_method": call.method,
                "pc_path": call.path,
                "pc_status": status,
                "pc_attempt": call.attempts,
                "pc_request_id": call.request_id,
                "pc_correlation_id": call.correlation_id,
                "pc_elapsed": elapsed,
            },
        )

    # ------------------------------------------------------------------ shapes of answers

    def _url(self, path: str) -> str:
        return f"{self.api_base}/v1{path}"

    @staticmethod
    def _q(segment: str) -> str:
        return quote(str(segment), safe="")

    def _json(self, method: str, path: str, *, url: str | None = None, **kw: Any) -> Any:
        """The decoded answer to ``method path`` under /v1 ({} when it is empty); ``url``, when given,
        is the address to call instead (another API of Partner Center's, path then naming it in errors)."""
        response = self._call(method, url or self._url(path), **kw)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise PartnerCenterError(
                response.status_code,
                None,
                f"expected JSON, got {response.headers.get('content-type', 'no content type')}",
                method=method,
                path=path,
                request_id=response.request.headers.get("MS-RequestId"),
                correlation_id=response.request.headers.get("MS-CorrelationId"),
            ) from exc

    def _get(self, path: str, item: Callable[[Mapping[str, Any]], T], *,
             params: Mapping[str, Any] | None = None) -> T:
        """The one resource at ``GET path``, read with ``item``."""
        return item(self._json("GET", path, params=params))

    def _collection(
        self,
        path: str,
        item: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, Any] | None = None,
        max_pages: int = 1000,
    ) -> list[T]:
        """Every item of a (possibly paged) collection."""
        out: list[T] = []
        token = None
        for _ in range(max_pages):
            page = self._page(path, item, params=params, continuation_token=token)
            out.extend(page.items)
            token = page.continuation_token
            if not token or not page.items:
                break
        return out

    def _page(
        self,
        path: str,
        item: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, Any] | None = None,
        continuation_token: str | None = None,
    ) -> Page[T]:
        params = dict(params or {})
        headers = {}
        if continuation_token:
            # UNCONFIRMED detail: we rebuild the next-page request ourselves (same path and
            # query, plus seekOperation=Next and the MS-ContinuationToken header) instead of
            # following links.next.uri, whose base path is not documented.
            params["seekOperation"] = "Next"
            headers["MS-ContinuationToken"] = continuation_token
        data = self._json("GET", path, params=params or None, headers=headers)
        if isinstance(data, list):  # defensive: a bare array
            return Page(items=[item(x) for x in data if isinstance(x, Mapping)], total_count=len(data))
        return Page.from_json(data, item)
