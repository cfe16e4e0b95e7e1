"""SQLite connections that wait for a lock by sleeping in Python, not in SQLite's busy handler.

SQLite's own busy handler (`timeout=` of sqlite3.connect, `PRAGMA busy_timeout`) sleeps in C. Under
gunicorn's gevent worker, where the storefront and the in-process sandbox serve every request of a
process as greenlets, that sleep stops the whole process: the greenlet of the same process that holds
the lock and waits on the network (a storefront query, Redis, a retry's sleep) never gets to commit,
and the waiter fails with "database is locked" after the whole timeout, the process frozen meanwhile.

Connect with `timeout=0` and `factory=CooperativeSQLiteConnection`: a statement or a commit that finds
the database locked is retried after a short `time.sleep` (a greenlet switch under gevent; a plain
sleep in a thread or another process) for up to `patience_seconds`. A statement that failed on the
lock did nothing, and a COMMIT that failed on it leaves the transaction open to be committed again
(SQLite's documentation).

It lives in the sandbox because the sandbox imports nothing of the rest of app/: its store
(store.py) and the storefront's SQLAlchemy connections (app/serving.py) both use it.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable, TypeVar

T = TypeVar("T")

DEFAULT_PATIENCE_SECONDS = 5.0  # as long as SQLite's default busy timeout


def patiently(call: Callable[[], T], seconds: float = DEFAULT_PATIENCE_SECONDS) -> T:
    """`call()`, again after a short sleep while SQLite says the database is locked, for up to `seconds`."""
    deadline = time.monotonic() + seconds
    pause = 0.001
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)  # a greenlet switch under gevent
        pause = min(pause * 2, 0.05)


class CooperativeCursor(sqlite3.Cursor):
    def execute(self, *args):
        return patiently(lambda: super(CooperativeCursor, self).execute(*args), self.connection.patience_seconds)

    def executemany(self, *args):
        return patiently(lambda: super(CooperativeCursor, self).executemany(*args),
                         self.connection.patience_seconds)


class CooperativeSQLiteConnection(sqlite3.Connection):
    """Statements (on the connection or its cursors) and commits wait for a lock with `patiently`."""

    patience_seconds = DEFAULT_PATIENCE_SECONDS

    def cursor(self, factory=None):
        return super().cursor(factory or CooperativeCursor)

    def execute(self, *args):
        return patiently(lambda: super(CooperativeSQLiteConnection, self).execute(*args), self.patience_seconds)

    def commit(self):
        return patiently(super().commit, self.patience_seconds)
