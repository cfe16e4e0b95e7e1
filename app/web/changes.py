"""How a post that changed something ends (post/redirect/get): the change is committed, what was done
is said on the next page (a flash) and the browser goes there, so a reload asks nothing again."""
from __future__ import annotations

from flask import flash

from app.extensions import db
from app.web.rendering import redirect_to


def commit_and_redirect(url: str, message: str):
    """Commit the request's change, say `message` (a success) on the next page and go to `url`
    (see redirect_to: a 303, or HX-Redirect for htmx)."""
    db.session.commit()
    flash(message, "success")
    return redirect_to(url)
