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

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, redis_url):
    from flask_migrate import upgrade

    from app.accounts.services import seed_demo

    instance = tmp_path_factory.mktemp("live-instance")
    app = make_app("sqlite:///" + str(instance / "live.db"), redis_url, instance, TESTING=False,
                   RQ_QUEUE="storefront-browser-test")
    with app.app_context():
        upgrade()
        seed_demo()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    from app.web.serving import storefront_wsgi

    server = make_server("127.0.0.1", 0, storefront_wsgi(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_throttle(live_app):
    """Sign-in failure counters of one browser test must not slow down the next."""
    from app.extensions import redis_connection

    r = redis_connection.get(live_app)
    for key in r.scan_iter("signin:fail:*"):
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


def sign_in_as(page, base_url: str, email: str, password: str = "demo-password"):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
