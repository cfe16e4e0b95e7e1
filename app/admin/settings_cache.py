"""The storefront options as pages read them: once per request, and across requests from this process's
copy while they have not changed.

Every page's layout shows the storefront's name (and some pages read other options), while the options
change only when an operator saves them. So:

- within a request they are read once (flask.g);
- across requests each process keeps the options it last read with the version they were read under: a
  random token in Redis (VERSION_KEY), replaced whenever a storefront_settings row is flushed, and again
  when that transaction commits or rolls back, so nothing read in between outlives it (the pattern of
  app/catalog/results_cache.py). A request asks Redis for the version (one GET, shared by every web
  process and worker) and reads the database only when the version moved, or when the copy is older than
  STOREFRONT_SETTINGS_CACHE_SECONDS (default 60; 0 turns the cache off), which bounds how stale the
  options could be if Redis missed a change. Without Redis they are read once per request;
- a session that changed options and has not committed reads them itself and keeps nothing (its
  changes are not everyone's yet).

Callers get a copy of their own; changing it changes nothing else. Saving goes through
StorefrontSettings itself (the options page loads, changes and saves its own instance).
"""
from __future__ import annotations

import copy
import logging
import time
import uuid

from flask import current_app, g, has_app_context, has_request_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.admin.models import StorefrontSetting
from app.admin.settings import StorefrontSettings
from app.extensions import db, get_redis

log = logging.getLogger(__name__)

VERSION_KEY = "storefront-settings:version"
_CHANGED = "storefront_settings_changed"
_EXTENSION = "storefront_settings_cache"


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
    try:
        version = get_redis().get(VERSION_KEY)
        if version is None:  # a new Redis (or flushed): from now on changes are counted
            get_redis().set(VERSION_KEY, uuid.uuid4().hex, nx=True)
    except RedisError as exc:
        log.warning("storefront options cache: no version (%s); reading the database", exc)
        return StorefrontSettings.load()
    app = current_app._get_current_object()
    kept = app.extensions.get(_EXTENSION)
    if version is not None and kept is not None and kept[0] == version and time.monotonic() - kept[1] < ttl():
        return kept[2]
    settings = StorefrontSettings.load()
    if version is not None:  # kept under the version read before the database: a change since moves it on
        app.extensions[_EXTENSION] = (version, time.monotonic(), settings)
    return settings


def bump() -> None:
    """The options changed: every process's copy is from now on out of date."""
    if not has_app_context():
        return
    try:
        get_redis().set(VERSION_KEY, uuid.uuid4().hex)
    except RedisError as exc:  # the copies expire on their own
        log.warning("storefront options cache: could not record a change (%s)", exc)
    g.pop("storefront_settings", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    if any(isinstance(obj, StorefrontSetting) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        bump()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_transaction(session: Session, *_args) -> None:
    if session.info.pop(_CHANGED, False):
        bump()
