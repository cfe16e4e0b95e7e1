"""What the operator's tools record: reconciliation runs and their findings.

A run is one comparison of the storefront's subscriptions with Partner Center over a scope (all, one
account, one licensee, one subscription). The worker writes its progress to the row as it goes, so
the run's page can show it while it runs; its findings stay after it ends, each with the correction
applied to it (by whom, when, and the order that pushed a value).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.accounts.models import Account, Licensee, User
from app.enums import LabelledEnum
from app.extensions import PkModel
from app.subscriptions.models import Subscription
from app.time import utcnow


class RunStatus(LabelledEnum):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


OPEN_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class RunTrigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"


class Scope(StrEnum):
    ALL = "all"
    ACCOUNT = "account"
    LICENSEE = "licensee"
    SUBSCRIPTION = "subscription"


class FindingKind(LabelledEnum):
    """What differs, in the order the result page groups them."""

    MISSING_IN_PARTNER_CENTER = "missing_in_partner_center", "Missing in Partner Center"
    UNKNOWN_TO_STOREFRONT = "unknown_to_storefront", "Unknown to the storefront"
    STATUS = "status", "Status differs"
    QUANTITY = "quantity", "Seats differ"
    AUTO_RENEW = "auto_renew", "Auto-renewal differs"
    TERM = "term", "Term differs"
    BILLING = "billing", "Billing plan differs"
    RENEWAL_DATE = "renewal_date", "Renewal date differs"
    SCHEDULED_CHANGE = "scheduled_change", "Scheduled change differs"
    FRIENDLY_NAME = "friendly_name", "Name differs"


class Correction(LabelledEnum):
    """The corrective actions; which ones a finding offers is app.tools.reconciliation.corrections_for."""

    TAKE_PARTNER_CENTER = "take_partner_center", "Take Partner Center's value"
    PUSH_STOREFRONT = "push_storefront", "Push the storefront's value (an order)"
    IMPORT = "import", "Import into an account"
    MARK_CANCELLED = "mark_cancelled", "Mark cancelled in the storefront"


class RunMixin:
    """What every tool run records: its status, who asked for it and when, when the worker started
    and ended it, its closing message and the customers it could not read (in words; the run goes on
    without them)."""

    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    message: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list | None] = mapped_column(JSON)

    @declared_attr
    def requested_by(cls) -> Mapped[User | None]:
        return relationship()

    @property
    def done(self) -> bool:
        return self.status not in OPEN_RUN_STATUSES

    @property
    def status_label(self) -> str:
        return RunStatus(self.status).label


class ReconciliationRun(RunMixin, PkModel):
    __tablename__ = "reconciliation_runs"

    trigger: Mapped[str] = mapped_column(String(16), default=RunTrigger.MANUAL)
    scope: Mapped[str] = mapped_column(String(16), default=Scope.ALL)
    scope_id: Mapped[int | None]
    scope_label: Mapped[str] = mapped_column(String(300), default="All subscriptions")
    # Progress: customers (tenants) to read and read so far; subscriptions compared.
    customers_total: Mapped[int] = mapped_column(default=0)
    customers_done: Mapped[int] = mapped_column(default=0)
    subscriptions_checked: Mapped[int] = mapped_column(default=0)
    findings_count: Mapped[int] = mapped_column(default=0)

    findings: Mapped[list["ReconciliationFinding"]] = relationship(back_populates="run",
                                                                   order_by="ReconciliationFinding.id")

    @property
    def percent(self) -> int:
        if self.done:
            return 100
        return int(100 * self.customers_done / self.customers_total) if self.customers_total else 0


class ReconciliationFinding(PkModel):
    """One difference between the storefront and Partner Center. `remote` keeps Partner Center's
    subscription as read (and, for one the storefront does not know, its customer's facts), so a
    correction applies what the run saw without calling Partner Center from a page."""

    __tablename__ = "reconciliation_findings"

    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    partner_center_instance: Mapped[str] = mapped_column(String(64), default="default")
    tenant_id: Mapped[str] = mapped_column(String(64))
    ms_subscription_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    tenant_domain: Mapped[str | None] = mapped_column(String(253))
    product: Mapped[str | None] = mapped_column(String(300))
    storefront_value: Mapped[str | None] = mapped_column(String(300))
    partner_center_value: Mapped[str | None] = mapped_column(String(300))
    remote: Mapped[dict | None] = mapped_column(JSON)
    resolution: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_number: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    run: Mapped[ReconciliationRun] = relationship(back_populates="findings")
    account: Mapped[Account | None] = relationship()
    subscription: Mapped[Subscription | None] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def kind_label(self) -> str:
        return FindingKind(self.kind).label

    @property
    def resolution_label(self) -> str | None:
        return Correction(self.resolution).label if self.resolution else None


class CustomerImportRun(RunMixin, PkModel):
    """One reading of the operator's Partner Center customers (every page of every connection),
    keeping those the storefront does not know as candidates to import."""

    __tablename__ = "customer_import_runs"

    pages_read: Mapped[int] = mapped_column(default=0)
    customers_read: Mapped[int] = mapped_column(default=0)
    candidates_count: Mapped[int] = mapped_column(default=0)

    candidates: Mapped[list["ImportCandidate"]] = relationship(back_populates="run", order_by="ImportCandidate.id")


class ImportCandidate(PkModel):
    """A Partner Center customer the storefront did not know when the run read it: its domain, its
    indirect reseller (matched to a reseller account by tenant id or partner ID) and its subscriptions
    as read; once imported, into which account (and licensee), by whom and when."""

    __tablename__ = "customer_import_candidates"

    run_id: Mapped[int] = mapped_column(ForeignKey("customer_import_runs.id"), index=True)
    partner_center_instance: Mapped[str] = mapped_column(String(64), default="default")
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    domain: Mapped[str | None] = mapped_column(String(253))
    company_name: Mapped[str | None] = mapped_column(String(200))
    facts: Mapped[dict | None] = mapped_column(JSON)  # billing profile: country, contact, address
    reseller_tenant_id: Mapped[str | None] = mapped_column(String(64))
    reseller_partner_id: Mapped[str | None] = mapped_column(String(20))
    reseller_name: Mapped[str | None] = mapped_column(String(200))
    reseller_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    subscriptions: Mapped[list | None] = mapped_column(JSON)  # Partner Center's, as read
    imported_at: Mapped[datetime | None]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"))
    note: Mapped[str | None] = mapped_column(Text)

    run: Mapped[CustomerImportRun] = relationship(back_populates="candidates")
    reseller_account: Mapped[Account | None] = relationship(foreign_keys=[reseller_account_id])
    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])
    licensee: Mapped[Licensee | None] = relationship()
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])

    @property
    def indirect(self) -> bool:
        return bool(self.reseller_tenant_id or self.reseller_partner_id)
