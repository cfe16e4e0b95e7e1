"""Which sessions still count.

Flask-Login keeps `User.get_id()` ("<id>:<session version>") in the session and in the "remember
me" cookie. A session whose version is not the user's current one is over: raising the version
(a password change or reset) ends every session of the user at once, in every browser, without a
list of sessions to keep. A user who was deactivated, or whose account is suspended, is no longer
signed in either.
"""
from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from flask_login import login_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.extensions import db
from app.web.access import SAFE_METHODS
from app.web.layout import facts_params, forget_facts, keep_facts, with_facts
from app.web.rendering import is_htmx


# With its account: every request asks whether the account is suspended, and every page's layout shows it.
# Built once: every request runs it, and a prebuilt statement skips building it and its cache key anew
# (about 0.1 ms of each signed-in request, measured with `session.get(..., options=...)` before).
# (Built on first use: a relationship in a statement configures every mapper, which cannot happen while
# the models are still being imported.)
@cache
def _user_with_account():
    return select(User).options(joinedload(User.account)).where(User.id == bindparam("user_id"))


# A user's account, and its kind, never change: once this process has loaded a user it reads the user and the
# counts every page's header shows (app/web/layout.py's facts, which depend on the kind) in one statement.
_ACCOUNT_OF_USER: dict[int, tuple[int, str]] = {}


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a session from before versions existed: sign in again
    user = _user_and_facts(int(user_id))
    if user is None:
        forget_facts()
        return None
    if user.session_version != int(version) or not may_stay_signed_in(user):
        forget_facts()
        # The sign-in page this request is sent to says why (unauthorized, below): a suspension ends the
        # sessions of the account's users too (their version was raised), and still says so.
        g.signed_out_account = user.account if user.account.is_suspended else None
        return None
    return user


def _user_and_facts(user_id: int) -> User | None:
    known = _ACCOUNT_OF_USER.get(user_id)
    if known is None:
        user = db.session.execute(_user_with_account(), {"user_id": user_id}).scalar_one_or_none()
    else:
        account_id, kind = known
        row = db.session.execute(with_facts(_user_with_account(), kind),
                                 {"user_id": user_id, **facts_params(user_id, account_id)}).first()
        user = row[0] if row is not None else None
        if user is not None and (user.account_id, user.account.kind) == known:
            keep_facts(_user_with_account(), kind, row)
    if user is not None:
        _ACCOUNT_OF_USER[user_id] = (user.account_id, user.account.kind)
    return user


def may_stay_signed_in(user: User) -> bool:
    return user.is_active and not user.account.is_suspended


def end_all_sessions(user: User) -> None:
    """Every session and "remember me" cookie of the user stops working (the caller commits)."""
    user.session_version = (user.session_version or 1) + 1


def keep_this_browser_signed_in(user: User) -> None:
    """After end_all_sessions, sign this browser in again under the new version (remembered again if
    it was remembered)."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)


SIGNED_OUT_MID_FORM = ("You were signed out, so what you sent was not saved. Sign in to go back to the page and "
                       "send it again.")


def unauthorized():
    """The login manager's answer to a signed-out request that needs a signed-in user: the sign-in page, which
    says why, and leads back after signing in. htmx follows HX-Redirect with a full navigation (a 3xx would be
    swapped in place).

    A form sent after the session ended (signed out in another tab; or its cookie expired, which took the
    form's security token with it, app/web/errors.py) leads back to the page it was sent from, not to its own
    address, which may answer POST only; and the person is told that it was not saved."""
    from app.auth.routes import suspended_message

    sent = request.method not in SAFE_METHODS
    back = _page_sent_from() if sent else request.full_path.rstrip("?")
    target = url_for("auth.sign_in", next=back) if back else url_for("auth.sign_in")
    suspended = g.get("signed_out_account")  # signed out now: its account was suspended (load_user)
    if suspended is not None:
        flash(suspended_message(suspended), "error")
    elif sent:
        flash(SIGNED_OUT_MID_FORM, "info")
    if is_htmx():
        return "", 401, {"HX-Redirect": target, "Vary": "HX-Request"}
    if request.path == "/":  # the front door needs no explanation
        return redirect(url_for("auth.sign_in"))
    if suspended is None and not sent:
        flash(current_app.login_manager.login_message, "info")
    return redirect(target)


def _page_sent_from() -> str | None:
    """The storefront page a form was sent from (its path and query), as htmx or the browser name it; None when
    it is not known or is another site's."""
    page = request.headers.get("HX-Current-URL") if is_htmx() else request.referrer
    if not page:
        return None
    parts = urlsplit(page)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
