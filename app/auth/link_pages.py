"""What every page behind a mailed link shares: the token stays out of other sites' logs and out
of caches, and a link that no longer works answers with a page that says why."""
from __future__ import annotations

from app.web.rendering import render

# A dead link: never issued here (or mistyped) is 404; expired, used or withdrawn is 410 Gone.
UNKNOWN_STATUS, GONE_STATUS = 404, 410


def private(response):
    """The page's address carries a secret: no Referer to the sites it links to, no cached copy."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def render_private(template: str, *, status: int = 200, **context):
    return private(render(template, status=status, **context))


def dead_link_page(template: str, link_status: str, *, unknown: str, **context):
    """The page of a link that does not work (any status but valid): 404 for one never issued
    (`unknown` is that status's word), 410 Gone for one expired, used or withdrawn."""
    return render_private(template, status=UNKNOWN_STATUS if link_status == unknown else GONE_STATUS,
                          link_status=link_status, **context)
