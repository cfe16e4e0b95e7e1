"""The program's settings, certificates and "Become a partner" requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, User
from app.enums import LabelledEnum
from app.extensions import PkModel
from app.time import utcnow

CSP_PROGRAM = "csp"


class CertificateStatus(LabelledEnum):
    """pending (something to fix, or the operator's approval), active, expired (its end date passed
    or the operator expired it), refused (by the operator, with the reason)."""

    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    REFUSED = "refused"


class Program(PkModel):
    """The operator's settings of a program (one row per program key; defaults in code until saved)."""

    __tablename__ = "programs"

    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    validity_days: Mapped[int] = mapped_column(default=365)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Certificate(PkModel):
    """Proof that a reseller enrolled in the program: its ordering parameter (the MPN ID), its
    fulfillment parameter (the Indirect Reseller ID, the reseller's Partner Center tenant id) and
    what Partner Center said when it was checked."""

    __tablename__ = "certificates"

    number: Mapped[str] = mapped_column(String(20), unique=True)  # CRT-XXXX-XXXX
    program_key: Mapped[str] = mapped_column(String(32), default=CSP_PROGRAM)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CertificateStatus.PENDING, index=True)
    # checking: the enrolment job has the certificate; checked: Partner Center answered.
    check_status: Mapped[str] = mapped_column(String(16), default="checking")

    # Ordering parameters (the reseller gives them; editable while pending).
    partner_id: Mapped[str] = mapped_column(String(20))
    contact_email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    # Fulfillment parameter: what Partner Center's reseller network lists for the MPN ID.
    indirect_reseller_id: Mapped[str | None] = mapped_column(String(64))

    # A pending certificate: which requirement was not met, in plain words, and the steps to take.
    problem_code: Mapped[str | None] = mapped_column(String(32))
    problem: Mapped[str | None] = mapped_column(Text)
    steps_to_take: Mapped[list | None] = mapped_column(JSON)
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    checked_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # expired or refused

    account: Mapped[Account] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def current_status(self) -> str:
        """The status as of now: an active certificate past its end date is expired."""
        if self.status == CertificateStatus.ACTIVE and self.expires_at is not None and self.expires_at <= utcnow():
            return CertificateStatus.EXPIRED
        return self.status

    @property
    def status_label(self) -> str:
        return CertificateStatus(self.current_status).label

    @property
    def usable(self) -> bool:
        return self.current_status == CertificateStatus.ACTIVE

    @property
    def checking(self) -> bool:
        return self.check_status == "checking"

    @property
    def end_date(self) -> datetime | None:
        """When it ended or ends: the operator's expiry or refusal, else its validity's end."""
        return self.ended_at or self.expires_at

    @property
    def title(self) -> str:
        return f"{self.number} · MPN ID {self.partner_id}"


class PartnerRequest(PkModel):
    """"Become a partner": a company that is not a reseller of the storefront yet asks to become one."""

    __tablename__ = "partner_requests"

    company: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    partner_id: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new, converted, dismissed
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    account: Mapped[Account | None] = relationship()
