"""URLs built once per process: a page builds a dozen or more (its stylesheet and scripts, the header's links,
a link per row), each about 10 microseconds of werkzeug's URL map, and they are the same from request to
request (issue 14, pages under load).

Within a request and without a scheme or host (what the storefront's pages and redirects ask), a URL depends
only on the endpoint, its values, the anchor and method asked, and the root the storefront is served under;
the app has no url_defaults that could add to it. Those are the key. URLs with a scheme or host, outside a
request, with values that are not hashable, or that fail to build are left to Flask every time.
"""
from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from inspect import CO_COROUTINE

from flask import Flask, request
from flask.globals import _cv_request

KEPT = 20_000  # URLs a process remembers; when full it starts again
KEPT_STATIC = timedelta(days=365)  # how long a browser keeps an asset named with its content's version


class StorefrontFlask(Flask):
    """Also: the stylesheet, scripts and icon are named with a version of their content (`?v=` and 12 hex digits
    of its SHA-256) and served under that name to be kept for a year, so a browser loads each once instead of
    asking again on every page (a round trip each, "304 Not Modified", before the page's deferred scripts could
    run). A new file is a new name. The versions are read once per process: a deployment starts new ones."""
    _built_urls: dict

    @property
    def static_versions(self) -> dict[str, str]:
        return self.__dict__.setdefault("_static_versions", {})

    def static_version(self, filename: str) -> str | None:
        version = self.static_versions.get(filename)
        if version is None:
            try:
                with open(os.path.join(self.static_folder, filename), "rb") as asset:
                    version = hashlib.sha256(asset.read()).hexdigest()[:12]
            except (OSError, ValueError):  # no such file: its URL is built without, and answers 404
                return None
            self.static_versions[filename] = version
        return version

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        asked = request.args.get("v")  # only a static file's URL carries it (send_file elsewhere asks here too)
        if filename and asked and asked == self.static_version(filename):
            return int(KEPT_STATIC.total_seconds())
        return super().get_send_file_max_age(filename)  # None: "no-cache", asked again each time

    def send_static_file(self, filename: str):
        response = super().send_static_file(filename)
        if response.cache_control.max_age == int(KEPT_STATIC.total_seconds()):
            response.cache_control.immutable = True  # not even revalidated when the page is reloaded
        return response

    def ensure_sync(self, func):
        """Flask asks `inspect.iscoroutinefunction` of the view and of every request hook on every request (a
        dozen a page, each unwrapping partials and methods first). A plain function's code says it at once; the
        rest (methods, partials, coroutines) go to Flask as before."""
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)

    def url_for(self, endpoint: str, /, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
            version = self.static_version(values["filename"])
            if version is not None:
                values["v"] = version
        req_ctx = _cv_request.get(None)
        if (req_ctx is None or req_ctx.url_adapter is None or _scheme is not None or _external
                or self.url_default_functions):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external,
                                   **values)
        if endpoint[:1] == ".":
            blueprint = req_ctx.request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        try:
            # A value's type too: 1 and True are equal keys, and build "1" and "True".
            key = (req_ctx.url_adapter.script_name, endpoint, _anchor, _method,
                   *sorted((name, type(value), value) for name, value in values.items()))
            hash(key)
        except TypeError:  # a list of values, say
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, **values)
        built = self.__dict__.setdefault("_built_urls", {})
        url = built.get(key)
        if url is None:
            url = super().url_for(endpoint, _anchor=_anchor, _method=_method, **values)
            if len(built) >= KEPT:
                built.clear()
            built[key] = url
        return url
