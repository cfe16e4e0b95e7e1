"""The page a POST-only address's form is on: where a GET of that address leads.

A form refused without JavaScript is shown again (422) at the address it was sent to, and the browser's
address bar keeps it: a reload of it, or a copy of it opened later, asks that address with GET. An address
that takes POST only would answer 405 Method Not Allowed, a dead end. A view that takes POST only names
the page its form is on with `form_on`, and the app's 405 handler (app/web/errors.py) sends such a GET
there instead (a 303; nothing is done, GET never writes).
"""
from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException

FORM_ON_ATTR = "_storefront_form_on"


def form_on(endpoint: str):
    """Declare the page (`endpoint`) whose form posts to this view: a GET of the view's address leads there.
    The page gets those of the address's values that its own URL takes (a product's page its product_id)."""

    def decorator(view):
        setattr(view, FORM_ON_ATTR, endpoint)
        return view

    return decorator


def page_of_form() -> str | None:
    """For a GET (or HEAD) of an address that takes POST only: the URL of the page its form is on, when its
    view names one (`form_on`); else None."""
    if request.method not in ("GET", "HEAD"):
        return None
    try:
        endpoint, values = current_app.create_url_adapter(request).match(method="POST")
    except HTTPException:
        return None
    page = getattr(current_app.view_functions.get(endpoint), FORM_ON_ATTR, None)
    if page is None:
        return None
    wanted = set().union(*(rule.arguments for rule in current_app.url_map.iter_rules(page)))
    return url_for(page, **{name: value for name, value in values.items() if name in wanted})
