"""Pushing fragments to open pages: Redis pub/sub -> server-sent events (htmx SSE extension).

A worker publishes a small event on a page's channel when something that page shows changed;
the page's SSE request, subscribed to that channel, renders the fresh fragment itself (it has
the request context and the user) and sends it as an SSE event that htmx swaps in. A stream
ends after a while and the browser's EventSource reconnects, so a server thread is never held
forever; the pages also poll a cheap status URL as a fallback when pushes cannot arrive.
"""
from __future__ import annotations

import json
import time
from typing import Callable, Iterator

from app.extensions import get_redis

STREAM_SECONDS = 55.0
HEARTBEAT_SECONDS = 15.0


def channel(kind: str, key) -> str:
    return f"live:{kind}:{key}"


def publish(kind: str, key, event: str, data: dict | None = None) -> int:
    """Tell open pages of (kind, key) that `event` happened; returns how many listened."""
    return get_redis().publish(channel(kind, key), json.dumps({"event": event, **(data or {})}))


def sse(event: str, html: str) -> str:
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


def stream(kind: str, key, render: Callable[[str], str | None], *, initial: list[str] | None = None,
           seconds: float = STREAM_SECONDS) -> Iterator[str]:
    """Yield SSE text: for each published event, `render(event)` (None: nothing to send)."""
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(kind, key))
    try:
        yield "retry: 1000\n\n"  # reconnect quickly after the stream ends
        for event in initial or []:
            html = render(event)
            if html is not None:
                yield sse(event, html)
        deadline = time.monotonic() + seconds
        last_beat = time.monotonic()
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message and message.get("type") == "message":
                event = json.loads(message["data"]).get("event", "message")
                html = render(event)
                if html is not None:
                    yield sse(event, html)
            elif time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
    finally:
        pubsub.close()
