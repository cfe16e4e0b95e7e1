"""Which sessions still count.

Flask-Login keeps `User.get_id()` ("<id>:<session version>") in the session and in the "remember
me" cookie. A session whose version is not the user's current one is over: raising the version
(a password change or reset) ends every session of the user at once, in every browser, without a
list of sessions to keep. A user who was deactivated, or whose account is suspended, is no longer
signed in either.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import login_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.extensions import db


# With its account: every request asks whether the account is suspended, and every page's layout shows it.
# Built once: every request runs it, and a prebuilt statement skips building it and its cache key anew
# (about 0.1 ms of each signed-in request, measured with `session.get(..., options=...)` before).
_USER_WITH_ACCOUNT = select(User).options(joinedload(User.account)).where(User.id == bindparam("user_id"))


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a session from before versions existed: sign in again
    user = db.session.execute(_USER_WITH_ACCOUNT, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or user.session_version != int(version):
        return None
    if not may_stay_signed_in(user):
        # The sign-in page this request is sent to says why (create_app's unauthorized handler).
        g.signed_out_account = user.account if user.account.is_suspended else None
        return None
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
