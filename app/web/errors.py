"""Error pages: full pages normally, fragments for htmx requests.

htmx does not swap error responses by default; the layout's htmx-config swaps them, and here
we retarget error fragments into the flash region so they never replace a form.
"""
from __future__ import annotations

import logging
from typing import Callable

import redis
from flask import Flask, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.web.access import Permission, access_of
from app.web.form_pages import page_of_form
from app.web.rendering import is_htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Check what you entered and try again."),
    401: ("Please sign in", "You need to sign in to see this page."),
    403: ("Access denied", "Your account does not have access to this page."),
    404: ("Page not found", "There is no page at this address. It may have moved, or the link may be wrong."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    422: ("Check your input", "Some of what you entered needs attention."),
    429: ("Too many requests", "You have made too many attempts. Please wait a little and try again."),
    503: ("Try again in a minute", "A service the storefront needs is not reachable right now. Nothing was lost; "
                                   "please try again in a minute."),
    500: ("Something went wrong", "An unexpected error occurred on our side. It has been logged; please try again in a moment."),
}

QUEUE_UNREACHABLE = ("The job queue is not reachable right now, so this could not be done. Nothing was lost; "
                     "please try again in a minute.")

CSRF_MESSAGE = (
    "Your form could not be submitted because its security token is missing or has expired. "
    "This protects you from forged requests. Go back, reload the page and submit the form again."
)


# Forms shown again, rather than the error page, when sent with a security token that expired with the session
# (the page left open while the session cookie ended): endpoint -> the view's answer, which keeps what it can of
# what was typed and renders a fresh token. Areas register theirs (infrastructure imports no area).
_STALE_FORM_ANSWERS: dict[str, Callable] = {}
# Flask-WTF's words for a token the page had when the session was another (not a token missing or forged).
STALE_TOKEN = ("The CSRF session token is missing.", "The CSRF tokens do not match.", "The CSRF token has expired.")


def answers_a_stale_form(endpoint: str):
    """Register the decorated function as `endpoint`'s answer to its form sent with an expired token (None: the
    error page after all)."""
    def register(answer: Callable) -> Callable:
        _STALE_FORM_ANSWERS[endpoint] = answer
        return answer
    return register


def error_response(status: int, title: str | None = None, message: str | None = None, headers=None):
    default_title, default_message = MESSAGES.get(status, (f"Error {status}", ""))
    context = {"status": status, "title": title or default_title, "message": message or default_message}
    if is_htmx():
        body = render_template("errors/_error.html", **context)
        response_headers = {"HX-Retarget": "#flash-region", "HX-Reswap": "beforeend", "Vary": "HX-Request"}
    else:
        body = render_template("errors/error.html", **context)
        response_headers = {"Vary": "HX-Request"}
    response_headers.update(headers or {})
    return body, status, response_headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if not current_user.is_authenticated and _needs_sign_in(app):
            # The session ended while the form was open (its cookie expired, the browser was closed) and took
            # the form's token with it: what the person needs to hear is that they were signed out.
            return app.login_manager.unauthorized()
        if request.endpoint in _STALE_FORM_ANSWERS and error.description in STALE_TOKEN:
            answer = _STALE_FORM_ANSWERS[request.endpoint]()
            if answer is not None:
                return answer
        return error_response(400, "Security check failed", CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 405 and (page := page_of_form()) is not None:
            # The address a POST-only form's answer was shown at, reloaded or opened: its page, not a dead end.
            return redirect(page, code=303)
        headers = {}
        if error.code == 429 and getattr(error, "retry_after", None):
            headers["Retry-After"] = str(error.retry_after)
        description = getattr(error, "storefront_message", None)
        return error_response(error.code or 500, message=description, headers=headers)

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def redis_unreachable(error):
        # Pages that can do without Redis catch this themselves; the others say so in plain words.
        log.warning("Redis unreachable on %s %s: %s", request.method, request.path, error)
        return error_response(503, message=QUEUE_UNREACHABLE, headers={"Retry-After": "60"})

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500)


def _needs_sign_in(app: Flask) -> bool:
    """Whether the view this request was for needs a signed-in user for its method."""
    access = access_of(app.view_functions.get(request.endpoint)) if request.endpoint else None
    return access is not None and access.needed(request.method) is not Permission.PUBLIC
