"""Every request reads the signed session cookie, and every page signs a CSRF token: each process remembers
what it already worked out instead of doing it again on every request (issue 14, pages under load).

- The session cookie: Flask checks its signature (HMAC), decodes it and parses its JSON on every request,
  about a tenth of a millisecond. A browser sends the same cookie until the session changes, and a signed
  cookie's content is fixed by its text, so the decoded session is kept per cookie text. Its age is still
  checked on every request against PERMANENT_SESSION_LIFETIME, as Flask does, from the time it was signed.
  Each request gets its own copy: a flash appended in one request must not show in another.
- The CSRF token: Flask-WTF signs the session's raw token again for every page (HMAC, base64, a time
  stamp), as much again. CSRF tokens here never expire by time (WTF_CSRF_TIME_LIMIT is None: they live as
  long as the session), so a token signed once for a raw token is as good as a new one; it is kept per raw
  token and handed to Flask-WTF where it keeps a request's token (`g.csrf_token`, which it documents).

Both are bounded (the oldest entries go first) and hold nothing a request could not rebuild from its cookie.
"""
from __future__ import annotations

import copy
import time

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

KEPT = 10_000  # cookies, and CSRF tokens, a process remembers
_IMMUTABLE = frozenset((str, int, float, bool, bytes, type(None)))


def _remember(store: dict, key, value) -> None:
    if len(store) >= KEPT:
        del store[next(iter(store))]  # dicts keep insertion order: the oldest goes
    store[key] = value


class CachedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, decoding each cookie text once per process."""

    def __init__(self):
        self._decoded: dict[str, tuple[dict, float, object]] = {}

    def open_session(self, app: Flask, request):
        value = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not value:
            return super().open_session(app, request)
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._decoded.get(value)
        if known is None:
            serializer = self.get_signing_serializer(app)
            if serializer is None:
                return None  # no secret key: Flask's answer
            try:
                data, signed_at = serializer.loads(value, max_age=int(max_age), return_timestamp=True)
            except BadSignature:  # forged, tampered with, or expired (SignatureExpired is one)
                return self.session_class()
            known = (data, signed_at.timestamp(), app.secret_key)
            _remember(self._decoded, value, known)
        data, signed_at, secret_key = known
        if secret_key != app.secret_key:  # the key changed since: check the signature again
            del self._decoded[value]
            return self.open_session(app, request)
        if time.time() - signed_at > max_age:
            self._decoded.pop(value, None)
            return self.session_class()  # expired, as itsdangerous would have said
        return self.session_class({key: item if type(item) in _IMMUTABLE else copy.deepcopy(item)
                                   for key, item in data.items()})


def reuse_csrf_tokens(app: Flask) -> None:
    """Hand Flask-WTF the signed CSRF token this process made earlier for the session's raw token, and keep
    the ones it makes. Only with WTF_CSRF_TIME_LIMIT None: a token with a time limit must be signed anew."""
    if app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed_tokens: dict[tuple, str] = {}  # the session's raw CSRF token and the signing key: its signed form
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    def key(raw: str) -> tuple:
        return raw, app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key

    @app.before_request
    def _known_csrf_token():
        # Only a request with a session (reading it marks the response Vary: Cookie), and no static file.
        if request.endpoint == "static" or cookie_name not in request.cookies:
            return
        raw = session.get(field_name)
        if isinstance(raw, str) and key(raw) in signed_tokens:
            setattr(g, field_name, signed_tokens[key(raw)])

    @app.after_request
    def _keep_csrf_token(response):
        signed = g.get(field_name)
        if not isinstance(signed, str):
            return response  # no token made or used: the session need not be read
        raw = session.get(field_name)
        if isinstance(raw, str) and key(raw) not in signed_tokens:
            _remember(signed_tokens, key(raw), signed)
        return response
