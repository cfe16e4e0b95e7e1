from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import utcnow
from app.extensions import db

CLOUDS = {
    "public": "Public (worldwide)",
    "us_government": "US Government",
    "china_21vianet": "21Vianet (China)",
    "germany": "Germany (legacy)",
}


class PartnerCenterInstance(db.Model):
    """A Partner Center connection of the operator (live mode). Secrets are stored encrypted."""

    __tablename__ = "partner_center_instances"
    __table_args__ = (
        CheckConstraint("cloud IN ('public', 'us_government', 'china_21vianet', 'germany')", name="cloud"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    cloud: Mapped[str] = mapped_column(String(32), default="public")
    tenant_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
