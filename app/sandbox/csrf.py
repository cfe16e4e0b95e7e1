"""The sandbox's own protection against forged form posts (CSRF), for its HTML forms: the
admin-center acceptance page and the controls page.

Double submit: the first page that shows a form puts a random value in a cookie of the sandbox's
path and the same value in the form's hidden field; a POST is accepted only when both are sent
and equal. Another site can make a browser post to the sandbox, but cannot read or set the
sandbox's cookie, so it cannot send the matching field. The sandbox imports nothing of the
storefront: the storefront's Flask-WTF never sees these forms.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps

from flask import g, render_template, request, url_for

COOKIE = "sandbox_csrf"
FIELD = "sandbox_csrf"


def token() -> str:
    """The value for the hidden field of the forms on this page (a template global)."""
    if "sandbox_csrf" not in g:
        current = request.cookies.get(COOKIE, "")
        if len(current) < 32:
            current = secrets.token_urlsafe(32)
            g.sandbox_csrf_new = True
        g.sandbox_csrf = current
    return g.sandbox_csrf


def set_cookie(response):
    """After a page that made a new token: remember it in the browser, for the sandbox's pages only."""
    if g.get("sandbox_csrf_new"):
        response.set_cookie(COOKIE, g.sandbox_csrf, path=request.script_root or "/", httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


def valid() -> bool:
    cookie = request.cookies.get(COOKIE, "")
    sent = request.form.get(FIELD, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def protect(view):
    """Refuse (400, nothing done) a POST without the token its page gave."""
    @wraps(view)
    def checked(*args, **kwargs):
        if request.method == "POST" and not valid():
            # Back to the page that has the form: the same address when it shows one, else the controls.
            if "GET" in request.url_rule.methods:
                again = request.script_root + request.full_path.rstrip("?")
            else:
                again = url_for("sandbox_control.admin")
            return render_template("sandbox/form_refused.html", again=again), 400
        return view(*args, **kwargs)

    return checked
