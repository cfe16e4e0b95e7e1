"""GDAP requests: the least-privilege delegated admin a reseller asks its customer to approve
(Microsoft Graph delegatedAdminRelationships, app/partner_center/gdap.py), with its approval link
and its last known status, per account and customer tenant (its domain), so the checkout, the
order and the subscriptions of that tenant all show the same request.

Roles, duration and auto-extension come from the storefront options (admin > Options, "Delegated
admin (GDAP) for resellers"). Whose relationship it is:

* the RESELLER's, when its partner tenant is connected for GDAP (its administrator consented to the
  storefront's app, app.connections.reseller_tenants): the request is made with an app-only Graph token
  of the reseller's tenant, so the reseller is the partner of the relationship and gets the roles;
* otherwise the distributor's: made by the storefront's Partner Center connection. Microsoft documents no
  Graph call by which an indirect provider creates a relationship owned by its reseller (a
  ``resellerDelegatedAdminRelationship`` is made in Partner Center's own pages,
  https://learn.microsoft.com/en-us/graph/api/resources/resellerdelegatedadminrelationship; a reseller
  answers those in Programs > Delegated admin, app/programs/gdap_routes.py).
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import ForeignKey, String, Text, bindparam
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import PkModel, db
from app.jobs.periodic import periodic
from app.time import utcnow

log = logging.getLogger(__name__)

# What a person reads for each Graph status (the rest read as Graph names them, spaced out).
WORDS = {"created": "not sent yet", "approvalPending": "approval pending", "approved": "approved, activating",
         "activating": "approved, activating", "active": "active", "expiring": "active, expiring soon",
         "expired": "expired", "terminationRequested": "ending", "terminating": "ending",
         "terminated": "ended"}


class GdapRequest(PkModel):
    __tablename__ = "gdap_requests"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253), index=True)
    customer_tenant_id: Mapped[str | None] = mapped_column(String(64))
    relationship_id: Mapped[str] = mapped_column(String(80), unique=True)
    approval_link: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))  # Graph's status when last read
    ends_at: Mapped[datetime | None]
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None]
    # The Partner Center connection whose Graph credentials made it (they alone can read it again).
    connection: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    # Whose relationship it is: the reseller's partner tenant when it was made in the reseller's name
    # (its tenant connected for GDAP, app.connections.reseller_tenants), read again with a token of that
    # tenant; None: the connection's own partner tenant (the distributor's).
    partner_tenant_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def for_reseller(self) -> bool:
        return self.partner_tenant_id is not None

    def partner_name(self) -> str:
        """Who gets the roles: the reseller (a relationship in its own name) or the distributor."""
        from app.accounts.models import Account
        from app.accounts.services import operator_account

        holder = db.session.get(Account, self.account_id) if self.for_reseller else operator_account()
        return holder.name if holder is not None else "the distributor"

    def shown_status(self, now: datetime | None = None) -> str:
        """The status in words; an active relationship past its end reads expired without a write
        (GET never writes)."""
        if self.status == "active" and self.ends_at is not None and self.ends_at <= (now or utcnow()):
            return "expired"
        return WORDS.get(self.status, self.status)


@cache
def _latest_request():
    """Built once (every order page asks it): building a statement cost more than running this one."""
    return (db.select(GdapRequest).where(GdapRequest.account_id == bindparam("account_id"),
                                         GdapRequest.domain == bindparam("domain"))
            .order_by(GdapRequest.id.desc()).limit(1))


def request_for(account_id: int | None, domain: str | None) -> GdapRequest | None:
    """The latest GDAP request of this account for this tenant."""
    if not account_id or not domain:
        return None
    return db.session.scalar(_latest_request(), {"account_id": account_id, "domain": domain.lower()})


def display_name(account_name: str, domain: str) -> str:
    """Unique among the partner's relationships and at most 50 characters (Graph's rules)."""
    return f"{account_name[:18]} {domain.split('.', 1)[0][:22]} {secrets.token_hex(3)}"[:50]


def create(client, *, account_id: int, account_name: str, domain: str, tenant_id: str | None,
           user_id: int | None, partner_tenant_id: str | None = None) -> GdapRequest:
    """Create the relationship with the options' roles, duration and auto-extension, lock it for
    approval, and keep it with its approval link. ``client`` is a PartnerCenterClient (signed in to
    ``partner_tenant_id``, the reseller's tenant, when given); its errors (PartnerCenterError) reach
    the caller."""
    from app.admin.settings import StorefrontSettings

    asked = StorefrontSettings.load().gdap_request()
    relationship = client.create_admin_relationship(display_name=display_name(account_name, domain),
                                                    customer_tenant_id=tenant_id, **asked)
    client.lock_for_approval(relationship.id)
    row = GdapRequest(account_id=account_id, domain=domain.lower(), customer_tenant_id=tenant_id,
                      # a client signed in to a reseller tenant is named "<connection>@<tenant>" (for_tenant)
                      connection=client.instance.name.split("@", 1)[0], partner_tenant_id=partner_tenant_id,
                      relationship_id=relationship.id, approval_link=client.gdap_approval_url(relationship.id),
                      status="approvalPending", requested_by_id=user_id, checked_at=utcnow())
    db.session.add(row)
    return row


def refresh(client, row: GdapRequest) -> GdapRequest:
    """Read the relationship's status from Graph and keep it."""
    relationship = client.get_admin_relationship(row.relationship_id)
    row.status = relationship.status or row.status
    row.ends_at = relationship.ends.astimezone(timezone.utc).replace(tzinfo=None) if relationship.ends else None
    row.customer_tenant_id = relationship.customer_tenant_id or row.customer_tenant_id
    row.checked_at = utcnow()
    return row


def client_for(row: GdapRequest, get_client):
    """The client that may read this request again: the connection's own, or signed in to the reseller's
    tenant for a relationship made in its name."""
    from app.connections.reseller_tenants import reseller_client

    if row.partner_tenant_id:
        return reseller_client(row.connection, row.partner_tenant_id)
    return get_client(row.connection)


def person_client_for(row: GdapRequest, user_id: int):
    """`client_for` for a read a person waits on (a button)."""
    from app.connections.person import person_client
    from app.connections.reseller_tenants import reseller_person_client

    if row.partner_tenant_id:
        return reseller_person_client(user_id, row.connection, row.partner_tenant_id)
    return person_client(user_id, connection=row.connection)


# Statuses that can still change without us: the worker reads them again now and then.
OPEN = ("created", "approvalPending", "approved", "activating", "active", "expiring", "terminationRequested",
        "terminating")
RECHECK_AFTER = timedelta(minutes=15)


@periodic("refresh-gdap", interval_seconds=300, timeout=240)
def refresh_open(limit: int = 200, now: datetime | None = None) -> int:
    """Read again the GDAP requests not read for RECHECK_AFTER whose status can still change (the
    customer approves, the relationship expires), so the order and subscription pages follow without
    anyone pressing a button. Returns how many were read; stops at the first throttling."""
    from app.connections.services import UnknownInstance, get_client
    from app.partner_center import PartnerCenterError, Throttled

    now = now or utcnow()
    rows = db.session.scalars(db.select(GdapRequest).where(
        GdapRequest.status.in_(OPEN),
        (GdapRequest.checked_at.is_(None)) | (GdapRequest.checked_at <= now - RECHECK_AFTER))
        .order_by(GdapRequest.checked_at).limit(limit)).all()
    if not rows:
        return 0
    clients, read = {}, 0  # each request is read with the connection (and tenant) that made it
    for row in rows:
        try:
            key = (row.connection, row.partner_tenant_id)
            client = clients.get(key) or clients.setdefault(key, client_for(row, get_client))
            refresh(client, row)
        except Throttled:
            break
        except (PartnerCenterError, UnknownInstance) as error:  # the latter: its connection was removed
            log.warning("GDAP request %s not read: %s", row.relationship_id, error)
            row.checked_at = utcnow()  # try again later, after the others
        db.session.commit()
        read += 1
    return read
