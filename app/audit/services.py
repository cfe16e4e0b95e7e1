"""Recording audit events. Services pass the request facts in; nothing here reads flask.request."""
from __future__ import annotations

from dataclasses import dataclass

from app.audit.models import AuditEvent
from app.extensions import db


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the caller's IP address and browser."""

    ip_address: str | None = None
    user_agent: str | None = None


SYSTEM = Origin(ip_address=None, user_agent="storefront-worker")


def record(action: str, *, actor=None, account=None, subject: str | None = None,
           details: dict | None = None, origin: Origin = SYSTEM) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it durable with its change."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        account_id=getattr(account, "id", None) if account is not None else getattr(actor, "account_id", None),
        subject=subject,
        details=details or {},
        ip_address=origin.ip_address,
        user_agent=(origin.user_agent or "")[:1000] or None,
    )
    db.session.add(event)
    return event
