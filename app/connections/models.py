from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import utcnow
from app.extensions import PkModel, db
from app.partner_center.clouds import CLOUDS


class PartnerCenterInstance(PkModel):
    """A Partner Center connection of the operator (live mode). Secrets are stored encrypted."""

    __tablename__ = "partner_center_instances"
    __table_args__ = (
        CheckConstraint(f"cloud IN ({', '.join(repr(name) for name in CLOUDS)})", name="cloud"),
    )

    name: Mapped[str] = mapped_column(String(64), unique=True)
    cloud: Mapped[str] = mapped_column(String(32), default="public")
    tenant_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    # The refresh token as the operator entered it, and the newest one Entra returned for it (Entra
    # rotates it on use; cleared when the operator enters another). Kept apart so that a rotation
    # saved by one process never looks, to the others, like a new token entered in admin.
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    rotated_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # Serves every request that does not name a connection (app.connections.services.default_instance_name);
    # at most one row has it.
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PartnerCenterMarket(db.Model):
    """Which connection serves a storefront market (a country: app.catalog.pricing.MARKETS). A market
    without a row is served by the default connection."""

    __tablename__ = "partner_center_markets"

    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    connection: Mapped[str] = mapped_column(String(64))


class PartnerCenterWebhook(PkModel):
    """The webhook registration of one connection (sandbox mode's too, which has no connection row):
    where Partner Center posts its events for it, and what arrived. `token` is the unguessable last
    segment of the receiver's URL; the events themselves are trusted only by their signature."""

    __tablename__ = "partner_center_webhooks"

    connection: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # unregistered -> registering -> registered | failed
    status: Mapped[str] = mapped_column(String(16), default="unregistered")
    url: Mapped[str | None] = mapped_column(Text)
    events: Mapped[str | None] = mapped_column(Text)  # comma-separated, as registered
    problem: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime | None] = mapped_column()
    last_event_at: Mapped[datetime | None] = mapped_column()
    events_received: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)  # posts that failed verification


class PartnerCenterWebhookEvent(PkModel):
    """A verified event, once: a replayed or repeated post of the same body is recognised by its digest."""

    __tablename__ = "partner_center_webhook_events"
    __table_args__ = (UniqueConstraint("connection", "digest", name="uq_webhook_event_digest"),)

    connection: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    resource_uri: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()
