from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit.labels import action_label
from app.extensions import PkModel
from app.time import utcnow

if TYPE_CHECKING:  # for the annotations only: audit imports no area at run time
    from app.accounts.models import Account, User


class AuditEvent(PkModel):
    __tablename__ = "audit_events"

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Null actor: the system (a job) or an anonymous visitor (e.g. a failed sign-in).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)

    # By name: audit sits below accounts (accounts record audit events; audit imports no area).
    actor: Mapped["User | None"] = relationship("User")
    account: Mapped["Account | None"] = relationship("Account")

    @property
    def label(self) -> str:
        """The action in words ("Signed in"); `action` is its stable code."""
        return action_label(self.action)
