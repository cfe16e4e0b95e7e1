"""A fixed-window counter in Redis: how many times one key was used in the current window.

Used to keep one person from spending the operator's Partner Center quota through checks that
run as they type. Commands exist in Redis 6.2 (the embedded server): SET NX EX, INCR, TTL.
"""
from __future__ import annotations

import logging

from app.extensions import get_redis

log = logging.getLogger(__name__)


def over_limit(key: str, limit: int, window_seconds: int) -> int | None:
    """Count one use of `key`; return the seconds to wait when it was used more than `limit` times in
    the window, else None. When Redis is unreachable the use is allowed (and logged): a limit must
    not take the page down with it."""
    try:
        pipe = get_redis().pipeline()
        pipe.set(key, 0, nx=True, ex=window_seconds)  # the window starts with the first use
        pipe.incr(key)                                  # INCR keeps the key's expiry
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    except Exception:
        log.warning("rate limit %s not checked: Redis is unreachable", key, exc_info=True)
        return None
    if int(count) > limit:
        return max(int(ttl), 1) if ttl and int(ttl) > 0 else window_seconds
    return None
