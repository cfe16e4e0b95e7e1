"""Partner Center webhooks, as the sandbox sends them.

The registration API (``/webhooks/v1/registration``: events, POST/GET/PUT/DELETE, validation
events) as https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks
describes it, and deliveries signed as that page's "Authenticate the callback" checks them: the
body is signed with the sandbox's own RSA key (SHA256, PKCS#1 v1.5) and posted with
``Authorization: Signature <base64>``, ``X-MS-Certificate-Url`` (the sandbox's certificate, served
at ``CERTIFICATE_PATH`` on its Partner Center API host) and ``X-MS-Signature-Algorithm: rsa-sha256``.

Events are written in the same transaction as the change that raises them (``emit``), into the
``webhook_deliveries`` table, and sent afterwards by a ``Dispatcher``: in a short background thread
(``SANDBOX_WEBHOOK_DISPATCH=thread``, the default), so the request that raised them never waits
for the partner's endpoint; or only when asked (``manual``: ``Dispatcher.flush()`` or ``POST
/_sandbox/webhooks/deliver``), which tests use to deliver at a moment of their choosing. Faults of
kind ``drop`` and ``delay`` (control.py, path prefix ``/webhooks/deliveries/<event>``) lose a
delivery or send it late. Every delivery is recorded with its outcome (the overview page shows them).

Which events the sandbox raises: ``reseller-relationship-accepted-by-customer`` and
``indirect-reseller-relationship-accepted-by-customer`` when its simulated admin accepts a
relationship request (pages.py); ``subscription-updated`` when a subscription changes (a PATCH, a
slow update landing) and when an order completes and its subscriptions appear (resources.py; the
sandbox's choice: Microsoft documents no order event we could confirm); ``test-created`` on request.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Blueprint, current_app, g, request

from .store import SandboxStore, Tx, iso
from .web import INVALID_INPUT, PCError, body_json, json_response, setting, store

bp = Blueprint("sandbox_webhooks", __name__)
log = logging.getLogger(__name__)

RELATIONSHIP_ACCEPTED = "reseller-relationship-accepted-by-customer"
INDIRECT_RELATIONSHIP_ACCEPTED = "indirect-reseller-relationship-accepted-by-customer"
SUBSCRIPTION_UPDATED = "subscription-updated"
TEST_CREATED = "test-created"
EVENTS = (TEST_CREATED, RELATIONSHIP_ACCEPTED, INDIRECT_RELATIONSHIP_ACCEPTED, SUBSCRIPTION_UPDATED)

API_HOST = "https://api.partnercenter.microsoft.com"  # where the sandbox stands in for Partner Center
CERTIFICATE_PATH = "/webhooks/v1/certificates/pcnotifications-dispatch.sandbox.cer"
ORGANIZATION = "Partner Center sandbox"  # the certificate's O=; the storefront trusts it in sandbox mode
FAULT_PREFIX = "/webhooks/deliveries/"
MAX_ATTEMPTS = 3  # Microsoft retries more (and then parks the event offline); three show the idea
STALE_CLAIM = 60.0  # seconds after which a delivery claimed by a process that went away is taken again
NOT_FOUND = 1000  # "Not found" (https://learn.microsoft.com/partner-center/developer/error-codes)


# -- the signing key and its certificate (one per sandbox store, shared by every process) -------

_keys: dict[str, tuple[rsa.RSAPrivateKey, bytes]] = {}
_keys_lock = threading.Lock()


def _new_key() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pcnotifications-dispatch.sandbox"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    return pem, cert.public_bytes(serialization.Encoding.DER)


def signing_key(st: SandboxStore) -> tuple[rsa.RSAPrivateKey, bytes]:
    """(private key, certificate DER), made once per store and kept across resets."""
    with _keys_lock:
        cached = _keys.get(st.path)
        if cached:
            return cached
        with st.tx() as tx:
            row = tx.conn.execute("SELECT key_pem, cert_der FROM webhook_keys WHERE id = 1").fetchone()
            if row is None:
                pem, der = _new_key()
                tx.conn.execute("INSERT INTO webhook_keys (id, key_pem, cert_der) VALUES (1, ?, ?)", (pem, der))
                row = (pem, der)
        key = serialization.load_pem_private_key(row[0].encode("ascii"), password=None)
        _keys[st.path] = (key, bytes(row[1]))
        return _keys[st.path]


def certificate_url() -> str:
    return API_HOST + CERTIFICATE_PATH


# -- registrations ----------------------------------------------------------------------------

def registration(conn, partner: str) -> dict | None:
    row = conn.execute("SELECT data FROM webhook_registrations WHERE partner = ?", (partner,)).fetchone()
    return json.loads(row[0]) if row else None


def _registration_json(reg: dict) -> dict:
    return {"SubscriberId": reg["subscriberId"], "WebhookUrl": reg["webhookUrl"], "WebhookEvents": reg["webhookEvents"]}


def _validated(body: dict) -> tuple[str, list[str]]:
    url = str(body.get("webhookUrl") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise PCError(400, INVALID_INPUT, "WebhookUrl must be an absolute http(s) URL.")
    events = body.get("webhookEvents")
    if not isinstance(events, list) or not events:
        raise PCError(400, INVALID_INPUT, "WebhookEvents must list at least one event.")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise PCError(400, INVALID_INPUT, f"Unknown webhook events: {', '.join(map(str, unknown))}. "
                                          "GET /webhooks/v1/registration/events lists them.")
    return url, list(dict.fromkeys(events))


@bp.get("/webhooks/v1/registration/events")
def list_events():
    return json_response(list(EVENTS))


@bp.get("/webhooks/v1/registration")
def get_registration():
    with store().tx(write=False) as tx:
        reg = registration(tx.conn, setting("SANDBOX_TENANT_ID"))
    if reg is None:
        raise PCError(404, NOT_FOUND, "No webhook registration exists for this partner.")
    return json_response(_registration_json(reg))


def _save(method: str):
    url, events = _validated(body_json())
    partner = setting("SANDBOX_TENANT_ID")
    with store().tx() as tx:
        existing = registration(tx.conn, partner)
        if method == "POST" and existing is not None:
            # UNCONFIRMED status: the REST reference says only that a second POST is refused ("the
            # registration already exists, use PUT").
            raise PCError(409, INVALID_INPUT, "A webhook registration already exists for this partner; use PUT.")
        if method == "PUT" and existing is None:
            raise PCError(404, NOT_FOUND, "No webhook registration exists for this partner; use POST.")
        reg = {"subscriberId": partner, "webhookUrl": url, "webhookEvents": events}
        tx.conn.execute("INSERT INTO webhook_registrations (partner, data) VALUES (?, ?) ON CONFLICT (partner) "
                        "DO UPDATE SET data = excluded.data", (partner, json.dumps(reg)))
    return json_response(_registration_json(reg))


@bp.post("/webhooks/v1/registration")
def create_registration():
    return _save("POST")


@bp.put("/webhooks/v1/registration")
def update_registration():
    return _save("PUT")


@bp.delete("/webhooks/v1/registration")
def delete_registration():
    with store().tx() as tx:
        gone = tx.conn.execute("DELETE FROM webhook_registrations WHERE partner = ?",
                               (setting("SANDBOX_TENANT_ID"),)).rowcount
    if not gone:
        raise PCError(404, NOT_FOUND, "No webhook registration exists for this partner.")
    return current_app.response_class(status=204)


@bp.post("/webhooks/v1/registration/validationEvents")
def create_validation_event():
    correlation_id = str(uuid.uuid4())
    with store().tx() as tx:
        if registration(tx.conn, setting("SANDBOX_TENANT_ID")) is None:
            raise PCError(404, NOT_FOUND, "No webhook registration exists for this partner.")
        emit(tx, TEST_CREATED, f"/webhooks/v1/registration/validationEvents/{correlation_id}", "test",
             base=API_HOST, force=True)
    return json_response({"correlationId": correlation_id})


@bp.get("/webhooks/v1/registration/validationEvents/<correlation_id>")
def get_validation_event(correlation_id):
    needle = f"/validationEvents/{correlation_id}"
    with store().tx(write=False) as tx:
        rows = tx.conn.execute("SELECT status, answer FROM webhook_deliveries WHERE event_name = ? AND body LIKE ? "
                               "ORDER BY id DESC LIMIT 1", (TEST_CREATED, f"%{needle}%")).fetchall()
    if not rows:
        raise PCError(404, NOT_FOUND, f"No test event with correlation id {correlation_id}.")
    # UNCONFIRMED shape: the status of the test event's delivery and what the endpoint answered.
    return json_response({"correlationId": correlation_id, "partnerId": setting("SANDBOX_TENANT_ID"),
                          "status": rows[0][0], "statusMessage": rows[0][1] or ""})


@bp.get(CERTIFICATE_PATH)
def certificate():
    _key, der = signing_key(store())
    return current_app.response_class(der, mimetype="application/pkix-cert")


# -- raising events -------------------------------------------------------------------------------

def emit(tx: Tx, event_name: str, resource_path: str, resource_name: str, *, base: str | None = None,
         force: bool = False) -> int | None:
    """Record an event for the partner's registered URL, in the caller's transaction; it is sent
    after the transaction commits. Nothing when no registration asks for this event."""
    partner = current_app.config["SANDBOX_TENANT_ID"]
    reg = registration(tx.conn, partner)
    if reg is None or (event_name not in reg["webhookEvents"] and not force):
        return None
    now = tx.now()
    event = {"EventName": event_name, "ResourceUri": (base or API_HOST + "/v1") + resource_path,
             "ResourceName": resource_name, "AuditUri": None,
             "ResourceChangeUtcDate": now.astimezone(timezone.utc).isoformat(timespec="microseconds")}
    cur = tx.conn.execute("INSERT INTO webhook_deliveries (created, event_name, body, url, status, due) "
                          "VALUES (?, ?, ?, ?, 'pending', ?)",
                          (iso(now), event_name, json.dumps(event), reg["webhookUrl"], time.time()))
    try:
        g.sandbox_webhooks_raised = True  # the request's end kicks the dispatcher
    except RuntimeError:
        pass  # raised outside a request: sent at the next kick or flush
    return int(cur.lastrowid)


# -- sending them -------------------------------------------------------------------------------

class Dispatcher:
    """Sends recorded deliveries: in a background thread (``thread``) or when flushed (``manual``)."""

    def __init__(self, st: SandboxStore, *, mode: str = "thread", transport: httpx.BaseTransport | None = None):
        self.store = st
        self.mode = mode
        self._http = httpx.Client(transport=transport, timeout=10.0, follow_redirects=False)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # Held while this process uses the store or sends a delivery, and by a fork (_FORKING): the
        # RQ worker forks a work horse per job while its own delivery thread may be at work, and a
        # child forked inside a store transaction (or inside SQLite itself) inherits its connection,
        # locks and mutexes with no thread to release them: its first use of the store waits for ever.
        self._busy = threading.RLock()
        _FORKING.add(self)

    def kick(self) -> None:
        if self.mode != "thread":
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.deliver_due()
            except Exception:  # the store busy or gone: the next kick tries again
                log.exception("sandbox webhook deliveries failed")
            with self._busy, self._lock:  # in this order: kick takes _lock inside a delivery
                wait = self._next_due()
                if wait is None:
                    self._thread = None
                    return
            time.sleep(min(max(wait, 0.02), 1.0))

    def _next_due(self) -> float | None:
        with self.store.tx(write=False) as tx:
            row = tx.conn.execute("SELECT MIN(due) FROM webhook_deliveries WHERE status = 'pending'").fetchone()
        return None if row[0] is None else row[0] - time.time()

    def flush(self) -> int:
        """Send every delivery that is due now, in this thread; how many were attempted."""
        return self.deliver_due()

    def deliver_due(self) -> int:
        count = 0
        while True:
            with self._busy:  # one delivery at a time: a fork waits at most for it
                row = self._claim()
                if row is None:
                    return count
                self._deliver(*row)
            count += 1

    def _claim(self) -> tuple | None:
        now = time.time()
        with self.store.tx() as tx:
            row = tx.conn.execute(
                "SELECT id, event_name, body, url, attempts, fault FROM webhook_deliveries "
                "WHERE (status = 'pending' AND due <= ?) OR (status = 'sending' AND claimed < ?) "
                "ORDER BY id LIMIT 1", (now, now - STALE_CLAIM)).fetchone()
            if row is None:
                return None
            tx.conn.execute("UPDATE webhook_deliveries SET status = 'sending', claimed = ?, attempts = attempts + 1 "
                            "WHERE id = ?", (now, row[0]))
        return (*row[:4], row[4] + 1, row[5])  # attempts: this one included

    def _finish(self, delivery_id: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.store.tx() as tx:
            tx.conn.execute(f"UPDATE webhook_deliveries SET {sets} WHERE id = ?", (*values.values(), delivery_id))

    def _deliver(self, delivery_id: int, event_name: str, body: str, url: str, attempts: int, fault: str | None):
        if fault is None:
            taken = self.store.take_fault("POST", FAULT_PREFIX + event_name, kinds=("drop", "delay"))
            if taken and taken["kind"] == "drop":
                self._finish(delivery_id, status="dropped", fault="drop", answer="dropped by a fault")
                return
            if taken and taken["kind"] == "delay":
                self._finish(delivery_id, status="pending", fault="delay", attempts=attempts - 1,
                             due=time.time() + float(taken["delay"] or 0),
                             answer=f"held back {float(taken['delay'] or 0):g} s by a fault")
                return
        content = body.encode("utf-8")
        key, _der = signing_key(self.store)
        signature = base64.b64encode(key.sign(content, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")
        headers = {"Content-Type": "application/json", "Authorization": f"Signature {signature}",
                   "X-MS-Certificate-Url": certificate_url(), "X-MS-Signature-Algorithm": "rsa-sha256"}
        try:
            response = self._http.post(url, content=content, headers=headers)
            status, answer = response.status_code, f"{response.status_code}"
        except httpx.HTTPError as exc:
            status, answer = None, f"{type(exc).__name__}: {exc}"
        if status is not None and 200 <= status < 300:
            self._finish(delivery_id, status="delivered", answer=answer,
                         delivered=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        elif attempts >= MAX_ATTEMPTS:
            self._finish(delivery_id, status="failed", answer=answer)
        else:
            self._finish(delivery_id, status="pending", answer=answer, due=time.time() + 2.0 * attempts)


class _Forking:
    """Every dispatcher of the process, held still across a fork (os.register_at_fork): before it,
    each waits for its delivery under way, if any; the parent then goes on, and the child gets
    dispatchers of its own state (no thread: a thread does not survive a fork; fresh locks)."""

    def __init__(self):
        self._dispatchers: weakref.WeakSet[Dispatcher] = weakref.WeakSet()
        self._held: list[Dispatcher] = []
        os.register_at_fork(before=self._before, after_in_parent=self._release, after_in_child=self._reset)

    def add(self, dispatcher: Dispatcher) -> None:
        self._dispatchers.add(dispatcher)

    def _before(self) -> None:
        self._held = list(self._dispatchers)
        for dispatcher in self._held:
            dispatcher._busy.acquire()

    def _release(self) -> None:
        held, self._held = self._held, []
        for dispatcher in reversed(held):
            dispatcher._busy.release()

    def _reset(self) -> None:
        held, self._held = self._held, []
        for dispatcher in held:
            dispatcher._busy = threading.RLock()
            dispatcher._lock = threading.Lock()
            dispatcher._thread = None


_FORKING = _Forking()


def deliveries(st: SandboxStore, limit: int = 50) -> list[dict]:
    with st.tx(write=False) as tx:
        rows = tx.conn.execute("SELECT id, created, event_name, body, url, status, attempts, answer, delivered "
                               "FROM webhook_deliveries ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    keys = ("id", "created", "eventName", "body", "url", "status", "attempts", "answer", "delivered")
    out = [dict(zip(keys, r)) for r in rows]
    for item in out:
        item["resourceUri"] = json.loads(item.pop("body")).get("ResourceUri")
    return out


def dispatcher() -> Dispatcher:
    return current_app.extensions["sandbox_webhooks"]


@bp.get("/_sandbox/webhooks")
def control_state():
    with store().tx(write=False) as tx:
        reg = registration(tx.conn, setting("SANDBOX_TENANT_ID"))
    return json_response({"registration": reg and _registration_json(reg), "deliveries": deliveries(store())})


@bp.post("/_sandbox/webhooks/deliver")
def control_deliver():
    """Send what is due now (the ``manual`` mode's trigger)."""
    return json_response({"attempted": dispatcher().flush(), "deliveries": deliveries(store())})


_SWEEP_SECONDS = 5.0
_last_sweep = [0.0]


def kick_after_request(response):
    """Send what this request raised; and every few seconds, whatever another process left due (a
    delivery raised in an RQ work horse that exited before its thread had sent it)."""
    now = time.monotonic()
    if g.get("sandbox_webhooks_raised") or now - _last_sweep[0] > _SWEEP_SECONDS:
        _last_sweep[0] = now
        dispatcher().kick()
    return response


def request_is_webhook_api() -> bool:
    return request.path.startswith("/webhooks/v1/registration")
