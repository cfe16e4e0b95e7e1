"""The database and Redis servers the suite may use besides its embedded ones, and whether they answer.

TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test) and TEST_REDIS_URL (default
redis://127.0.0.1:6379/13, a dedicated database number) name them; two suites running side by side
on one machine set their own.
"""
from __future__ import annotations

import os

import redis

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def _redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False


POSTGRES = _postgres_reachable()
REAL_REDIS = _redis_reachable()
