"""The WSGI application that is served: the storefront, plus what is mounted beside it."""
from __future__ import annotations

from flask import Flask


def storefront_wsgi(app: Flask):
    """The storefront as served by gunicorn (wsgi.py) and by the browser tests' live server."""
    return app
