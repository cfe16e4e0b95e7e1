"""One row per message the storefront sends: what was sent to whom, and whether it was delivered."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import PkModel
from app.time import utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUSES = (QUEUED, SENT, FAILED)


class MailMessage(PkModel):
    """A message rendered when it was queued and delivered by a job (app/mail/delivery.py).

    `queued` until the mail server took it (`sent`) or every attempt failed (`failed`, with
    `last_error`); `next_attempt_at` is when the outbox sweep expects the next attempt.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),)

    to_email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.status} to {self.to_email!r}: {self.subject!r}>"
