"""The WSGI application that is served: the storefront, plus what is mounted beside it."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app.sandbox.sqlite_wait import CooperativeSQLiteConnection
from app.web.access import Permission, may


def storefront_wsgi(app: Flask):
    """The storefront as served by gunicorn (wsgi.py) and by the browser tests' live server.

    In sandbox mode with the sandbox in-process, its pages (the overview, the admin-center
    acceptance page that relationship links point at, the controls) are mounted at /sandbox, so a
    demo needs one server only.
    """
    from app.connections.services import CONNECTION_SANDBOXES_MOUNT, SANDBOX_MOUNT, in_process_sandbox, sandbox_mode

    if not sandbox_mode(app) or app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        return app  # live, or a standalone sandbox that serves its own pages
    return DispatcherMiddleware(app, {SANDBOX_MOUNT: SandboxGate(app, in_process_sandbox(app), SANDBOX_MOUNT),
                                      CONNECTION_SANDBOXES_MOUNT: ConnectionSandboxes(app)})


class ConnectionSandboxes:
    """The pages of the sandboxes that answer the connections the operator added in sandbox mode, at
    /sandboxes/<connection name>/..., each behind the same gate as /sandbox. Connections come and go
    while the server runs, so the name is looked up on each request (404 for no such connection)."""

    def __init__(self, storefront: Flask):
        self.storefront = storefront

    def __call__(self, environ, start_response):
        from werkzeug.exceptions import NotFound

        from app.connections.services import CONNECTION_SANDBOXES_MOUNT, UnknownInstance, connection_sandbox

        path = environ.get("PATH_INFO", "")
        name, _, rest = path.lstrip("/").partition("/")
        try:
            with self.storefront.app_context():
                sandbox = connection_sandbox(self.storefront, name)
        except UnknownInstance:
            return NotFound()(environ, start_response)
        mount = f"{CONNECTION_SANDBOXES_MOUNT}/{name}"
        inner = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/" + name, PATH_INFO="/" + rest)
        return SandboxGate(self.storefront, sandbox, mount)(inner, start_response)


# The WSGI environ key under which the gate gives the sandbox a callable: may the person of this
# request open the sandbox page at this path (below the mount)? The sandbox's header asks it
# (app/sandbox/pages.py, MAY_OPEN and may_open; a plain key, as the sandbox imports nothing of app/).
SANDBOX_MAY_OPEN = "sandbox.may_open"


def sandbox_permission(path: str) -> Permission | None:
    """Who may use a page of the mounted sandbox, by its path below the mount; None: anyone.

    The controls (faults, clock, review, reset, and their page) are the operator admin's: from a
    demo anyone can reach, they would let a visitor break everybody's Partner Center. The overview
    lists every account's tenants and orders: operators only. The acceptance page is for a
    customer's administrator, who is no storefront user, and the API and token endpoints check
    the sandbox's own credentials.
    """
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if not segments:
        return Permission.ADMIN_VIEW
    if segments[0] == "_sandbox":
        return Permission.SANDBOX_CONTROLS
    return None


class SandboxGate:
    """The in-process sandbox, behind the storefront's sign-in for the pages that need it.

    The sandbox knows nothing of the storefront (it imports nothing of app/), so the check is
    made here: the storefront's request context is opened on the same request (as if for
    /sandbox/...) to read its session, and a refusal is the storefront's own answer (sign-in
    redirect, or its 403 page).
    """

    def __init__(self, storefront: Flask, sandbox, mount: str):
        self.storefront = storefront
        self.sandbox = sandbox
        self.mount = mount

    def __call__(self, environ, start_response):
        permission = sandbox_permission(environ.get("PATH_INFO", ""))
        if permission is not None:
            refusal = self._refusal(environ, permission)
            if refusal is not None:
                return refusal(environ, start_response)
        environ[SANDBOX_MAY_OPEN] = self._may_open(environ)
        return self.sandbox(environ, start_response)

    def _may_open(self, environ):
        """Whether the person of this request may open a sandbox page, by its path below the mount: the
        sandbox's header asks it, so it offers only the pages that would not answer 403 (an operator
        member sees no link to the controls). Each permission is asked of the storefront once, and only
        when a page is rendered (API calls never ask)."""
        answers: dict[Permission, bool] = {}

        def may_open(path: str) -> bool:
            permission = sandbox_permission(path)
            if permission is None:
                return True
            if permission not in answers:
                with self._storefront_request(environ):
                    answers[permission] = may(current_user, permission)
            return answers[permission]

        return may_open

    def _storefront_request(self, environ):
        # The storefront sees the full path (/sandbox/_sandbox/admin), so its sign-in link comes back here.
        script_name = environ.get("SCRIPT_NAME", "")
        outer = dict(environ, SCRIPT_NAME=script_name[: len(script_name) - len(self.mount)],
                     PATH_INFO=self.mount + environ.get("PATH_INFO", ""))
        return self.storefront.request_context(outer)

    def _refusal(self, environ, permission: Permission):
        app = self.storefront
        with self._storefront_request(environ):
            if may(current_user, permission):
                return None
            if current_user.is_authenticated:
                answer = app.handle_http_exception(Forbidden())
            else:
                answer = app.login_manager.unauthorized()
            return app.process_response(app.make_response(answer))


def cooperative_sqlite(served) -> None:
    """SQLite connections made from now on wait for a lock by sleeping in Python, which under
    gunicorn's gevent worker lets the other greenlets of the process run, instead of in SQLite's own
    busy handler, which would stop the whole process. Without it, a request that holds SQLite's
    write lock and waits on the network (Redis, SMTP, a retry's sleep) before committing could not
    go on while another request of the same process waits for that lock: both would fail after
    the busy timeout. PostgreSQL needs nothing (psycopg waits through gevent's patched select).
    Called by gunicorn after a worker loaded `served` (storefront_wsgi's answer; app/web/gunicorn_conf.py).
    The connection class is the sandbox's (app/sandbox/sqlite_wait.py), whose own store waits the same way."""
    import sqlalchemy as sa

    from app.extensions import db

    @sa.event.listens_for(sa.engine.Engine, "do_connect")
    def _connect(dialect, _record, _cargs, cparams):
        if dialect.name == "sqlite":
            cparams["factory"] = CooperativeSQLiteConnection
            cparams["timeout"] = 0  # no waiting inside SQLite: CooperativeSQLiteConnection retries

    app = served if isinstance(served, Flask) else getattr(served, "app", None)
    if isinstance(app, Flask):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()  # connections made at start-up, before the listener
