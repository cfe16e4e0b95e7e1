"""Reaching the sandbox without changing the client's URLs.

- ``SandboxTransport``: an httpx transport that sends every request, whatever
  its host, to the sandbox WSGI app in-process. When the sandbox took longer
  than the request's read timeout it raises ``httpx.ReadTimeout`` *after* the
  sandbox processed the request, as a real server that finished a request the
  client gave up on.
- ``SandboxMsalHttpClient``: the ``http_client`` MSAL accepts, routing
  Microsoft's hosts either through that transport or to a standalone sandbox
  at a base URL (the original host travels in the Host header, so the
  discovery document keeps naming Microsoft's hosts).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx


class SandboxTransport(httpx.WSGITransport):
    """Dispatch any host to the sandbox WSGI app (a BaseTransport)."""

    def __init__(self, app, *, script_name: str = "", raise_app_exceptions: bool = True):
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
                f"The sandbox answered after {elapsed:.2f}s, beyond the read timeout of {timeout}s",
                request=request)
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              request=request, extensions={"http_version": b"HTTP/1.1"})


# Hosts of Microsoft's identity platform and Partner Center APIs (all clouds).
MICROSOFT_HOSTS = {
    "login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
    "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
    "login.microsoftonline.de", "api.partnercenter.microsoft.com", "api.partner.microsoft.com",
    "partner.partnercenterapi.microsoftonline.cn",
}


class SandboxMsalHttpClient:
    """An MSAL-compatible ``http_client`` (``get``/``post`` returning objects
    with ``status_code``, ``text``, ``headers``, ``raise_for_status()``).

    ``target`` is one of: a ``SandboxTransport`` (or any httpx transport), the
    sandbox WSGI app itself, or the base URL of a standalone sandbox such as
    ``http://127.0.0.1:5050`` (a path prefix like ``/sandbox`` is kept). With a
    base URL, requests to Microsoft's hosts (and to https URLs on any other
    host) are rewritten onto the base URL and carry the original host in the
    Host header."""

    def __init__(self, target: Any, *, timeout: float = 30.0):
        self.base_url: str | None = None
        if isinstance(target, str):
            self.base_url = target.rstrip("/")
            self._client = httpx.Client(timeout=timeout)
        else:
            transport = target if isinstance(target, httpx.BaseTransport) else SandboxTransport(target)
            self._client = httpx.Client(transport=transport, timeout=timeout)

    def _route(self, url: str, headers: dict | None) -> tuple[str, dict]:
        headers = dict(headers or {})
        if self.base_url is None:
            return url, headers
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        if parts.netloc == base.netloc and parts.scheme == base.scheme:
            return url, headers
        if parts.hostname in MICROSOFT_HOSTS or parts.scheme == "https":
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers["Host"] = parts.netloc
            return self.base_url + path, headers
        return url, headers

    def get(self, url, params=None, headers=None, **kwargs):
        url, headers = self._route(url, headers)
        return self._client.get(url, params=params, headers=headers, **self._pass(kwargs))

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        url, headers = self._route(url, headers)
        if isinstance(data, (str, bytes)):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            return self._client.post(url, params=params, content=data, headers=headers, **self._pass(kwargs))
        return self._client.post(url, params=params, data=data, headers=headers, **self._pass(kwargs))

    @staticmethod
    def _pass(kwargs: dict) -> dict:
        return {k: v for k, v in kwargs.items() if k == "timeout"}

    def close(self) -> None:
        self._client.close()
