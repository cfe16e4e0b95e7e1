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
from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, select
from sqlalchemy.orm import joinedload, make_transient_to_detached

from app.accounts.models import Account, User
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
    if known is not None and _session_is_empty():
        user = _user_from_row(user_id, *known)
        if user is not _UNSURE:
            return user
    user = db.session.execute(_user_with_account(), {"user_id": user_id}).scalar_one_or_none()
    if user is not None:
        _ACCOUNT_OF_USER[user_id] = (user.account_id, user.account.kind)
    return user


# The user, its account and the header's facts in one row, read with SQLAlchemy Core and made into the ORM's User
# and Account in the request's session, as the ORM's loading would make them: the ORM statement, with its joined
# account, cost about 170 microseconds of every signed-in request, this about 120 (measured in process, issue 14).
# The objects are the ORM's own (persistent in the session, their attributes loaded and unchanged, their
# relationships loading as usual), so a page uses and changes the user as before.
_UNSURE = object()  # the row does not say what the ORM would have loaded: the ORM statement reads the user


@cache
def _user_row():
    """Every mapped column of the user's and of its account's, labelled by table (facts are labelled by name)."""
    return (select(*(column for _, column in _columns(User)), *(column for _, column in _columns(Account)))
            .join_from(User.__table__, Account.__table__, User.__table__.c.account_id == Account.__table__.c.id)
            .where(User.__table__.c.id == bindparam("user_id"))
            .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL))


@cache
def _columns(model) -> tuple[tuple[str, object], ...]:
    """(attribute, table column) of every column attribute of the model; each is one column of its own table (the
    models have no column expressions, inheritance or deferred columns: a test keeps it so)."""
    mapper = model.__mapper__
    return tuple((prop.key, prop.columns[0]) for prop in mapper.column_attrs)


def _session_is_empty() -> bool:
    """Nothing loaded or added yet (a request's first statement): the user and the account made from the row
    cannot meet another copy of themselves in the session, nor should the ORM have flushed anything first."""
    session = db.session()
    return not session.identity_map and not session.new and not session.deleted


def _user_from_row(user_id: int, account_id: int, kind: str):
    statement = with_facts(_user_row(), kind)
    row = db.session.connection().execute(statement, {"user_id": user_id, **facts_params(user_id, account_id)}).first()
    if row is None:
        return None
    user_columns, account_columns = _columns(User), _columns(Account)
    user, account = _instance(User, user_columns, row, 0), _instance(Account, account_columns, row, len(user_columns))
    if (user.account_id, account.kind) != (account_id, kind):
        return _UNSURE  # (never: a user's account, and its kind, do not change)
    user.__dict__["account"] = account  # as joinedload(User.account) sets it
    for instance in (account, user):
        make_transient_to_detached(instance)  # loaded, unchanged, with its identity
    db.session.add(user)  # persistent in this session, with its account (cascade)
    keep_facts(_user_row(), kind, row)
    return user


def _instance(model, columns, row, start: int):
    """An instance of the model with the row's values from `start` on, set as the ORM's loading sets them (in the
    instance's dict, without events or history); transient until make_transient_to_detached."""
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(zip(_keys(model), row[start:start + len(columns)]))
    return instance


@cache
def _keys(model) -> tuple[str, ...]:
    return tuple(key for key, _ in _columns(model))


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
