"""Waiting for something another process does, without a fixed sleep."""
from __future__ import annotations

import time


def wait_until(predicate, seconds: float = 30.0, interval: float = 0.2) -> bool:
    """Whether `predicate()` became true within `seconds` (asked every `interval` seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
