"""A small JSON cache in Redis for answers of Partner Center that change rarely (the reseller
network, the current agreement template). Redis down means no cache, never an error: the caller
computes the value again."""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

from app.extensions import get_redis

log = logging.getLogger(__name__)


def peek(key: str) -> Any | None:
    """The cached value, or None (nothing cached, or Redis unreachable)."""
    try:
        raw = get_redis().get(key)
    except Exception:
        log.warning("cache %s not read: Redis is unreachable", key)
        return None
    return json.loads(raw) if raw is not None else None


def remember(key: str, seconds: int, compute: Callable[[], Any]) -> Any:
    """The cached value, or `compute()` (a JSON-able value), cached for `seconds`."""
    value = peek(key)
    if value is not None:
        return value
    value = compute()
    try:
        get_redis().set(key, json.dumps(value), ex=seconds)
    except Exception:
        log.warning("cache %s not written: Redis is unreachable", key)
    return value
