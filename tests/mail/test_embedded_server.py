"""`flask serve` (what `make run` starts) in sandbox mode runs a real SMTP server on loopback: the
worker delivers to it, the sandbox's mailbox shows what it received, and it stops with `flask
serve` however that ends."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import smtplib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup

from tests.support.waiting import wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextlib.contextmanager
def _serving(env, output_path) -> Iterator[subprocess.Popen]:
    """`flask serve`, its output in `output_path`; whatever the test did to it, nothing it started
    outlives the test (its process group is killed, and the embedded Redis it may have left)."""
    with open(output_path, "w") as output:
        serving = subprocess.Popen([sys.executable, "-m", "flask", "serve", "--workers", "1"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        yield serving
    finally:
        if serving.poll() is None:
            os.killpg(serving.pid, signal.SIGKILL)
            serving.wait()
        _stop_redis_left_by(env)


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def _smtp_port(output_path) -> int | None:
    with open(output_path) as fh:
        match = re.search(r"Mail: an embedded SMTP server on 127\.0\.0\.1:(\d+)", fh.read())
    return int(match.group(1)) if match else None


def _smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def _queue_while_redis_is_down(env) -> None:
    """A message queued and committed while the job queue cannot be reached: only the outbox sweep
    of the worker that `flask serve` starts can send it."""
    from app import create_app
    from app.extensions import db
    from app.mail import queue_mail

    app = create_app({"INSTANCE_PATH": env["INSTANCE_PATH"], "REDIS_URL": "redis://127.0.0.1:1/0",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(env["INSTANCE_PATH"], "storefront.db")})
    with app.app_context():
        queue_mail(to="ann@fabrikam.example.com", subject="You are invited", template="renewal_notice",
                   category="invitations", context={"body": "Choose a password.", "link": "http://127.0.0.1/x"})
        db.session.commit()
        db.engine.dispose()


def test_mail_sent_under_make_run_is_in_the_sandbox_mailbox_and_ctrl_c_stops_the_server(serve_env, tmp_path):
    _queue_while_redis_is_down(serve_env)
    base = f"http://127.0.0.1:{serve_env['PORT']}"
    output = tmp_path / "serve.out"
    with _serving(serve_env, output) as serving:
        assert wait_until(lambda: _get(f"{base}/healthz") is not None, 60), output.read_text()
        port = _smtp_port(output)
        assert port and _smtp_answers(port), output.read_text()
        assert f"read them at {base}/sandbox/mail" in output.read_text()

        def delivered():
            page = _get(f"{base}/sandbox/mail")
            return page and "You are invited" in page

        assert wait_until(delivered, 60), output.read_text()
        inbox = BeautifulSoup(_get(f"{base}/sandbox/mail"), "html.parser")
        [row] = inbox.select("#messages tr.message")
        assert row.select("td")[1].get_text(strip=True) == "ann@fabrikam.example.com"
        maildir = os.path.join(serve_env["INSTANCE_PATH"], "mail", "new")
        assert len(os.listdir(maildir)) == 1

        serving.send_signal(signal.SIGINT)  # Ctrl-C
        assert serving.wait(timeout=30) == 0, output.read_text()
        assert not _smtp_answers(port)


def test_a_killed_serve_takes_its_mail_server_along(serve_env, tmp_path):
    output = tmp_path / "serve.out"
    with _serving(serve_env, output) as serving:
        assert wait_until(lambda: _smtp_port(output) is not None, 60), output.read_text()
        port = _smtp_port(output)
        assert _smtp_answers(port)
        serving.send_signal(signal.SIGKILL)
        serving.wait(timeout=10)
        assert not _smtp_answers(port)


@pytest.mark.parametrize("config, wanted", [
    ({"PARTNER_CENTER_MODE": "sandbox"}, True),
    ({"PARTNER_CENTER_MODE": "sandbox", "MAIL_URL": "smtp://relay:25"}, False),
    ({"PARTNER_CENTER_MODE": "sandbox", "MAIL_SERVER": "relay"}, False),
    ({"PARTNER_CENTER_MODE": "live"}, False),  # nobody could read it: mail fails visibly instead
])
def test_the_embedded_mail_server_is_for_sandbox_mode_without_a_mail_server(config, wanted):
    from flask import Flask

    from app.cli import wants_embedded_mail

    app = Flask("probe")
    app.config.update(config)
    assert wants_embedded_mail(app) is wanted


def _stop_redis_left_by(env) -> None:
    """A killed `flask serve` leaves its embedded Redis for the next start to adopt: end it here."""
    import psutil

    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "redis-server" and process.cwd() == env["INSTANCE_PATH"]:
                process.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
