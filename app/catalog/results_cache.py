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
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid

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

# The version and, under it, the fragment, in one round trip (two GETs before, each about a sixteenth of
# the product page's time under `flask serve`); Redis runs the script atomically.
_READ = """
local version = redis.call('GET', KEYS[1])
if not version then return {false, false} end
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


def _read(redis, wanted: str) -> tuple[bytes | None, bytes | None]:
    version, hit = redis.register_script(_READ)(keys=[VERSION_KEY], args=[_PREFIX, ":" + wanted])
    return version, hit


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
        version, hit = _read(redis, wanted)
        if version is None:  # a new Redis (or flushed): from now on changes are counted
            redis.set(VERSION_KEY, uuid.uuid4().hex, nx=True)
            version = redis.get(VERSION_KEY)
        key = _PREFIX + version.decode() + ":" + wanted
    except RedisError:
        return render(), False
    token = generate_csrf()
    if hit is not None:
        fields, _, html = hit.partition(b"\n")
        fragment = json.loads(fields)
        fragment["html"] = html.decode().replace(CSRF_MARK, token)
        return fragment, True
    fragment = render()
    fields = {name: value for name, value in fragment.items() if name != "html"}
    try:
        redis.set(key, json.dumps(fields) + "\n" + fragment["html"].replace(token, CSRF_MARK), ex=ttl())
    except RedisError:
        pass
    return fragment, False
