"""Fixtures of the mail tests: an instance folder ready for `flask serve`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def serve_env(tmp_path):
    """The environment of `make run` on a fresh instance folder (migrated, no demo data): embedded
    Redis, sandbox mode, no mail server configured."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MAIL_URL", "MAIL_SERVER", "PARTNER_CENTER_MODE",
                        "PARTNER_CENTER_SANDBOX_URL", "PUBLIC_URL")}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.update(FLASK_APP="app", INSTANCE_PATH=str(tmp_path / "instance"), HOST="127.0.0.1", PORT=str(port))
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return env
