"""What a migration keeps: which storefront rows came from which legacy ids, the account's migration
state, the imported history (read-only archive), the import runs and their reports, and the
onboarding webinars the operator announces."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, Licensee, User
from app.extensions import PkModel
from app.time import utcnow

# An account's migration: announced (its users see the "migrated soon" banner), then migrated (its
# legacy users are mailed and invited; the history is under Archive).
SCHEDULED, MIGRATED = "scheduled", "migrated"
MIGRATION_STATES = (SCHEDULED, MIGRATED)

# An import run, as its result page shows it.
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
RUN_STATUSES = (QUEUED, RUNNING, FINISHED, FAILED)

# The notices a migrated account's users may hide, each for themselves.
NOTICE_ENROL, NOTICE_WEBINARS = "enrol", "webinars"


class MigratedAccount(PkModel):
    """A storefront account that comes (or is coming) from the legacy portal."""

    __tablename__ = "migration_accounts"
    __table_args__ = (CheckConstraint("state IN ('scheduled', 'migrated')", name="state"),)

    legacy_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    # When the operator expects to migrate it (shown in the banner); optional.
    scheduled_for: Mapped[date | None]
    migrated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
    users: Mapped[list["MigratedUser"]] = relationship(back_populates="migrated_account", order_by="MigratedUser.id")


class MigratedUser(PkModel):
    """A user of the legacy portal: invited to the account when it is migrated."""

    __tablename__ = "migration_users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    legacy_id: Mapped[str] = mapped_column(String(64), unique=True)
    migrated_account_id: Mapped[int] = mapped_column(ForeignKey("migration_accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16), default="member")
    # The invitation the migration sent (None until the account is migrated); its user once accepted.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    # A user of the storefront that already had this address in the same account (nothing to invite).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    migrated_account: Mapped[MigratedAccount] = relationship(back_populates="users")
    user: Mapped[User | None] = relationship()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class MigratedLicensee(PkModel):
    """Which licensee a legacy licensee id became."""

    __tablename__ = "migration_licensees"

    legacy_id: Mapped[str] = mapped_column(String(64), unique=True)
    migrated_account_id: Mapped[int] = mapped_column(ForeignKey("migration_accounts.id"), index=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("licensees.id"), unique=True)

    licensee: Mapped[Licensee] = relationship()


class ArchivedOrder(PkModel):
    """An order of the legacy portal, kept as it was imported: read-only, never re-ordered."""

    __tablename__ = "archive_orders"

    legacy_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    placed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(200))  # the licensee's name, as the portal had it
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    lines: Mapped[list] = mapped_column(JSON, default=list)  # [{"product", "quantity", "unit_price", "term"}]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()


class ArchivedInvoice(PkModel):
    """An invoice of the legacy portal. `document` holds the bytes imported (the portal's PDF, or the
    invoice's own JSON record when it came without one), served back exactly as they came."""

    __tablename__ = "archive_invoices"

    legacy_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date]
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    order_numbers: Mapped[list] = mapped_column(JSON, default=list)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    document_name: Mapped[str] = mapped_column(String(200))
    document_type: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()


class ImportRun(PkModel):
    """One import of a migration file: the file as uploaded, and the report the job wrote."""

    __tablename__ = "migration_runs"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name="status"),)

    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload, cli, demo
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # {"entries": [{"kind", "legacy_id", "name", "outcome", "reason"}], "counts": {...}}; error: why it
    # could not run at all (a file that is not the layout).
    report: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    requested_by: Mapped[User | None] = relationship()

    @property
    def counts(self) -> dict:
        return (self.report or {}).get("counts", {})

    @property
    def entries(self) -> list[dict]:
        return (self.report or {}).get("entries", [])


class OnboardingWebinar(PkModel):
    """An onboarding webinar the operator announces to migrated accounts (admin > Migration)."""

    __tablename__ = "migration_webinars"

    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]  # naive UTC
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HiddenNotice(PkModel):
    """A migrated account's notice a user hid for themselves."""

    __tablename__ = "migration_hidden_notices"
    __table_args__ = (UniqueConstraint("user_id", "notice", name="uq_migration_hidden_notice"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notice: Mapped[str] = mapped_column(String(16))
    hidden_at: Mapped[datetime] = mapped_column(default=utcnow)
