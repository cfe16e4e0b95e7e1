"""Partner Center webhooks, the storefront's side: one registration per connection, the receiver's
checks, and handing verified events to the areas that act on them.

- Registration (a job: it waits on Microsoft): the events the storefront acts on that Partner Center
  offers (``GET /webhooks/v1/registration/events``), registered (POST, or PUT over an existing
  registration) for ``PUBLIC_URL`` + ``/webhooks/partner-center/<token>``. The token picks the
  connection; it is not what makes an event trusted.
- Receiving (``webhook_routes.py``): Microsoft's documented checks (``app.partner_center.verify_event``)
  with the trust of the connection: its cloud's Partner Center host and Microsoft's certificate host
  and organization live, the sandbox's host and certificate organization in sandbox mode (this is the
  only storefront module that knows the sandbox exists). A verified event is stored once (by the
  digest of its body: a replay or a repeat changes nothing) and a job hands it to the handlers the
  areas registered with ``handles``; every handler re-reads Partner Center, so acting twice is harmless.
- Polling stays the safety net: ``arriving`` tells the authorization watch that events arrive, and
  it then backs off further (app/checkout/gate.py).
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Mapping

import httpx
import redis
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.audit import services as audit
from app.connections.models import PartnerCenterWebhook, PartnerCenterWebhookEvent
from app.connections.services import default_instance_name, get_client, instance_config, sandbox_mode
from app.extensions import db
from app.jobs import enqueue
from app.partner_center import (PartnerCenterError, PartnerCenterUnavailable, Throttled, WebhookEvent, WebhookRefused,
                                certificate_hosts, verify_event)
from app.partner_center.webhooks import (INDIRECT_RELATIONSHIP_ACCEPTED, MICROSOFT_ORGANIZATION, RELATIONSHIP_ACCEPTED,
                                         SUBSCRIPTION_UPDATED, TEST_CREATED)
from app.time import utcnow

log = logging.getLogger(__name__)

RECEIVER_PATH = "/webhooks/partner-center/"
# What the storefront acts on (registered when Partner Center offers it).
WANTED = (RELATIONSHIP_ACCEPTED, INDIRECT_RELATIONSHIP_ACCEPTED, SUBSCRIPTION_UPDATED, TEST_CREATED)
# Events that arrived this recently mean the push works: the watch backs off further.
ARRIVING_WITHIN = timedelta(hours=1)
CERTIFICATE_CACHE_SECONDS = 3600
# Modules whose handlers are registered at import (as app.jobs.periodic imports its tasks' modules).
HANDLER_MODULES = ["app.checkout.jobs", "app.subscriptions.jobs"]

Handler = Callable[[WebhookEvent, str], object]
HANDLERS: dict[str, list[Handler]] = {}

_certificates: dict[str, tuple[bytes, float]] = {}
_certificates_lock = threading.Lock()


def handles(*event_names: str):
    """Decorator: call ``handler(event, connection_name)`` in a job for each verified event of these names."""

    def register(handler: Handler) -> Handler:
        for name in event_names:
            if handler not in HANDLERS.setdefault(name, []):
                HANDLERS[name].append(handler)
        return handler

    return register


# -- registration ---------------------------------------------------------------------------

def row_for(name: str) -> PartnerCenterWebhook:
    """The webhook row of a connection, made (unregistered) on first use."""
    row = db.session.scalar(db.select(PartnerCenterWebhook).where(PartnerCenterWebhook.connection == name))
    if row is None:
        row = PartnerCenterWebhook(connection=name, token=secrets.token_urlsafe(24), status="unregistered",
                                   events_received=0, refused=0)
        db.session.add(row)
        db.session.flush()
    return row


def receiver_url(row: PartnerCenterWebhook) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + RECEIVER_PATH + row.token


def url_problem(url: str) -> str | None:
    """Why Partner Center could not deliver to this URL (live mode), or None."""
    if sandbox_mode():
        return None
    parts = httpx.URL(url)
    if parts.scheme != "https":
        return ("Partner Center delivers webhook events to public https addresses only: set PUBLIC_URL to the "
                f"storefront's public https address (it is {current_app.config['PUBLIC_URL']}).")
    if parts.host in ("localhost", "127.0.0.1", "::1"):
        return "PUBLIC_URL names this machine only; Partner Center needs the storefront's public address."
    return None


def start_registration(name: str) -> PartnerCenterWebhook:
    """Mark a connection's registration as under way (the caller enqueues ``register_webhooks``)."""
    row = row_for(name)
    row.status, row.problem = "registering", None
    db.session.flush()
    return row


def register(name: str) -> PartnerCenterWebhook:
    """Register (or update) the connection's webhook for the events it acts on; the outcome on the row."""
    row = row_for(name)
    url = receiver_url(row)
    problem = url_problem(url)
    if problem:
        row.status, row.problem = "failed", problem
        return row
    client = get_client(name)
    try:
        offered = client.list_webhook_events()
        events = [e for e in WANTED if e in offered]
        if client.get_webhook_registration() is None:
            registered = client.register_webhook(url, events)
        else:
            registered = client.update_webhook_registration(url, events)
    except PartnerCenterError as error:
        row.status, row.problem = "failed", _registration_problem(error)
        log.warning("webhook registration of %s failed: %s", name, error)
        return row
    row.status, row.problem, row.registered_at = "registered", None, utcnow()
    row.url = registered.url or url
    row.events = ",".join(registered.events or events)
    audit.record("partner_center_webhooks_registered", subject=name, details={"url": row.url, "events": row.events})
    return row


def _registration_problem(error: PartnerCenterError) -> str:
    """Why a registration failed, for the Webhooks row: a refusal quotes Partner Center; a failure on Microsoft's
    side (no answer, a 5xx, a 429) says so and what to do, with the ids Microsoft support asks for."""
    if not isinstance(error, (PartnerCenterUnavailable, Throttled)):
        return f"Partner Center refused the registration: {error}"
    if isinstance(error, Throttled):
        what = "HTTP 429, Partner Center asks to wait"
    elif error.status is None:
        what = "no answer in time"
    else:
        what = f"HTTP {error.status}, a problem on Microsoft's side"
    problem = (f"Partner Center did not answer the registration ({what}). Press Register again in a few minutes; "
               "checks by polling go on meanwhile.")
    if error.request_id:
        problem += f" For Microsoft support: MS-RequestId {error.request_id}, MS-CorrelationId {error.correlation_id}."
    return problem


def register_webhooks(name: str) -> dict:
    """The job behind admin > Partner Center > Webhooks > Register."""
    row = register(name)
    db.session.commit()
    return {"status": row.status, "problem": row.problem, "url": row.url}


def arriving(name: str | None = None) -> bool:
    """Do verified events arrive for this connection (the default one without a name) lately?"""
    try:
        name = name or default_instance_name()
    except LookupError:
        return False
    last = db.session.scalar(db.select(PartnerCenterWebhook.last_event_at)
                             .where(PartnerCenterWebhook.connection == name))
    return last is not None and utcnow() - last < ARRIVING_WITHIN


# -- receiving -------------------------------------------------------------------------------

def trust(name: str) -> tuple[frozenset[str], str]:
    """(certificate hosts, certificate organization) an event of this connection must come with."""
    config = instance_config(name)
    if sandbox_mode():
        from app.sandbox.webhooks import ORGANIZATION

        return certificate_hosts(config.cloud_info.api_base, microsoft=False), ORGANIZATION
    return certificate_hosts(config.cloud_info.api_base), MICROSOFT_ORGANIZATION


def _certificate(name: str, url: str, *, fresh: bool = False) -> bytes:
    """The certificate at `url`, kept an hour per connection and URL (Microsoft rotates its signing
    certificate behind the same URL: a signature that fails with a kept one is checked again with a
    fresh download)."""
    now = time.monotonic()
    key = f"{name} {url}"
    with _certificates_lock:
        cached = _certificates.get(key)
        if cached and cached[1] > now and not fresh:
            return cached[0]
    try:
        data = get_client(name).fetch_webhook_certificate(url, timeout=5.0)
    except httpx.HTTPError as exc:
        raise WebhookRefused(f"the certificate could not be downloaded ({type(exc).__name__})") from exc
    with _certificates_lock:
        _certificates[key] = (data, now + CERTIFICATE_CACHE_SECONDS)
    return data


def receive(token: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """Check and store one posted event; (HTTP status, a short answer). Commits."""
    row = db.session.scalar(db.select(PartnerCenterWebhook).where(PartnerCenterWebhook.token == token))
    if row is None:
        return 404, "No webhook is registered at this address."
    hosts, organization = trust(row.connection)

    def verify(fresh: bool):
        return verify_event(body, headers, fetch_certificate=lambda url: _certificate(row.connection, url, fresh=fresh),
                            allowed_hosts=hosts, organization=organization)

    try:
        try:
            event = verify(fresh=False)
        except WebhookRefused as refused:
            if "signature" not in refused.reason and "certificate is not valid" not in refused.reason:
                raise
            event = verify(fresh=True)  # the certificate may have been rotated since it was kept
    except WebhookRefused as refused:
        row.refused = (row.refused or 0) + 1
        db.session.commit()
        log.warning("webhook event for %s refused: %s", row.connection, refused.reason)
        return 401, f"Refused: {refused.reason}."
    stored = PartnerCenterWebhookEvent(connection=row.connection, digest=hashlib.sha256(body).hexdigest(),
                                       name=event.name[:120], resource_uri=event.resource_uri,
                                       changed_at=(event.changed_at or "")[:64] or None, received_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(stored)
            db.session.flush()
    except IntegrityError:
        return 200, "Already received."  # a replay, or Partner Center delivering again: acted on once
    row.last_event_at = utcnow()
    row.events_received = (row.events_received or 0) + 1
    db.session.commit()
    try:
        # At the front: someone may be looking at the page this event enables (RQ's own enqueue option).
        enqueue(handle_event, stored.id, job_id=f"partner-center-webhook-{stored.id}", timeout=120, at_front=True)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        # Stored, and polling catches up; nothing is lost.
        log.warning("webhook event %s stored but not handed on: Redis is unreachable", stored.id, exc_info=True)
    return 200, "Received."


def handle_event(event_id: int) -> dict:
    """The job: hand a stored event to the handlers of its name, once."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    stored = db.session.get(PartnerCenterWebhookEvent, event_id)
    if stored is None or stored.handled_at is not None:
        return {"handled": False}
    event = WebhookEvent(name=stored.name, resource_uri=stored.resource_uri, changed_at=stored.changed_at)
    results = {}
    for handler in HANDLERS.get(stored.name, []):
        results[handler.__name__] = handler(event, stored.connection)
    stored = db.session.get(PartnerCenterWebhookEvent, event_id)
    stored.handled_at = utcnow()
    db.session.commit()
    return {"handled": True, "event": stored.name, "results": results}
