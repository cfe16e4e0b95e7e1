"""The sandbox's own persistent store: one SQLite file, shared by processes.

Several processes use it at once (gunicorn web workers, the RQ worker, tests),
so: WAL journal, a generous wait for the lock, a fresh connection per short
transaction, and ``BEGIN IMMEDIATE`` for every read-modify-write so two
processes never interleave a check and its write. The wait for the lock is a
retry after a short ``time.sleep`` (sqlite_wait.py), never SQLite's busy
handler: under gunicorn's gevent worker that handler stops the whole process,
and with it a request of the same process that holds the lock, until the
waiter fails with "database is locked". Resources are JSON documents per kind
(tenant, agreement, cart, order, subscription, reseller, ...); fault controls,
the clock offset and the call log are rows too, so they apply to every process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from .sqlite_wait import CooperativeSQLiteConnection, patiently

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS docs_parent ON docs (kind, parent);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    headers TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path_prefix TEXT NOT NULL,
    kind TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    retry_after INTEGER,
    delay REAL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_registrations (partner TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_keys (id INTEGER PRIMARY KEY CHECK (id = 1), key_pem TEXT NOT NULL,
                                         cert_der BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    event_name TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    due REAL NOT NULL,
    claimed REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    fault TEXT,
    answer TEXT,
    delivered TEXT
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    host TEXT,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    request_id TEXT,
    correlation_id TEXT,
    status INTEGER NOT NULL
);
"""

FAULT_KINDS = {
    "throttle": "throttle", "429": "throttle",
    "error": "error", "500": "error",
    "slow": "slow",
    "accepted": "accepted", "202": "accepted",
    # Webhook deliveries (webhooks.py): dropped, or sent ``delay`` seconds late.
    "drop": "drop", "delay": "delay",
}
# Kinds the route itself answers (it asks for them with take_fault(kinds=...)); the request gate
# in __init__ never takes them.
ROUTE_FAULT_KINDS = ("accepted", "drop", "delay")


def iso(dt: datetime) -> str:
    """Partner Center style UTC timestamp."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Tx:
    """One transaction on the store. Obtain it from ``SandboxStore.tx()``."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # documents -------------------------------------------------------------
    def get(self, kind: str, id: str) -> dict | None:
        row = self.conn.execute(
            "SELECT data FROM docs WHERE kind = ? AND id = ?", (kind, id)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, id: str, data: dict, parent: str | None = None) -> dict:
        self.conn.execute(
            "INSERT INTO docs (kind, id, parent, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, "
            "parent = COALESCE(excluded.parent, docs.parent)",
            (kind, id, parent, json.dumps(data)))
        return data

    def list(self, kind: str, parent: str | None = None) -> list[dict]:
        if parent is None:
            rows = self.conn.execute(
                "SELECT data FROM docs WHERE kind = ? ORDER BY seq", (kind,))
        else:
            rows = self.conn.execute(
                "SELECT data FROM docs WHERE kind = ? AND parent = ? ORDER BY seq",
                (kind, parent))
        return [json.loads(r[0]) for r in rows]

    def delete(self, kind: str, id: str) -> None:
        self.conn.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, id))

    # meta / clock ----------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)))

    def now(self) -> datetime:
        offset = float(self.meta("clock_offset", 0.0))
        return datetime.now(timezone.utc) + timedelta(seconds=offset)

    # idempotency -----------------------------------------------------------
    def replay(self, key: str) -> tuple[int, Any, dict] | None:
        row = self.conn.execute(
            "SELECT status, body, headers FROM idempotency WHERE key = ?", (key,)).fetchone()
        if not row:
            return None
        return row[0], json.loads(row[1]), json.loads(row[2])

    def remember(self, key: str, status: int, body: Any, headers: dict | None = None) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO idempotency (key, status, body, headers, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, status, json.dumps(body), json.dumps(headers or {}), time.time()))


class _StoreConnection(CooperativeSQLiteConnection):
    patience_seconds = 30.0  # generous: every process's transactions are short, but many


class SandboxStore:
    """Persistent state of the sandbox; the Python control API lives here too."""

    def __init__(self, data_dir: str, *, tenant_id: str, seed: bool = True, seed_kind: str = "demo"):
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, "sandbox.sqlite3")
        self.tenant_id = tenant_id
        self.seed_kind = seed_kind  # what a new store holds: seed.SEEDS
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            patiently(lambda: conn.executescript(SCHEMA), _StoreConnection.patience_seconds)  # idempotent
        finally:
            conn.close()
        if seed:
            self.ensure_seeded()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None,  # no busy handler: see the module
                               check_same_thread=False, factory=_StoreConnection)
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def tx(self, write: bool = True) -> Iterator[Tx]:
        """A short transaction; ``write=True`` takes the write lock up front."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    # seeding ---------------------------------------------------------------
    def ensure_seeded(self) -> None:
        from .seed import seed

        with self.tx() as tx:
            if tx.meta("seeded"):
                return
            seed(tx, self.tenant_id, kind=self.seed_kind)
            tx.set_meta("seeded", True)

    def reset(self) -> None:
        """Wipe everything (documents, faults, calls, clock, webhook deliveries) and reseed. The partner's
        webhook registration and the signing key stay, as the partner's app registration does."""
        with self.tx() as tx:
            for table in ("docs", "meta", "idempotency", "faults", "calls", "webhook_deliveries"):
                tx.conn.execute(f"DELETE FROM {table}")
        self.ensure_seeded()

    # clock -----------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox clock: real UTC time plus the stored offset."""
        with self.tx(write=False) as tx:
            return tx.now()

    def advance_clock(self, delta: timedelta) -> datetime:
        with self.tx() as tx:
            tx.set_meta("clock_offset", float(tx.meta("clock_offset", 0.0)) + delta.total_seconds())
            return tx.now()

    def reset_clock(self) -> datetime:
        with self.tx() as tx:
            tx.set_meta("clock_offset", 0.0)
            return tx.now()

    def clock_offset(self) -> timedelta:
        with self.tx(write=False) as tx:
            return timedelta(seconds=float(tx.meta("clock_offset", 0.0)))

    # faults ----------------------------------------------------------------
    def inject_fault(self, method: str, path_prefix: str, kind: str, count: int = 1,
                     retry_after: int | None = None, delay: float | None = None) -> int:
        """The next ``count`` calls matching METHOD (or ``*``) and path prefix
        answer 429 (kind ``throttle``/``429``, with Retry-After), 500 (kind
        ``error``/``500``), or are answered ``delay`` seconds late after being
        fully processed (kind ``slow``). Kind ``accepted``/``202`` is for
        ``PATCH /v1/customers/{c}/subscriptions/{s}``: the update answers 202 with a
        Location and a Retry-After (``retry_after``, default 2) and lands ``delay``
        seconds later on the sandbox clock (default: the Retry-After), the way
        Microsoft answers an update that takes longer than expected. Kinds ``drop``
        and ``delay`` are for webhook deliveries (path prefix ``/webhooks/deliveries/``,
        then the event name): the next ``count`` deliveries are never sent, or sent
        ``delay`` seconds late (webhooks.py). Returns the fault id."""
        normalized = FAULT_KINDS.get(str(kind).lower())
        if normalized is None:
            raise ValueError(f"unknown fault kind {kind!r}; use throttle, error, slow, accepted, drop or delay")
        if count < 1:
            raise ValueError("count must be at least 1")
        if normalized == "throttle" and retry_after is None:
            retry_after = 30
        if normalized in ("slow", "delay") and delay is None:
            raise ValueError(f"a {normalized} fault needs delay (seconds)")
        with self.tx() as tx:
            cur = tx.conn.execute(
                "INSERT INTO faults (method, path_prefix, kind, remaining, retry_after, delay, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((method or "*").upper(), path_prefix, normalized, int(count),
                 None if retry_after is None else int(retry_after),
                 None if delay is None else float(delay), time.time()))
            return int(cur.lastrowid)

    def faults(self) -> list[dict]:
        with self.tx(write=False) as tx:
            rows = tx.conn.execute(
                "SELECT id, method, path_prefix, kind, remaining, retry_after, delay "
                "FROM faults ORDER BY id").fetchall()
        return [dict(zip(("id", "method", "pathPrefix", "kind", "remaining", "retryAfter", "delay"), r))
                for r in rows]

    def clear_faults(self) -> None:
        with self.tx() as tx:
            tx.conn.execute("DELETE FROM faults")

    def take_fault(self, method: str, path: str, kinds: tuple[str, ...] | None = None) -> dict | None:
        """Consume one use of the oldest fault matching this call, if any: of ``kinds`` when
        given, else of any kind but those a route answers itself (``ROUTE_FAULT_KINDS``)."""
        with self.tx() as tx:
            rows = tx.conn.execute(
                "SELECT id, method, path_prefix, kind, remaining, retry_after, delay "
                "FROM faults WHERE remaining > 0 ORDER BY id").fetchall()
            for fid, fmethod, prefix, kind, remaining, retry_after, delay in rows:
                if (kind not in kinds) if kinds is not None else (kind in ROUTE_FAULT_KINDS):
                    continue
                if fmethod not in ("*", method.upper()):
                    continue
                if not path.lower().startswith(prefix.lower()):
                    continue
                if remaining <= 1:
                    tx.conn.execute("DELETE FROM faults WHERE id = ?", (fid,))
                else:
                    tx.conn.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fid,))
                return {"id": fid, "kind": kind, "retryAfter": retry_after, "delay": delay}
        return None

    # customers under review --------------------------------------------------
    def set_under_review(self, tenant_id: str, under_review: bool = True) -> None:
        with self.tx() as tx:
            tenant = tx.get("tenant", tenant_id.lower())
            if tenant is None:
                raise KeyError(f"unknown tenant {tenant_id}")
            tenant["underReview"] = bool(under_review)
            tx.put("tenant", tenant["id"], tenant)

    # call log ----------------------------------------------------------------
    def record_call(self, *, method: str, host: str | None, path: str, query: str,
                    request_id: str | None, correlation_id: str | None, status: int) -> None:
        with self.tx() as tx:
            tx.conn.execute(
                "INSERT INTO calls (at, method, host, path, query, request_id, correlation_id, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(), method, host, path, query,
                 request_id, correlation_id, int(status)))

    def calls(self, method: str | None = None, path: str | None = None,
              path_prefix: str | None = None, status: int | None = None) -> list[dict]:
        """Calls received (API and Entra), oldest first, optionally filtered by
        exact method, exact path, path prefix and status answered."""
        sql = ("SELECT id, at, method, host, path, query, request_id, correlation_id, status "
               "FROM calls WHERE 1 = 1")
        args: list[Any] = []
        if method:
            sql += " AND method = ?"
            args.append(method.upper())
        if path is not None:
            sql += " AND lower(path) = lower(?)"
            args.append(path)
        if path_prefix is not None:
            sql += " AND lower(substr(path, 1, ?)) = lower(?)"
            args.extend([len(path_prefix), path_prefix])
        if status is not None:
            sql += " AND status = ?"
            args.append(int(status))
        with self.tx(write=False) as tx:
            rows = tx.conn.execute(sql + " ORDER BY id", args).fetchall()
        keys = ("id", "at", "method", "host", "path", "query", "requestId", "correlationId", "status")
        return [dict(zip(keys, r)) for r in rows]

    def clear_calls(self) -> None:
        with self.tx() as tx:
            tx.conn.execute("DELETE FROM calls")

    # read helpers (tests, pages) ---------------------------------------------
    def document(self, kind: str, id: str) -> dict | None:
        with self.tx(write=False) as tx:
            return tx.get(kind, id)

    def documents(self, kind: str, parent: str | None = None) -> list[dict]:
        with self.tx(write=False) as tx:
            return tx.list(kind, parent)

    def tenant_by_domain(self, domain: str) -> dict | None:
        domain = domain.lower()
        for tenant in self.documents("tenant"):
            if domain in [d.lower() for d in tenant.get("domains", [])]:
                return tenant
        return None
