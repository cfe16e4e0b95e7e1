"""A live storefront (real server thread, migrated SQLite, demo data) and headless Chromium.

Chromium is the system one at /usr/bin/chromium (`make test` installs it through apt when it
can); Playwright for Python drives it. Without it these tests are skipped with the reason.
"""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from tests.helpers import make_app
from tests.support.net import free_port
from tests.support.worker import start_worker, stop_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_port():
    return free_port()


@pytest.fixture(scope="session")
def browser_redis_url(system_redis_url):
    """Its own Redis database, so other tests flushing theirs never touch the live worker's keys.

    TEST_BROWSER_REDIS_URL picks another one (two suites running side by side on one server)."""
    if os.environ.get("TEST_BROWSER_REDIS_URL"):
        return os.environ["TEST_BROWSER_REDIS_URL"]
    if system_redis_url.startswith("unix://"):
        return system_redis_url + "?db=14"
    return system_redis_url.rsplit("/", 1)[0] + "/14"


@pytest.fixture(scope="session")
def live_env(tmp_path_factory, browser_redis_url, live_port):
    """The live storefront's settings, shared by its server and its worker. Its mail goes to the
    embedded mail server of `flask serve` (real SMTP on loopback), which keeps it in the Maildir
    that the sandbox's mailbox (/sandbox/mail) shows, as under `make run`."""
    from app.mail import maildir_path
    from app.mail.embedded import start_embedded_smtp

    instance = tmp_path_factory.mktemp("live-instance")
    mail_server = start_embedded_smtp(maildir_path(str(instance)))
    yield {
        "DATABASE_URL": "sqlite:///" + str(instance / "live.db"),
        "REDIS_URL": browser_redis_url,
        "INSTANCE_PATH": str(instance),
        "RQ_QUEUE": "storefront-browser-test",
        "PUBLIC_URL": f"http://127.0.0.1:{live_port}",
        "SECRET_KEY": "browser-test-secret",
        "SANDBOX_ORDER_DELAY_SECONDS": "2",
        "MAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
    }
    mail_server.stop()


@pytest.fixture(scope="session")
def live_app(live_env):
    from flask_migrate import upgrade

    from app.demo import seed_demo

    import redis as redis_lib

    redis_lib.Redis.from_url(live_env["REDIS_URL"]).flushdb()
    app = make_app(live_env["DATABASE_URL"], live_env["REDIS_URL"], live_env["INSTANCE_PATH"], TESTING=False,
                   RQ_QUEUE=live_env["RQ_QUEUE"], PUBLIC_URL=live_env["PUBLIC_URL"],
                   SECRET_KEY=live_env["SECRET_KEY"], MAIL_URL=live_env["MAIL_URL"])
    with app.app_context():
        upgrade()
        seed_demo()
    return app


@pytest.fixture(scope="session")
def live_server(live_app, live_port):
    from app.serving import storefront_wsgi

    server = make_server("127.0.0.1", live_port, storefront_wsgi(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def live_worker(live_server, live_env):
    """The real worker (worker.py) in its own process, sharing the live server's database,
    Redis and sandbox store, as `make run` starts it."""
    process = start_worker(live_env)
    yield process
    stop_worker(process)


@pytest.fixture
def fresh_checkouts(live_app):
    """Each wizard test starts with no open checkout and a freshly seeded sandbox."""
    from app.checkout.models import AuthorizationWatch, CheckoutDraft, DomainReservation
    from app.connections.services import in_process_sandbox
    from app.extensions import db

    with live_app.app_context():
        db.session.execute(db.delete(DomainReservation))
        db.session.execute(db.delete(AuthorizationWatch))
        db.session.execute(db.update(CheckoutDraft).where(CheckoutDraft.status == "open").values(status="abandoned"))
        db.session.commit()
        in_process_sandbox(live_app).extensions["sandbox_store"].reset()


@pytest.fixture
def empty_carts(live_app):
    """Each cart test starts with every buyer's cart (and Buy now) empty."""
    from app.catalog.models import CartLine
    from app.extensions import db

    with live_app.app_context():
        db.session.execute(db.delete(CartLine))
        db.session.commit()


@pytest.fixture
def filled_carts(live_app, empty_carts):
    """Each wizard test starts with 5 × Microsoft 365 Business Premium (1 year, billed monthly), and nothing
    else, in every buyer's cart: what the checkout buys (with nothing to buy its steps lead to the cart)."""
    from app.accounts.models import Account, User
    from app.extensions import db
    from tests.support.catalog import put_in_cart

    with live_app.app_context():
        for email in db.session.scalars(db.select(User.email).join(Account).where(
                Account.kind.in_(("reseller", "customer")))).all():
            put_in_cart(db, email)


@pytest.fixture(autouse=True)
def _fresh_throttle(live_app):
    """Sign-in failure counters of one browser test must not slow down the next."""
    from app.extensions import redis_connection

    r = redis_connection.get(live_app)
    for pattern in ("signin:fail:*", "pc:person:*"):  # and the checks a person may make per minute
        for key in r.scan_iter(pattern):
            r.delete(key)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def no_js_page(browser):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory, browser_redis_url):
    """A live storefront of its own, with the objects of tests/support/accessibility.py (reseller A's
    querying order, agreement, subscription, notification, cart line; open checkouts at the review
    step), for walking every page. Its own database, so those objects never show in the other
    browser tests' pages. Yields (base URL, app, scene)."""
    from flask_migrate import upgrade

    from app.demo import seed_demo
    from app.serving import storefront_wsgi
    from tests.support.accessibility import build_walk_scene

    instance = tmp_path_factory.mktemp("walk-instance")
    port = free_port()
    app = make_app("sqlite:///" + str(instance / "walk.db"), browser_redis_url, str(instance), TESTING=False,
                   RQ_QUEUE="storefront-walk-test", PUBLIC_URL=f"http://127.0.0.1:{port}",
                   SECRET_KEY="walk-test-secret")
    with app.app_context():
        upgrade()
        seed_demo()
        scene = build_walk_scene()
    server = make_server("127.0.0.1", port, storefront_wsgi(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app, scene
    server.shutdown()
