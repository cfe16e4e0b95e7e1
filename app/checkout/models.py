"""Checkout drafts, domain reservations, and the authorization watches the worker polls."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Account, DomainReservation, Licensee, PostalAddress, User, utcnow  # noqa: F401 (re-exported)
from app.extensions import PkModel

STEPS = (
    ("customer", "Customer"),
    ("service", "Service details"),
    ("company", "Company details"),
    ("agreement", "Agreement"),
    ("review", "Review"),
)
STEP_KEYS = [key for key, _ in STEPS]


class CheckoutDraft(PostalAddress, PkModel):
    """What a buyer chose so far. A database row, so tabs, reloads, sign-outs, the web processes
    and the worker all see the same state."""

    __tablename__ = "checkout_drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, placed, abandoned
    completed_steps: Mapped[list] = mapped_column(JSON, default=list)

    # Customer step
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"))
    # Resellers: the CSP Partner Program certificate chosen on the customer step.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    # Service details step
    tenant_mode: Mapped[str] = mapped_column(String(16), default="new")  # new, existing
    domain_prefix: Mapped[str | None] = mapped_column(String(64))
    domain_message: Mapped[str | None] = mapped_column(Text)
    # not_started, waiting, verified, refused (authorization_problem says why, in plain words)
    authorization_status: Mapped[str] = mapped_column(String(16), default="not_started")
    authorization_problem: Mapped[str | None] = mapped_column(Text)
    authorization_link: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    default_domain: Mapped[str | None] = mapped_column(String(253))
    authorized_at: Mapped[datetime | None]

    partner_id: Mapped[str | None] = mapped_column(String(20))
    partner_id_status: Mapped[str] = mapped_column(String(16), default="unchecked")  # verified, invalid
    reseller_tenant_id: Mapped[str | None] = mapped_column(String(64))
    reseller_tenant_status: Mapped[str] = mapped_column(String(16), default="unchecked")

    # Company details step
    registration_id: Mapped[str | None] = mapped_column(String(64))
    company_phone: Mapped[str | None] = mapped_column(String(40))
    # ... and the address: PostalAddress's columns.
    address_status: Mapped[str | None] = mapped_column(String(32))  # Partner Center's validation status

    # Review step: the Dynamics 365 instance names typed so far ({cart line id: name}), kept as typed.
    instance_names: Mapped[dict | None] = mapped_column(JSON)

    # Placing
    order_number: Mapped[str | None] = mapped_column(String(32))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    account: Mapped[Account] = relationship()
    licensee: Mapped[Licensee | None] = relationship()
    # The agreement step's acceptance: the latest one recorded for this draft.
    mca_acceptance: Mapped["McaAcceptance | None"] = relationship(
        primaryjoin="CheckoutDraft.id == foreign(McaAcceptance.draft_id)", order_by="McaAcceptance.id.desc()",
        uselist=False, viewonly=True)

    @property
    def customer_name(self) -> str:
        return self.licensee.company_name if self.licensee else self.account.name

    @property
    def customer_country(self) -> str:
        return self.licensee.country if self.licensee else self.account.country

    @property
    def domain(self) -> str | None:
        return f"{self.domain_prefix}.onmicrosoft.com" if self.domain_prefix else None

    @property
    def is_reseller(self) -> bool:
        return self.account.kind == "reseller"

    @property
    def partner_ready(self) -> bool:
        """READY: the partner ID and the reseller's tenant id are both verified."""
        return self.partner_id_status == "verified" and self.reseller_tenant_status == "verified"

    @property
    def authorization_verified(self) -> bool:
        return self.authorization_status == "verified"

    @property
    def authorization_refused(self) -> bool:
        return self.authorization_status == "refused"

    def mark_done(self, step: str) -> None:
        if step not in (self.completed_steps or []):
            self.completed_steps = [*(self.completed_steps or []), step]

    def unmark_from(self, step: str) -> None:
        """A change to a step invalidates it and every later step."""
        later = set(STEP_KEYS[STEP_KEYS.index(step):])
        self.completed_steps = [s for s in (self.completed_steps or []) if s not in later]


class AuthorizationWatch(PkModel):
    """One per existing tenant that checkouts wait on: the worker polls Partner Center once per
    watch, however many drafts wait on that tenant, on a schedule that starts fast and backs off."""

    __tablename__ = "authorization_watches"

    domain: Mapped[str] = mapped_column(String(253), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)  # verified, stopped
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    interval_seconds: Mapped[float] = mapped_column(default=2.0)
    checks: Mapped[int] = mapped_column(default=0)
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    # The Partner Center connection that serves the waiting checkouts (their account's: see
    # app.connections.services.connection_for); the relationship is looked for there.
    connection: Mapped[str] = mapped_column(String(64), default="default", server_default="default")


class McaAcceptance(PkModel):
    """A Microsoft Customer Agreement acceptance (direct customer) or confirmation (reseller, for its
    customer): who, for which customer and tenant, when, from where, and which agreement template."""

    __tablename__ = "mca_acceptances"

    kind: Mapped[str] = mapped_column(String(16))  # accepted (by the customer itself), confirmed (by its reseller)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("checkout_drafts.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"))
    customer_name: Mapped[str] = mapped_column(String(200))
    tenant_domain: Mapped[str | None] = mapped_column(String(253))
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    template_id: Mapped[str] = mapped_column(String(64))
    agreement_link: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    order_number: Mapped[str | None] = mapped_column(String(32))

    account: Mapped[Account] = relationship()
    user: Mapped[User] = relationship()
