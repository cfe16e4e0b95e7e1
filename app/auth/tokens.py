"""The links mailed to people: signed tokens naming one row (an invitation, a password reset, an
email change) and a random secret whose hash that row keeps.

The signature (the app's SECRET_KEY, a salt per kind) makes a link that was not issued by this
storefront fail before the database is asked; the secret makes a link single-use and replaceable:
the row keeps only its hash, a new link for the row replaces it, and using the row ends it. Expiry
lives in the row, so a resent invitation gets seven new days without a new kind of token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db


@dataclass(frozen=True)
class Issued:
    token: str  # goes into the link, never stored
    secret_hash: str  # goes into the row


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"storefront-{kind}")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(kind: str, row_id: int) -> Issued:
    secret = secrets.token_urlsafe(24)
    return Issued(_serializer(kind).dumps([row_id, secret]), secret_hash(secret))


def read(kind: str, token: str | None) -> tuple[int, str] | None:
    """(row id, hash of the secret) of a token this storefront signed for `kind`; None otherwise."""
    if not token or len(token) > 500:
        return None
    try:
        row_id, secret = _serializer(kind).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(row_id, int) or not isinstance(secret, str):
        return None
    return row_id, secret_hash(secret)


def matches(stored_hash: str | None, presented_hash: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, presented_hash)


def row_named(kind: str, token: str | None, model):
    """The row of `model` that a genuine link of `kind` names with its current secret, else None
    (a forged link, a row that is gone, or a link replaced by a newer one)."""
    found = read(kind, token)
    row = db.session.get(model, found[0]) if found else None
    return row if row is not None and matches(row.secret_hash, found[1]) else None


# What a single-use link (a password reset, an email change) leads to.
VALID, USED, EXPIRED, UNKNOWN = "valid", "used", "expired", "unknown"


@dataclass(frozen=True)
class Opened:
    """The row a single-use link names (None for a link this storefront never issued, or one
    replaced by a newer link) and its status: VALID, USED, EXPIRED or UNKNOWN."""

    row: Any
    status: str


def open_single_use(kind: str, token: str | None, model, *, used: Callable[[Any], bool],
                    expired: Callable[[Any], bool]) -> Opened:
    """Open a link of `kind` naming a row of `model`: UNKNOWN unless genuine and current, else USED
    when `used(row)`, else EXPIRED when `expired(row)`, else VALID."""
    row = row_named(kind, token, model)
    if row is None:
        return Opened(None, UNKNOWN)
    if used(row):
        return Opened(row, USED)
    if expired(row):
        return Opened(row, EXPIRED)
    return Opened(row, VALID)
