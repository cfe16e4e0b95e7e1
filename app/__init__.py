"""The storefront application factory.

Only wsgi.py, worker.py, the CLI and tests build an app; nothing builds one on import.
"""
from __future__ import annotations

import logging
import os
import secrets

from flask import Flask

from app.config import Config
from app.extensions import csrf, db, htmx, login_manager, migrate, redis_connection

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    from app.web.urls import StorefrontFlask

    app = StorefrontFlask(  # URLs built once per process (app/web/urls.py)
        __name__,
        instance_path=(config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
        or os.path.join(BASE_DIR, "instance"),
        template_folder=os.path.join(BASE_DIR, "templates"),
        static_folder=os.path.join(BASE_DIR, "static"),
    )
    from app.web.rendering import StorefrontEnvironment

    app.jinja_environment = StorefrontEnvironment  # before the environment is made (app/web/rendering.py)
    app.config.update(Config().as_dict())
    if config:
        app.config.update(config)
    _check_keys(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "storefront.db")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine: no server to drop a pooled connection, so no ping before each request's
        # first statement (pool_pre_ping is for PostgreSQL restarts and idle timeouts).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
                                                   if k != "pool_pre_ping"}
    if not _in_memory(app.config["SQLALCHEMY_DATABASE_URI"]):  # one connection, shared: no pool to size
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": app.config["DATABASE_POOL_SIZE"],
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every Partner Center attempt is logged by app.partner_center with its ids; httpx's own
    # line per request would only repeat it.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(BASE_DIR, "migrations"))
    csrf.init_app(app)
    from app.web.session_cache import CachedCookieSessionInterface, reuse_csrf_tokens

    # The session cookie decoded, and the CSRF token signed, once per process (app/web/session_cache.py).
    app.session_interface = CachedCookieSessionInterface()
    reuse_csrf_tokens(app)
    htmx.init_app(app)
    from app.web.forms import field, use_fast_html_params

    use_fast_html_params()  # the same markup, written several times faster (app/web/forms.py)
    app.add_template_global(field)  # a field with its label, hint and error, in every form
    redis_connection.init_app(app)
    _init_login(app)

    from app import models  # noqa: F401  (every model registered with the metadata)
    from app.accounts.identity import operator_identity
    from app.mail import MailConfigError, init_mail

    try:
        init_mail(app, identity=operator_identity)
    except MailConfigError as exc:
        raise ConfigurationError(str(exc)) from None

    from app.accounts import bp as accounts_bp
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.catalog import bp as catalog_bp
    from app.checkout import bp as checkout_bp
    from app.checkout.mca_log import bp as mca_bp
    from app.connections import bp as connections_bp
    from app.home import bp as home_bp
    from app.migration import bp as migration_bp
    from app.orders import bp as orders_bp
    from app.settings import bp as settings_bp
    from app.partners import bp as partners_bp
    from app.programs import bp as programs_bp
    from app.subscriptions import bp as subscriptions_bp
    from app.tools import bp as tools_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(connections_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(mca_bp)
    app.register_blueprint(tools_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(migration_bp)

    from app.web.errors import register_error_handlers
    from app.web.layout import register_layout

    register_error_handlers(app)
    register_layout(app)

    from app.cli import register_cli

    register_cli(app)
    return app


class ConfigurationError(RuntimeError):
    """A setting the storefront cannot start without; the message names it and says what to do."""


def _check_keys(app: Flask) -> None:
    """Live mode needs its keys from the environment: the files generated into instance/ are for the
    demo and the sandbox, and a web process and a worker on two hosts would not share them."""
    from app.web.secrets import EncryptionKeyError, parse_keys

    if app.config.get("ENCRYPTION_KEY"):
        try:
            parse_keys(app.config["ENCRYPTION_KEY"])
        except EncryptionKeyError as exc:
            raise ConfigurationError(str(exc)) from None
    if app.config.get("PARTNER_CENTER_MODE") == "live":
        missing = [name for name in ("SECRET_KEY", "ENCRYPTION_KEY") if not app.config.get(name)]
        if missing:
            names = " and ".join(missing)
            raise ConfigurationError(
                f"PARTNER_CENTER_MODE is live, and {names} {'is' if len(missing) == 1 else 'are'} not set. Set "
                f"{names} in the environment, with the same value for every web process and worker. The keys "
                "generated into instance/ are for the demo and the sandbox only.")


def _init_login(app: Flask) -> None:
    from app.auth.sessions import load_user, unauthorized

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    # "strong": a session cookie replayed from another IP/browser is dropped.
    login_manager.session_protection = "strong"

    # The session carries "<user id>:<session version>" (app/auth/sessions.py).
    login_manager.user_loader(load_user)
    # The sign-in page, saying why, leading back (app/auth/sessions.py).
    login_manager.unauthorized_handler(unauthorized)


def _instance_secret(instance_path: str) -> str:
    """A per-installation secret kept in instance/, so the web processes and the worker agree."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins, the others read its key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as fh:
        return fh.read().strip()


def _in_memory(uri: str) -> bool:
    """An SQLite database in memory (Flask-SQLAlchemy gives it one static connection)."""
    return uri.startswith("sqlite") and (uri in ("sqlite://", "sqlite:///") or ":memory:" in uri or "mode=memory" in uri)
