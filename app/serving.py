"""The WSGI application that is served: the storefront, plus what is mounted beside it."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app.web.access import Permission, may


def storefront_wsgi(app: Flask):
    """The storefront as served by gunicorn (wsgi.py) and by the browser tests' live server.

    In sandbox mode with the sandbox in-process, its pages (the overview, the admin-center
    acceptance page that relationship links point at, the controls) are mounted at /sandbox, so a
    demo needs one server only.
    """
    from app.connections.services import SANDBOX_MOUNT, in_process_sandbox, sandbox_mode

    if sandbox_mode(app) and not app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        return DispatcherMiddleware(app, {SANDBOX_MOUNT: SandboxGate(app, in_process_sandbox(app), SANDBOX_MOUNT)})
    return app


def sandbox_permission(path: str) -> Permission | None:
    """Who may use a page of the mounted sandbox, by its path below the mount; None: anyone.

    The controls (faults, clock, review, reset, and their page) are the operator admin's: from a
    demo anyone can reach, they would let a visitor break everybody's Partner Center. The overview
    lists every account's tenants and orders: operators only. The acceptance page is for a
    customer's administrator, who is no storefront user, and the API and token endpoints check
    the sandbox's own credentials.
    """
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if not segments:
        return Permission.ADMIN_VIEW
    if segments[0] == "_sandbox":
        return Permission.SANDBOX_CONTROLS
    return None


class SandboxGate:
    """The in-process sandbox, behind the storefront's sign-in for the pages that need it.

    The sandbox knows nothing of the storefront (it imports nothing of app/), so the check is
    made here: the storefront's request context is opened on the same request (as if for
    /sandbox/...) to read its session, and a refusal is the storefront's own answer (sign-in
    redirect, or its 403 page).
    """

    def __init__(self, storefront: Flask, sandbox, mount: str):
        self.storefront = storefront
        self.sandbox = sandbox
        self.mount = mount

    def __call__(self, environ, start_response):
        permission = sandbox_permission(environ.get("PATH_INFO", ""))
        if permission is not None:
            refusal = self._refusal(environ, permission)
            if refusal is not None:
                return refusal(environ, start_response)
        return self.sandbox(environ, start_response)

    def _refusal(self, environ, permission: Permission):
        app = self.storefront
        # The storefront sees the full path (/sandbox/_sandbox/admin), so its sign-in link comes back here.
        script_name = environ.get("SCRIPT_NAME", "")
        outer = dict(environ, SCRIPT_NAME=script_name[: len(script_name) - len(self.mount)],
                     PATH_INFO=self.mount + environ.get("PATH_INFO", ""))
        with app.request_context(outer):
            if may(current_user, permission):
                return None
            if current_user.is_authenticated:
                answer = app.handle_http_exception(Forbidden())
            else:
                answer = app.login_manager.unauthorized()
            return app.process_response(app.make_response(answer))
