"""The product search's results fragment, kept in Redis while the catalog does not change.

Search as you type asks for the same few results over and over (every reseller of a market sees the
same products at the same prices), and building them (the full-text query, twenty products with
their SKUs, offers and prices, the add-to-cart forms) costs far more than sending them. So the
rendered fragment is kept in Redis, shared by every web process, under:

- the catalog's version: a random token replaced whenever a catalog row changes (any flush that
  touches products, SKUs, offers, their terms, price lists or their entries; and again when that
  transaction commits or rolls back, so nothing read in between outlives it). The price sheet
  import's bulk statements, which the ORM does not see, mark the session themselves (mark_changed);
- what decides the fragment's content for a viewer: kind (cost prices and add-to-cart forms),
  market, and whether annual billing is offered; and the filters and page.

Entries also expire after CATALOG_RESULTS_CACHE_SECONDS (default 60; 0 turns the cache off), which
bounds how stale a page could be if Redis missed a version change. The fragment's forms carry the
visitor's CSRF token: it is stored as a marker and put back per request. Without Redis, search
simply renders every time.

Each web process also keeps the fragments it last served (LOCAL_ENTRIES of them, under the same keys,
so under the catalog's version too): a request then asks Redis for the version alone, a few bytes,
instead of the version and a fragment of tens of kilobytes. Fetching those from Redis was two thirds of
the catalog page's time under `flask serve` (py-spy, bench/concurrent_pages.py). A catalog change still
shows at once in every process: the version each request reads is the shared one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict

from flask import current_app, has_app_context
from flask_wtf.csrf import generate_csrf
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.catalog.models import Offer, OfferTerm, PriceList, PriceListEntry, Product, Sku
from app.extensions import get_redis

log = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
CSRF_MARK = "__CATALOG_RESULTS_CSRF_TOKEN__"
CATALOG_MODELS = (Product, Sku, Offer, OfferTerm, PriceList, PriceListEntry)
_CHANGED = "catalog_changed"


def ttl() -> int:
    return int(current_app.config.get("CATALOG_RESULTS_CACHE_SECONDS", 60))


def _new_version() -> None:
    get_redis().set(VERSION_KEY, uuid.uuid4().hex)


def bump() -> None:
    """The catalog changed: every cached fragment is from now on out of date."""
    if not has_app_context() or ttl() <= 0:
        return
    try:
        _new_version()
    except RedisError as exc:  # the entries expire on their own
        log.warning("catalog results cache: could not record a catalog change (%s)", exc)


def mark_changed(session: Session) -> None:
    """For writes the ORM does not see (bulk insert/update/delete statements): bump now, and again
    when the transaction ends."""
    session.info[_CHANGED] = True
    bump()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    if any(isinstance(obj, CATALOG_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)):
        mark_changed(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_transaction(session: Session, *_args) -> None:
    if session.info.pop(_CHANGED, False):
        bump()


# + the catalog's version + ":" + what the viewer wants (_wanted). v2: the fragment is stored as its JSON fields
# without the html, a newline (JSON writes none of its own), then the html as it is: decoding the html out of a
# JSON string (a page of quotes to unescape) was a tenth of the product page.
_PREFIX = "catalog:results:v2:"

# This process's copies, newest last: key -> (when the copy goes stale, by time.monotonic(); what Redis holds
# under the key, read: its JSON fields, and its html cut where the CSRF token goes). A few dozen fragments of tens
# of kilobytes each: a few megabytes at most. A copy goes stale when the Redis entry it copies expires, so the TTL
# bounds its staleness just the same. Kept read, so that a request only joins the html around its token (decoding
# and searching tens of kilobytes on every catalog page was about a thirtieth of it; issue 14).
LOCAL_ENTRIES = 64
_local: OrderedDict[str, tuple[float, tuple[dict, list[str]]]] = OrderedDict()
_local_lock = threading.Lock()  # `flask run` serves requests in threads


def _read(stored: bytes) -> tuple[dict, list[str]]:
    """A stored entry's fields, and its html cut at each CSRF_MARK."""
    fields, _, html = stored.partition(b"\n")
    return json.loads(fields), html.decode().split(CSRF_MARK)


def _kept(key: str) -> tuple[dict, list[str]] | None:
    with _local_lock:
        kept = _local.get(key)
        if kept is None:
            return None
        if kept[0] <= time.monotonic():
            del _local[key]
            return None
        _local.move_to_end(key)
        return kept[1]


def _keep(key: str, stored: bytes, seconds: float) -> tuple[dict, list[str]]:
    read = _read(stored)
    with _local_lock:
        _local[key] = (time.monotonic() + seconds, read)
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return read


def _from_redis(redis, key: str) -> tuple[dict, list[str]] | None:
    """The entry another process rendered, kept here for as long as it has left in Redis."""
    pipe = redis.pipeline(transaction=False)
    pipe.get(key)
    pipe.pttl(key)
    stored, left_ms = pipe.execute()
    if stored is None:
        return None
    return _keep(key, stored, left_ms / 1000) if left_ms > 0 else _read(stored)


def _version(redis) -> bytes:
    version = redis.get(VERSION_KEY)
    if version is None:  # a new Redis (or flushed): from now on changes are counted
        redis.set(VERSION_KEY, uuid.uuid4().hex, nx=True)
        version = redis.get(VERSION_KEY)
    return version


def _wanted(viewer, filters) -> str:
    wanted = repr((viewer.kind, viewer.market, viewer.annual_billing, sorted(filters.args().items())))
    return hashlib.sha256(wanted.encode()).hexdigest()[:32]


def cached_fragment(viewer, filters, render) -> tuple[dict, bool]:
    """(the fragment, whether it came from the cache): `render()` builds it on a miss, as a dict of
    strings whose "html" carries the CSRF token."""
    if ttl() <= 0:
        return render(), False
    wanted = _wanted(viewer, filters)
    try:
        redis = get_redis()
        key = _PREFIX + _version(redis).decode() + ":" + wanted
        hit = _kept(key)
        if hit is None:
            hit = _from_redis(redis, key)
    except RedisError:
        return render(), False
    token = generate_csrf()
    if hit is not None:
        fields, html = hit
        # The caller's own copy (of the lists too: the fields are JSON's strings and lists of strings).
        fragment = {name: list(value) if isinstance(value, list) else value for name, value in fields.items()}
        fragment["html"] = token.join(html)  # the html with this visitor's token at each mark
        return fragment, True
    fragment = render()
    fields = {name: value for name, value in fragment.items() if name != "html"}
    stored = (json.dumps(fields) + "\n" + fragment["html"].replace(token, CSRF_MARK)).encode()
    _keep(key, stored, ttl())
    try:
        redis.set(key, stored, ex=ttl())
    except RedisError:
        pass
    return fragment, False
