"""Under gunicorn's gevent worker, a request waiting for SQLite's write lock lets the request that
holds it go on (app.serving.cooperative_sqlite): both finish, instead of the waiting one stopping the
whole process inside SQLite's busy handler until it fails with "database is locked".

Run in a process of its own, since gevent's monkey-patching cannot be undone."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sqlite3, sys, gevent
    sys.path.insert(0, {root!r})
    from app.serving import CooperativeSQLiteConnection

    path, cooperative = sys.argv[1], sys.argv[2] == "cooperative"

    def connect():
        if cooperative:
            return sqlite3.connect(path, timeout=0, factory=CooperativeSQLiteConnection)
        return sqlite3.connect(path, timeout=1)  # SQLite's own busy handler

    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE IF NOT EXISTS t (who TEXT)")
    setup.commit()
    setup.close()
    outcome = {{}}

    def holder():  # writes, then waits on the network (a greenlet switch) before committing
        conn = connect()
        conn.execute("INSERT INTO t VALUES ('holder')")
        gevent.sleep(0.3)
        conn.commit()
        outcome["holder"] = "committed"

    def waiter():  # writes while the holder has the lock
        gevent.sleep(0.05)
        conn = connect()
        try:
            conn.execute("INSERT INTO t VALUES ('waiter')")
            conn.commit()
            outcome["waiter"] = "committed"
        except sqlite3.OperationalError as error:
            outcome["waiter"] = str(error)

    gevent.joinall([gevent.spawn(holder), gevent.spawn(waiter)])
    rows = sorted(r[0] for r in sqlite3.connect(path).execute("SELECT who FROM t"))
    print(outcome.get("holder"), outcome.get("waiter"), ",".join(rows), sep="|")
""")


def _race(tmp_path, mode: str) -> list[str]:
    script = tmp_path / "race.py"
    script.write_text(SCRIPT.format(root=ROOT))
    done = subprocess.run([sys.executable, str(script), str(tmp_path / f"{mode}.db"), mode],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("|")


def test_a_writer_waiting_for_the_lock_lets_the_holder_commit_then_writes(tmp_path):
    assert _race(tmp_path, "cooperative") == ["committed", "committed", "holder,waiter"]


def test_without_it_the_waiter_stops_the_process_and_fails(tmp_path):
    """What cooperative_sqlite is for: SQLite's busy handler blocks the holder's greenlet too."""
    holder, waiter, rows = _race(tmp_path, "plain")
    assert waiter == "database is locked" and rows == "holder"
