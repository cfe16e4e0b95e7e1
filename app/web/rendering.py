"""One helper decides page or fragment from the HX-Request header.

A fragment is the underscore template that the page itself includes, so the same markup
serves htmx swaps and full-page loads (JavaScript off, reloads, pushed URLs).
"""
from __future__ import annotations

from flask import current_app, make_response, render_template, request
from flask.templating import Environment
from markupsafe import Markup


def is_htmx() -> bool:
    # History-restore requests want the whole page, not a fragment.
    # (The headers as the WSGI environ holds them, as request.headers reads them: asking request.headers for a
    # header that is not there raises and catches a KeyError, and a page asks this several times.)
    environ = request.environ
    return environ.get("HTTP_HX_REQUEST") == "true" and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"


def render(page: str, fragment: str | None = None, *, status: int = 200, headers=None, **context):
    """Render `fragment` for htmx requests, `page` otherwise, and mark the response Vary: HX-Request."""
    template = fragment if (fragment and is_htmx()) else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


KEPT_MARKUP = 1_000  # drawings one kept dict holds; when full it starts again


def kept_markup(kept: dict, key, template: str, values=dict, *, keep: bool = True) -> Markup:
    """`template` drawn with `values()` once for `key` and kept in `kept`, a dict of this process's (bounded: when
    full it starts again); `keep=False` draws without keeping. The key must hold everything the drawing shows.
    Drawn straight from the template, without render_template's context processors: such a piece (a form's
    filters, say) needs nothing of the page's context and shows nothing of a user's that is not in its key.
    Drawing the same fields through WTForms at every request was a sixth to a fifth of a page (issue 14)."""
    markup = kept.get(key)
    if markup is None:
        markup = Markup(current_app.jinja_env.get_template(template).render(**values()))
        if keep:
            if len(kept) >= KEPT_MARKUP:
                kept.clear()
            kept[key] = markup
    return markup


# htmx stops an `hx-trigger="every Ns"` poll when the answer has this status (and still swaps it):
# every polling fallback answers it once the thing it watches is finished, so nothing keeps asking.
STOP_POLLING = 286


def poll_status(finished: bool) -> int:
    """The status of a poll's answer: 286 (stop polling) once the thing is finished, else 200."""
    return STOP_POLLING if finished else 200


def hx_trigger(response, *events: str):
    """Add HX-Trigger events to a response (comma-separated, as htmx reads them)."""
    existing = response.headers.get("HX-Trigger")
    names = ([existing] if existing else []) + list(events)
    response.headers["HX-Trigger"] = ", ".join(names)
    return response


def redirect_to(url: str):
    """Go to `url`: a 303 for plain forms; for htmx, HX-Redirect (a full navigation) instead of a
    redirect that htmx would follow and swap into the form's target. (HX-Location would fetch the
    page as an htmx request, which answers a fragment.)"""
    from flask import redirect

    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


class StorefrontEnvironment(Environment):
    """Flask's Jinja environment, with the environment's globals shared by every template that has none of its
    own. Jinja hands each template a ChainMap of its own globals over the environment's, and every render
    copies it into the template's context key by key through ChainMap's Python lookups (and every
    `{% from ... import %}` compares its keys), which cost more than some small templates themselves. The
    storefront sets its globals while the app is created, before any template is loaded, as Jinja asks."""

    def make_globals(self, d):
        return self.globals if not d else super().make_globals(d)
