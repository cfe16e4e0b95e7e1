"""Where the client's and MSAL's requests go: one routing module for every route that is not
Microsoft itself.

The client and MSAL always build real Microsoft URLs (``https://api.partnercenter.microsoft.com``,
``https://api.partner.microsoft.com``, ``https://login.microsoftonline.com`` ...); only the httpx
transport decides where they land, so the code under test is the code that runs live.

* ``InProcessTransport(wsgi_app)``: every request, whatever its host, to a WSGI app in this
  process (the built-in sandbox in sandbox mode), as faithfully as a server would answer.
* ``HostRewriteTransport(base_url)``: Microsoft's hosts (``clouds.MICROSOFT_HOSTS``) swapped for
  a base URL such as ``http://127.0.0.1:5050`` (a standalone sandbox), path and query kept.
* ``MsalHttpClient(transport)``: the ``http_client`` MSAL takes, over any httpx transport (one
  of the two above). MSAL insists on https authorities and, with ``instance_discovery=False``,
  reads ``{authority}/v2.0/.well-known/openid-configuration`` and then posts to its
  ``token_endpoint``; both calls go through the transport.

Live, the client uses httpx's own transport and MSAL its own ``requests`` session.
"""

from __future__ import annotations

import json as jsonlib
import time
from typing import Any, Iterable, Mapping

import httpx

from .clouds import MICROSOFT_HOSTS

__all__ = ["InProcessTransport", "HostRewriteTransport", "MsalHttpClient", "MsalResponse"]


class InProcessTransport(httpx.WSGITransport):
    """Send every request, whatever its host, to ``app`` (a WSGI app) in this process.

    When the app took longer than the request's read timeout, ``httpx.ReadTimeout`` is raised
    *after* the app processed the request, as with a real server that finished a request the
    client gave up on; retries and idempotency are exercised as they are over the network.
    """

    def __init__(self, app: Any, *, script_name: str = "", raise_app_exceptions: bool = True) -> None:
        super().__init__(app=app, raise_app_exceptions=raise_app_exceptions, script_name=script_name)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        started = time.monotonic()
        response = super().handle_request(request)
        # Drain the body now so a streamed answer counts towards the elapsed time.
        content = b"".join(response.stream)
        elapsed = time.monotonic() - started
        if timeout is not None and elapsed > timeout:
            raise httpx.ReadTimeout(
                f"The app answered after {elapsed:.2f}s, beyond the read timeout of {timeout}s",
                request=request,
            )
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )


class HostRewriteTransport(httpx.BaseTransport):
    """Send requests for Microsoft hosts to ``base_url`` instead (path and query kept; a path
    in ``base_url`` is prefixed). Other hosts pass through untouched.

    The original ``Host`` header is kept (``preserve_host=True``), so the sandbox sees which
    Microsoft host was meant and its discovery document keeps naming Microsoft's https hosts,
    which come back through this transport. Pass ``preserve_host=False`` when the base URL is a
    virtual host behind a proxy that routes on ``Host``."""

    def __init__(
        self,
        base_url: str,
        *,
        hosts: Iterable[str] = MICROSOFT_HOSTS,
        transport: httpx.BaseTransport | None = None,
        preserve_host: bool = True,
    ) -> None:
        self.base = httpx.URL(base_url)
        self.preserve_host = preserve_host
        if not self.base.scheme or not self.base.host:
            raise ValueError(f"base_url must be absolute, got {base_url!r}")
        self.hosts = frozenset(h.lower() for h in hosts)
        self._prefix = self.base.raw_path.rstrip(b"/")
        self._inner = transport or httpx.HTTPTransport()

    def rewrite(self, url: httpx.URL) -> httpx.URL:
        if (url.host or "").lower() not in self.hosts:
            return url
        return url.copy_with(
            scheme=self.base.scheme,
            host=self.base.host,
            port=self.base.port,
            raw_path=self._prefix + url.raw_path,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        new_url = self.rewrite(request.url)
        if new_url is not request.url:
            headers = request.headers.raw
            if not self.preserve_host:
                headers = [(k, v) for k, v in headers if k.lower() != b"host"]
                headers.append((b"Host", new_url.netloc))
            request = httpx.Request(
                request.method,
                new_url,
                headers=headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class MsalResponse:
    """What MSAL reads from an HTTP answer: ``status_code``, ``text``, ``headers`` and
    ``raise_for_status()``."""

    def __init__(self, status_code: int, text: str, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.text = text
        self.headers = dict(headers)

    def json(self) -> Any:
        return jsonlib.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise httpx.HTTPStatusError(
                f"HTTP {self.status_code}", request=None, response=None  # type: ignore[arg-type]
            )

    def __repr__(self) -> str:
        return f"<MsalResponse {self.status_code}>"


class MsalHttpClient:
    """The ``http_client`` MSAL takes, over any httpx ``transport``: an ``InProcessTransport``
    for the in-process sandbox, a ``HostRewriteTransport`` for a standalone one. Answers are
    read whole and handed to MSAL as ``MsalResponse``."""

    def __init__(self, transport: httpx.BaseTransport, *, timeout: float = 10.0) -> None:
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)

    def _wrap(self, response: httpx.Response) -> MsalResponse:
        return MsalResponse(response.status_code, response.text, response.headers)

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> MsalResponse:
        return self._wrap(
            self._client.get(url, params=params, headers=headers, **_httpx_kwargs(kwargs))
        )

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> MsalResponse:
        kw = _httpx_kwargs(kwargs)
        if isinstance(data, (str, bytes)):
            # A body MSAL encoded itself is a form all the same.
            headers = dict(headers or {})
            if not any(str(k).lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            kw["content"] = data
        elif data is not None:
            kw["data"] = data
        if "json" in kwargs:
            kw["json"] = kwargs["json"]
        return self._wrap(self._client.post(url, params=params, headers=headers, **kw))

    def close(self) -> None:
        self._client.close()


def _httpx_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only what httpx understands from requests-style keyword arguments."""
    out: dict[str, Any] = {}
    timeout = kwargs.get("timeout")
    if isinstance(timeout, (int, float)):
        out["timeout"] = timeout
    elif isinstance(timeout, tuple) and len(timeout) == 2:
        out["timeout"] = httpx.Timeout(timeout[1], connect=timeout[0])
    return out
