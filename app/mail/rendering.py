"""Mail bodies from templates/mail/<name>.txt and .html, both extending a base that signs with the
operator's name, its support email and the storefront's address.

Rendered through the app's Jinja environment directly, not `render_template`: a mail has no page
around it, and the page context processors (the signed-in user, the navigation) do not apply. The
operator's name and support email belong to areas above this package, so an area registers the
function that tells them (`init_mail(app, identity=...)` in create_app).
"""
from __future__ import annotations

from flask import current_app

FALLBACK_IDENTITY = {"operator_name": "CSP Storefront", "support_email": None}


def public_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def absolute_url(path: str) -> str:
    """The link a mail carries: the storefront's public URL with the path."""
    if path.startswith(("http://", "https://")):
        return path
    return public_url() + "/" + path.lstrip("/")


def identity() -> dict:
    """Who the mail comes from: the operator's name and support email (see the module's docstring)."""
    values = dict(FALLBACK_IDENTITY)
    provider = current_app.extensions.get("mail_identity")
    if provider is not None:
        values.update({k: v for k, v in provider().items() if v})
    return values


def render_mail(template: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML) of templates/mail/<template>.txt and .html with the context."""
    values = {**identity(), "public_url": public_url(), **context}
    env = current_app.jinja_env
    text = env.get_template(f"mail/{template}.txt").render(values)
    html = env.get_template(f"mail/{template}.html").render(values)
    return text.strip() + "\n", html
