"""The audit log page's reads: events filtered by actor, account, action and date range, a page at a
time (newest first), one event, and the same filters as CSV rows. Reads only."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditEvent
from app.extensions import db
from app.time import on_days
from app.web.query import ListPage, UrlState, page_of

PER_PAGE = 50
CSV_HEADER = ("Time (UTC)", "Actor", "Account", "Action", "Subject", "IP address", "Browser", "Details")


def _user_model():
    """The actor's model, reached through the event's relationship: admin imports nothing of accounts
    (accounts reads admin's options, and areas must not import each other both ways)."""
    return AuditEvent.actor.property.mapper.class_


def _account_model():
    return AuditEvent.account.property.mapper.class_


@dataclass
class AuditFilters(UrlState):
    actor: str = ""    # part of the actor's email; "system" for events without one
    account: str = ""  # an account id
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


def _filtered(filters: AuditFilters):
    query = select(AuditEvent)
    actor = filters.actor.strip().lower()
    if actor == "system":
        query = query.where(AuditEvent.actor_id.is_(None))
    elif actor:
        user = _user_model()
        query = query.where(AuditEvent.actor_id.in_(
            select(user.id).where(func.lower(user.email).contains(actor, autoescape=True))))
    if filters.account.isdigit():
        query = query.where(AuditEvent.account_id == int(filters.account))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    return query.where(*on_days(AuditEvent.occurred_at, filters.date_from, filters.date_to))


def _newest_first(query):
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).options(
        selectinload(AuditEvent.actor), selectinload(AuditEvent.account))


def search(filters: AuditFilters, per_page: int = PER_PAGE) -> ListPage[AuditEvent]:
    return page_of(_newest_first(_filtered(filters)), filters.page, per_page)


def find(event_id: int) -> AuditEvent | None:
    return db.session.get(AuditEvent, event_id)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def accounts() -> list[tuple[int, str]]:
    account = _account_model()
    return [(a.id, a.name) for a in db.session.scalars(select(account).order_by(account.name))]


def details_text(event: AuditEvent) -> str:
    return json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False)


def csv_rows(filters: AuditFilters) -> Iterator[tuple]:
    """Every event the filters select, newest first, read in batches (an export can be long)."""
    for event in db.session.scalars(_newest_first(_filtered(filters)).execution_options(yield_per=500)):
        yield (event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), event.actor.email if event.actor else "system",
               event.account.name if event.account else "", event.action, event.subject or "",
               event.ip_address or "", event.user_agent or "", details_text(event))
