"""The suite's databases: the schema built once per backend, the demo loaded once, each test rolled back.

Each backend (SQLite, PostgreSQL) holds two copies of the schema: `empty`, and `demo` with seed_demo's
data (the demo organisations and the catalog synchronised from the sandbox) committed once per session.
A test runs in a transaction on one of them and everything it did is rolled back afterwards: the
sessions of the test and of every request it makes are joined to that one connection, each in a
SAVEPOINT of its own, so a commit in the code under test releases a savepoint and a rollback returns
to it (SQLAlchemy's "Joining a Session into an External Transaction", join_transaction_mode
"create_savepoint"). Apps are built once per backend and configuration and reused: a test's settings,
instance folder, Partner Center clients and sandbox state are put back as they were.

Tests whose data must be visible to another thread or process (a real worker, two threads racing)
are marked `commits`: they get an app of their own that commits for real, and the tables are put
back to the seeded state afterwards. Tests that change the app itself (add routes) are marked
`fresh_app`.
"""
from __future__ import annotations

import copy
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession

from app.extensions import db
from tests.helpers import make_app

SCHEMAS = ("suite_empty", "suite_demo")  # PostgreSQL: one schema per copy, in the test database


class Database(NamedTuple):
    """A backend of this session: its name, the URL of the empty copy and of the seeded copy."""

    name: str
    url: str
    demo_url: str


def sqlite_database(directory: Path) -> Database:
    return Database("sqlite", f"sqlite:///{directory / 'empty.db'}", f"sqlite:///{directory / 'demo.db'}")


def postgresql_database(url: str) -> Database:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for schema in SCHEMAS:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    empty, demo = (f"{url}{sep}options=-csearch_path%3D{schema}" for schema in SCHEMAS)
    return Database("postgresql", empty, demo)


def join_savepoints_on_sqlite(app: Flask) -> None:
    """pysqlite begins transactions itself and would not pass SAVEPOINT through; let SQLAlchemy
    emit BEGIN instead (the SQLAlchemy documentation's recipe for SAVEPOINT on pysqlite)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


class _JoinedSession(FlaskSession):
    """A Flask-SQLAlchemy session on the test's connection (its get_bind would pick the engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


def _seed_demo() -> None:
    from app.demo import seed_demo

    seed_demo()


def _sandbox(app: Flask):
    from app.connections.services import in_process_sandbox

    return in_process_sandbox(app)


def _drop_clients(app: Flask) -> None:
    """Every test builds its Partner Center clients afresh (tokens, options), as a new process would."""
    for client in app.extensions.pop("partner_center_clients", {}).values():
        client.close()
    # And the sandboxes of connections added in sandbox mode: their stores live in the test's instance folder.
    app.extensions.pop("partner_center_connection_sandboxes", None)


class Suite:
    """One backend's schema, demo data and apps, for the whole session."""

    def __init__(self, database: Database, redis_url: str, root: Path):
        self.database = database
        self.redis_url = redis_url
        self.root = root
        self._apps: dict[str, Flask] = {}
        self._last_app: Flask | None = None
        self._snapshot: dict[str, list[dict]] | None = None
        for url in (database.url, database.demo_url):
            app = make_app(url, redis_url, root / "schema")
            with app.app_context():
                db.drop_all()
                db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
                db.session.commit()
                db.create_all()
                db.session.remove()
                db.engine.dispose()

    def url(self, seeded: bool) -> str:
        """The URL of the seeded copy (loading the demo into it on first use) or of the empty one."""
        if not seeded:
            return self.database.url
        self._seed()
        return self.database.demo_url

    def app(self, config: dict, *, seeded: bool, redis_url: str) -> Flask:
        """The app of this configuration on the empty or the seeded copy, built on first use."""
        key = json.dumps([seeded, redis_url, config], sort_keys=True, default=repr)
        app = self._apps.get(key)
        if app is None:
            app = self.new_app(config, seeded=seeded, redis_url=redis_url,
                               instance_path=self.root / f"instance-{len(self._apps)}")
            _sandbox(app)  # its store lives in this instance folder, whatever a test's folder is
            self._apps[key] = app
        if self._last_app is not None and self._last_app is not app:
            # The database server is shared: one idle connection per suite, not one per app built.
            with self._last_app.app_context():
                db.engine.dispose()
        self._last_app = app
        return app

    def new_app(self, config: dict, *, seeded: bool, redis_url: str, instance_path: Path) -> Flask:
        app = make_app(self.url(seeded), redis_url, instance_path, **config)
        join_savepoints_on_sqlite(app)
        return app

    def _seed(self) -> None:
        if self._snapshot is not None:
            return
        app = make_app(self.database.demo_url, self.redis_url, self.root / "seed")
        with app.app_context():
            _seed_demo()
            self._snapshot = {table.name: [dict(row._mapping) for row in db.session.execute(sa.select(table))]
                              for table in db.metadata.sorted_tables}
            db.session.remove()
            db.engine.dispose()
        _drop_clients(app)

    def restore(self, seeded: bool) -> None:
        """Put the tables back as they were before a committing test (in its app context)."""
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        if seeded:
            for table in db.metadata.sorted_tables:
                if self._snapshot[table.name]:
                    db.session.execute(table.insert(), self._snapshot[table.name])
        db.session.commit()
        db.session.remove()


@contextmanager
def rolled_back(app: Flask, instance_path: Path):
    """Run a test in `app` inside one transaction, rolled back at the end, with the app's settings,
    instance folder and in-process sandbox put back as they were."""
    sandbox = _sandbox(app)
    saved_config, saved_sandbox_config = copy.deepcopy(dict(app.config)), copy.deepcopy(dict(sandbox.config))
    saved_instance_path = app.instance_path
    # Each test starts with Microsoft as seeded: no customers of earlier tests, no faults, the real clock.
    sandbox.extensions["sandbox_store"].reset()
    _drop_clients(app)
    os.makedirs(instance_path, exist_ok=True)
    app.instance_path = str(instance_path)
    try:
        with app.app_context():
            connection = db.engine.connect()
            transaction = connection.begin()
            outer_session = db.session
            db.session = db._make_scoped_session(
                {"class_": _JoinedSession, "bind": connection, "join_transaction_mode": "create_savepoint"})
            try:
                yield app
            finally:
                try:
                    db.session.remove()
                finally:
                    db.session = outer_session
                    try:
                        transaction.rollback()
                    finally:
                        connection.close()  # whatever went wrong, no lock outlives the test
    finally:
        _drop_clients(app)
        app.instance_path = saved_instance_path
        app.config.clear()
        app.config.update(saved_config)
        sandbox.config.clear()
        sandbox.config.update(saved_sandbox_config)
