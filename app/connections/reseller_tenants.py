"""A reseller's own partner tenant, connected for GDAP: its administrator consented to the storefront's
multi-tenant app (Entra's admin consent endpoint), so the storefront may get app-only Microsoft Graph
tokens for that tenant and make or answer GDAP relationships in the RESELLER's name.

* ``consent_url``: where the reseller's administrator consents (the connection's cloud's authority, or
  the connection's sandbox page in sandbox mode), https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent;
* ``record_consent``: after Entra sent the administrator back with ``admin_consent=True``, kept per
  account with the connection whose app registration was consented to (audited);
* ``reseller_client``: that connection's client, signed in to the reseller's tenant
  (``PartnerCenterClient.for_tenant``), shared by this process so its tokens are cached.

A consent is for the tenant it names: when the account's partner tenant ID changes, ``consent_for``
no longer finds one and the reseller connects again.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import services as audit
from app.extensions import PkModel, db
from app.partner_center.gdap import admin_consent_url
from app.time import utcnow


class ResellerTenantConsent(PkModel):
    __tablename__ = "reseller_tenant_consents"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # The Partner Center connection whose app registration the administrator consented to.
    connection: Mapped[str] = mapped_column(String(64))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    consented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Built once: a reseller's checkout asks it on every visit of the service step.
_CONSENT_OF_ACCOUNT = db.select(ResellerTenantConsent).where(ResellerTenantConsent.account_id == db.bindparam("account_id"))


def _saved_consent(account) -> ResellerTenantConsent | None:
    return db.session.scalar(_CONSENT_OF_ACCOUNT, {"account_id": account.id})


def consent_for(account) -> ResellerTenantConsent | None:
    """The consent of this reseller account's current partner tenant, or None."""
    if account is None or account.kind != "reseller" or not account.partner_tenant_id:
        return None
    row = _saved_consent(account)
    return row if row is not None and row.tenant_id.lower() == account.partner_tenant_id.lower() else None


def consent_url(account, *, redirect_uri: str, state: str) -> str:
    """The admin consent address for the account's partner tenant, at its connection's identity platform."""
    from app.connections.services import (SANDBOX_INSTANCE, connection_for, connection_sandbox_url, instance_config,
                                          sandbox_mode, sandbox_url)

    connection = connection_for(account)
    config = instance_config(connection)
    if sandbox_mode():
        authority = sandbox_url() if config.name == SANDBOX_INSTANCE else connection_sandbox_url(config.name)
    else:
        authority = config.cloud_info.authority_host
    return admin_consent_url(authority, account.partner_tenant_id, client_id=config.client_id,
                             redirect_uri=redirect_uri, state=state)


def record_consent(account, *, actor, origin) -> ResellerTenantConsent:
    """Keep (or renew) the consent of the account's partner tenant, with an audit event; the caller commits."""
    from app.connections.services import connection_for

    connection = connection_for(account)
    row = _saved_consent(account)
    if row is None:
        row = ResellerTenantConsent(account_id=account.id)
    row.tenant_id, row.connection = account.partner_tenant_id.lower(), connection
    row.consented_at, row.consented_by_id = utcnow(), getattr(actor, "id", None)
    db.session.add(row)
    audit.record("gdap_partner_tenant_connected", actor=actor, account=account, subject=row.tenant_id,
                 details={"connection": row.connection}, origin=origin)
    return row


def forget_consent(account, *, actor, origin) -> bool:
    """Stop acting in the account's partner tenant (GDAP at checkout goes to the distributor again), with
    an audit event; False when it was not connected. The consent given in the tenant stays there until
    its administrator removes the application. The caller commits."""
    row = _saved_consent(account)
    if row is None:
        return False
    db.session.delete(row)
    audit.record("gdap_partner_tenant_disconnected", actor=actor, account=account, subject=row.tenant_id,
                 details={"connection": row.connection}, origin=origin)
    return True


def reseller_client(connection: str, tenant_id: str):
    """The client of `connection` signed in to the reseller tenant `tenant_id` (app-only Graph tokens)."""
    from app.connections.services import get_client

    base = get_client(connection)
    clients: dict = current_app.extensions.setdefault("reseller_tenant_clients", {})
    key = (connection, tenant_id.lower())
    cached = clients.get(key)
    if cached is None or cached[0] is not base:  # rebuilt with its connection
        cached = clients[key] = (base, base.for_tenant(tenant_id.lower()))
    return cached[1]


def reseller_person_client(user_id: int, connection: str, tenant_id: str):
    """`reseller_client` for a call a person waits on: one short attempt, within the person's checks
    per minute (app.connections.person)."""
    from app.connections.person import person_client

    person_client(user_id, connection=connection)  # counts the check; raises TooFast beyond the limit
    return reseller_client(connection, tenant_id).for_person(
        timeout=current_app.config["PERSON_PC_TIMEOUT_SECONDS"])
