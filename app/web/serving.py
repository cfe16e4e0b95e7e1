"""The WSGI application that is served: the storefront, plus what is mounted beside it."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware


def storefront_wsgi(app: Flask):
    """The storefront as served by gunicorn (wsgi.py) and by the browser tests' live server.

    In sandbox mode with the sandbox in-process, its pages (the overview, the admin-center
    acceptance page that relationship links point at, the fault controls) are mounted at
    /sandbox, so a demo needs one server only.
    """
    from app.connections.services import SANDBOX_MOUNT, in_process_sandbox, sandbox_mode

    if sandbox_mode(app) and not app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        return DispatcherMiddleware(app, {SANDBOX_MOUNT: in_process_sandbox(app)})
    return app
