"""Accounts (operator, resellers, direct customers), their users, licensees and tenants."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import PkModel, db
from app.time import utcnow  # noqa: F401 (re-exported until every area imports app.time)




ACCOUNT_KINDS = ("operator", "reseller", "customer")
ACCOUNT_STATUSES = ("active", "suspended")
# A reseller's partner ID and tenant ID as Partner Center last judged them (app/partners/network.py).
PARTNER_STATUSES = ("unchecked", "ready", "inquiring")
USER_ROLES = ("admin", "member")


class PostalAddress:
    """Columns of a postal address, as Partner Center's customer profile takes it: a direct customer's
    billing address, a licensee's, and the one a checkout's company step collects."""

    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))


class CustomerContact:
    """Columns of a customer company and the person to contact there (Partner Center's ordering
    parameters): a licensee keeps them, and an order copies them when it is placed."""

    company_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    contact_first_name: Mapped[str] = mapped_column(String(50))
    contact_last_name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()


class Account(PostalAddress, PkModel):
    """An organisation that signs in: the operator (distributor), a reseller, or a direct customer.
    Direct customers keep their billing address here (PostalAddress): the checkout's company step
    starts from it."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("kind IN ('operator', 'reseller', 'customer')", name="kind"),
                      CheckConstraint("status IN ('active', 'suspended')", name="status"),
                      CheckConstraint("partner_status IN ('unchecked', 'ready', 'inquiring')", name="partner_status"))

    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="US")
    # Resellers: the Microsoft partner ID (MPN / PLA ID) that goes on every order.
    partner_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Resellers: their own Partner Center tenant id (indirect reseller id).
    partner_tenant_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Suspended: its users cannot sign in or order; nothing of it is deleted.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active", index=True)
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    # Resellers: the storefront markets (app.catalog.pricing.MARKETS) it sells in.
    markets: Mapped[list | None] = mapped_column(JSON)
    # Resellers: READY / INQUIRING as Partner Center last answered, why, and when.
    partner_status: Mapped[str] = mapped_column(String(16), default="unchecked", server_default="unchecked")
    partner_status_reason: Mapped[str | None] = mapped_column(Text)
    # The Partner Center connection that serves this account whatever its market (None: by market;
    # app.connections.services.connection_for).
    partner_center_connection: Mapped[str | None] = mapped_column(String(64))
    partner_checked_at: Mapped[datetime | None]

    users: Mapped[list["User"]] = relationship(back_populates="account", order_by="User.id")
    licensees: Mapped[list["Licensee"]] = relationship(
        back_populates="reseller", order_by="Licensee.company_name"
    )
    tenants: Mapped[list["Tenant"]] = relationship(back_populates="account")

    @property
    def kind_label(self) -> str:
        return {"operator": "Operator", "reseller": "Reseller", "customer": "Direct customer"}[self.kind]

    @property
    def is_suspended(self) -> bool:
        return self.status == "suspended"

    def __repr__(self) -> str:
        return f"<Account {self.kind} {self.name!r}>"


class User(UserMixin, PkModel):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Stored lower-cased so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="member")
    is_active_user: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # Part of the id every session and "remember me" cookie carries (get_id): raising it ends them
    # all (app/auth/sessions.py), as a password change or reset does.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    account: Mapped[Account] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version or 1}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    @property
    def is_account_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_operator(self) -> bool:
        return self.account.kind == "operator"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Licensee(CustomerContact, PostalAddress, PkModel):
    """An end customer a reseller sells to (a resale licensee)."""

    __tablename__ = "licensees"
    __table_args__ = (UniqueConstraint("reseller_id", "company_name", name="uq_licensees_reseller_company"),)

    reseller_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    registration_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Archived: no longer offered at checkout, kept with its orders and subscriptions (never deleted
    # once it has orders).
    archived_at: Mapped[datetime | None]

    reseller: Mapped[Account] = relationship(back_populates="licensees")


class Tenant(PkModel):
    """A customer's Microsoft Entra tenant. It belongs to at most one account."""

    __tablename__ = "tenants"

    # The initial domain, e.g. contoso.onmicrosoft.com; stored lower-cased.
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    default_domain: Mapped[str | None] = mapped_column(String(253))
    tenant_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Which configured Partner Center instance knows this tenant ("default" in sandbox mode).
    partner_center_instance: Mapped[str] = mapped_column(String(64), default="default")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("licensees.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account | None] = relationship(back_populates="tenants")
    licensee: Mapped[Licensee | None] = relationship()


class DomainReservation(PkModel):
    """A new-tenant domain held for one checkout. The unique domain makes two checkouts that race
    for the same prefix end with exactly one holder; orders read it too, so an order's domain can
    never be moved onto a domain another checkout holds."""

    __tablename__ = "domain_reservations"

    domain: Mapped[str] = mapped_column(String(253), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("checkout_drafts.id"), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantLock(db.Model):
    """One row per tenant key (initial domain or tenant id), locked while an order for that tenant
    is checked and recorded (app.orders.tenancy.lock_tenant); and one per invited address
    ("invitation:" and a hash of it), locked while an invitation to it is checked and made
    (app.auth.invitations.invite). Rows are never deleted: they are only something to lock."""

    __tablename__ = "tenant_locks"

    key: Mapped[str] = mapped_column(String(253), primary_key=True)


class Notification(PkModel):
    """An in-app message to one user: an order completed, failed or needs action, a renewal is near,
    work stopped at a deadline (app/accounts/notifications.py sends them)."""

    __tablename__ = "notifications"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # What it is about (app/accounts/notification_settings.py CATEGORIES), which decides who gets it.
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
