"""The rows behind the links the storefront mails: invitations, password resets, email changes.

Each keeps the hash of its link's secret (app/auth/tokens.py), when it expires, and when it was
used, so a link works once and says why it no longer does.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, User
from app.extensions import PkModel
from app.time import utcnow

PENDING, ACCEPTED, REVOKED, EXPIRED = "pending", "accepted", "revoked", "expired"


class MailedLink:
    """What each of these rows keeps of its link: the hash of the secret, when it was made, when it expires."""

    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Invitation(MailedLink, PkModel):
    """A person asked to join an account; accepting creates their user (app/auth/invitations.py)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Stored lower-cased, as users' emails are.
    email: Mapped[str] = mapped_column(String(254), index=True)
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16), default="member")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_count: Mapped[int] = mapped_column(default=1)
    accepted_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the user accepting created
    revoked_at: Mapped[datetime | None]
    # The invitee asked for a new link from an expired or revoked one (the admins were told).
    renewal_requested_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def status(self, now: datetime | None = None) -> str:
        if self.accepted_at is not None:
            return ACCEPTED
        if self.revoked_at is not None:
            return REVOKED
        if self.expires_at <= (now or utcnow()):
            return EXPIRED
        return PENDING

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.email} to account {self.account_id}>"


class PasswordReset(MailedLink, PkModel):
    """A "forgot password" link: short-lived, single-use, ended by any change of the password."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class EmailChange(MailedLink, PkModel):
    """A new email address a user asked for; it becomes theirs when the link mailed to it is opened."""

    __tablename__ = "email_changes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    confirmed_at: Mapped[datetime | None]
    # A newer request, or the user's cancel, ends an unconfirmed one.
    cancelled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
