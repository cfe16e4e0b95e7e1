"""The storefront options as pages read them: once per request, and across requests from this process's
copy while they have not changed.

Every page's layout shows the storefront's name (and some pages read other options), while the options
change only when an operator saves them. So:

- within a request they are read once (flask.g);
- across requests each process keeps the options it last read with the version they were read under: the
  time the newest storefront_settings row was saved (saving an option stamps its row's updated_at; rows
  are never deleted). A signed-in page reads that version in the statement that reads the header's counts
  (app/web/layout.py, a layout fact), so checking it costs no round trip of its own; it was a GET to Redis
  before, about an eighth of a simple page's time under `flask serve` (measured with py-spy). A signed-out
  page or a job asks the database for it alone. The options are read again when the version moved, or
  when the copy is older than STOREFRONT_SETTINGS_CACHE_SECONDS (default 60; 0 turns the cache off),
  which bounds how stale a copy could be were two machines' clocks to stamp a later save with an earlier
  time. Without an answer from the database they are read directly;
- a session that changed options and has not committed reads them itself and keeps nothing (its
  changes are not everyone's yet).

Callers get a copy of their own; changing it changes nothing else. Saving goes through
StorefrontSettings itself (the options page loads, changes and saves its own instance).
"""
from __future__ import annotations

import copy
import time

from flask import current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.admin.models import StorefrontSetting
from app.admin.settings import StorefrontSettings
from app.extensions import db
from app.web.layout import layout_fact, register_layout_fact

_CHANGED = "storefront_settings_changed"
_EXTENSION = "storefront_settings_cache"
_UNKNOWN = object()  # the version could not be read

# When the newest option was saved (None: none ever was): the version the process's copy is kept under.
VERSION = select(func.max(StorefrontSetting.updated_at)).scalar_subquery()
register_layout_fact("options_version", lambda _kind: VERSION, default=_UNKNOWN)


def ttl() -> float:
    return float(current_app.config.get("STOREFRONT_SETTINGS_CACHE_SECONDS", 60))


def current() -> StorefrontSettings:
    """The storefront options for this request (read at most once per request). Outside a request (a
    job): this process's copy while the options have not changed."""
    if not has_request_context():  # a worker's app context may outlive many jobs: no memo in g
        return copy.copy(_shared())
    if "storefront_settings" not in g:
        g.storefront_settings = _shared()
    return copy.copy(g.storefront_settings)


def _shared() -> StorefrontSettings:
    if ttl() <= 0 or db.session.info.get(_CHANGED):
        return StorefrontSettings.load()
    version = _version()
    if version is _UNKNOWN:
        return StorefrontSettings.load()
    app = current_app._get_current_object()
    kept = app.extensions.get(_EXTENSION)
    if kept is not None and kept[0] == version and time.monotonic() - kept[1] < ttl():
        return kept[2]
    settings = StorefrontSettings.load()
    # Kept under the version read before the options: a save in between moves the version on.
    app.extensions[_EXTENSION] = (version, time.monotonic(), settings)
    return settings


def _version():
    if has_request_context() and current_user.is_authenticated:
        return layout_fact("options_version")  # with the header's counts, in one statement
    try:
        return db.session.scalar(select(VERSION))
    except SQLAlchemyError:
        db.session.rollback()
        return _UNKNOWN


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    if any(isinstance(obj, StorefrontSetting) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        if has_request_context():
            g.pop("storefront_settings", None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_transaction(session: Session, *_args) -> None:
    session.info.pop(_CHANGED, False)
