"""Partner Center webhooks: registering for events, and verifying an event Partner Center posted.

Registration (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks,
"Register to receive events", "View a registration", "Update an event registration", "Send a test
event", and the REST reference https://learn.microsoft.com/en-us/rest/api/partner-center/webhook):
the paths are under ``/webhooks/v1`` on the API host (not under ``/v1``), one registration per
partner tenant: ``{"WebhookUrl": ..., "WebhookEvents": [...]}``.

Receiving (same page, "Receive events from Partner Center" and "Authenticate the callback"):
Partner Center POSTs ``{"EventName", "ResourceUri", "ResourceName", "AuditUri",
"ResourceChangeUtcDate"}`` with the headers ``Authorization: Signature <base64>``,
``x-ms-certificate-url`` and ``x-ms-signature-algorithm: rsa-sha256``. The documented checks, in
order: the three headers are present; download the certificate from the certificate URL; check
the certificate (chain, and its Organization); verify the signature over the body bytes with the
certificate's public key and SHA256. ``verify_event`` does them; which certificate hosts and which
organization are trusted is the caller's (the connection's cloud, or the sandbox).

Events: https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhook-events
(``reseller-relationship-accepted-by-customer`` and ``indirect-reseller-relationship-accepted-by-
customer`` name the customer: ResourceUri ``{baseURL}/v1/customers/{customerId}``;
``subscription-updated`` names a subscription: ``{baseURL}/v1/customers/{customerId}/subscriptions/
{subscriptionId}``; ``test-created`` is what ``send_test_event`` asks for).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from .errors import NotFound
from .transport import Transport
from .types.base import _CI

__all__ = ["Webhooks", "WebhookRegistration", "WebhookEvent", "WebhookRefused", "verify_event", "certificate_hosts",
           "RELATIONSHIP_ACCEPTED", "INDIRECT_RELATIONSHIP_ACCEPTED", "SUBSCRIPTION_UPDATED", "TEST_CREATED",
           "MICROSOFT_CERTIFICATE_HOST", "MICROSOFT_ORGANIZATION"]

RELATIONSHIP_ACCEPTED = "reseller-relationship-accepted-by-customer"
INDIRECT_RELATIONSHIP_ACCEPTED = "indirect-reseller-relationship-accepted-by-customer"
SUBSCRIPTION_UPDATED = "subscription-updated"
TEST_CREATED = "test-created"

# The host of the certificate URL in Microsoft's sample event on the webhooks page
# ("X-MS-Certificate-Url: https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.
# microsoft.com.cer"); the other trusted host is the cloud's own Partner Center API host.
MICROSOFT_CERTIFICATE_HOST = "3psostorageacct.blob.core.windows.net"
# "Verify the Organization of the certificate" (the webhooks page): Microsoft's certificates name it.
MICROSOFT_ORGANIZATION = "Microsoft Corporation"
MAX_BODY = 64 * 1024  # an event is a few hundred bytes; anything much larger is not one

_CUSTOMER = re.compile(r"/customers/([^/?#]+)", re.I)
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?#]+)", re.I)


class WebhookRefused(Exception):
    """An incoming event failed a documented check; ``reason`` says which (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookRegistration:
    """``{SubscriberId, WebhookUrl, WebhookEvents}`` (any casing)."""

    url: str
    events: tuple[str, ...]
    subscriber_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "WebhookRegistration":
        j = _CI(data)
        return cls(url=str(j.get("webhookUrl") or ""), events=tuple(str(e) for e in j.list("webhookEvents")),
                   subscriber_id=j.get("subscriberId"))


@dataclass(frozen=True)
class WebhookEvent:
    """One event as posted. ``customer_id`` and ``subscription_id`` are read from ResourceUri."""

    name: str
    resource_uri: str
    resource_name: str | None = None
    audit_uri: str | None = None
    changed_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "WebhookEvent":
        j = _CI(data)
        return cls(name=str(j.get("eventName") or ""), resource_uri=str(j.get("resourceUri") or ""),
                   resource_name=j.get("resourceName"), audit_uri=j.get("auditUri"),
                   changed_at=j.get("resourceChangeUtcDate"), raw=dict(data))

    @property
    def customer_id(self) -> str | None:
        found = _CUSTOMER.search(urlsplit(self.resource_uri).path)
        return found.group(1).lower() if found else None

    @property
    def subscription_id(self) -> str | None:
        found = _SUBSCRIPTION.search(urlsplit(self.resource_uri).path)
        return found.group(1).lower() if found else None


class Webhooks(Transport):
    """``/webhooks/v1/registration`` and its events, validation events and certificates."""

    def _webhooks(self, path: str = "") -> str:
        return f"{self.api_base}/webhooks/v1/registration{path}"

    def _webhooks_json(self, method: str, path: str = "", **kw: Any) -> Any:
        return self._json(method, path, url=self._webhooks(path), **kw)

    def list_webhook_events(self) -> list[str]:
        """``GET /webhooks/v1/registration/events``: the event names one may register for (a JSON
        array of strings; a collection's ``items`` is read too, defensively)."""
        data = self._webhooks_json("GET", "/events")
        items = data.get("items", []) if isinstance(data, Mapping) else data
        return [str(e) for e in items or [] if isinstance(e, str)]

    def get_webhook_registration(self) -> WebhookRegistration | None:
        """``GET /webhooks/v1/registration``; None when the partner has none (404)."""
        try:
            data = self._webhooks_json("GET")
        except NotFound:
            return None
        return WebhookRegistration.from_json(data) if isinstance(data, Mapping) and data else None

    def register_webhook(self, url: str, events: list[str] | tuple[str, ...]) -> WebhookRegistration:
        """``POST /webhooks/v1/registration {WebhookUrl, WebhookEvents}``: the first registration."""
        body = {"WebhookUrl": url, "WebhookEvents": list(events)}
        return WebhookRegistration.from_json(self._webhooks_json("POST", json=body))

    def update_webhook_registration(self, url: str, events: list[str] | tuple[str, ...]) -> WebhookRegistration:
        """``PUT /webhooks/v1/registration``: replace the URL and the events of the registration."""
        body = {"WebhookUrl": url, "WebhookEvents": list(events)}
        return WebhookRegistration.from_json(self._webhooks_json("PUT", json=body))

    def delete_webhook_registration(self) -> None:
        """``DELETE /webhooks/v1/registration``."""
        self._call("DELETE", self._webhooks())

    def send_test_webhook_event(self) -> str:
        """``POST /webhooks/v1/registration/validationEvents``: ask for a ``test-created`` event
        (Microsoft allows 2 a minute); returns its correlation id."""
        data = self._webhooks_json("POST", "/validationEvents")
        return str(_CI(data).get("correlationId") or "")

    def get_test_webhook_event(self, correlation_id: str) -> dict:
        """``GET /webhooks/v1/registration/validationEvents/{correlationId}``: the delivery status."""
        return dict(self._webhooks_json("GET", f"/validationEvents/{self._q(correlation_id)}"))

    def fetch_webhook_certificate(self, url: str, *, timeout: float = 10.0) -> bytes:
        """The certificate at an event's ``x-ms-certificate-url``, fetched without our token (it is
        public, and our token must never go to a URL a request named). The caller checks the host
        first (``verify_event`` does)."""
        response = self._http.get(url, timeout=timeout)
        if response.status_code != 200:
            raise WebhookRefused(f"the certificate URL answered {response.status_code}")
        return response.content


def certificate_hosts(api_base: str, *, microsoft: bool = True) -> frozenset[str]:
    """The hosts an event's certificate may come from: the cloud's Partner Center API host, and (for
    Microsoft itself, not a sandbox) the storage host of Microsoft's sample event."""
    hosts = {urlsplit(api_base).hostname or ""}
    if microsoft:
        hosts.add(MICROSOFT_CERTIFICATE_HOST)
    return frozenset(h.lower() for h in hosts if h)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value).strip()
    return ""


def _check_certificate_url(url: str, allowed_hosts: frozenset[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise WebhookRefused("the certificate URL is not https")
    if (parts.hostname or "").lower() not in allowed_hosts:
        raise WebhookRefused(f"the certificate URL's host {parts.hostname!r} is not a Partner Center host")
    if parts.username or parts.password or parts.query or parts.fragment or parts.port not in (None, 443):
        raise WebhookRefused("the certificate URL carries a port, credentials, a query or a fragment")


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise WebhookRefused("the certificate URL did not answer a certificate") from exc


def _check_certificate(cert: x509.Certificate, organization: str, now: datetime) -> None:
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise WebhookRefused("the signing certificate is not valid now")
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if organization not in names:
        raise WebhookRefused(f"the signing certificate's organization is not {organization}")


def verify_event(body: bytes, headers: Mapping[str, str], *, fetch_certificate: Callable[[str], bytes],
                 allowed_hosts: frozenset[str], organization: str = MICROSOFT_ORGANIZATION,
                 now: datetime | None = None) -> WebhookEvent:
    """The event in ``body`` if it passes Microsoft's documented checks, else ``WebhookRefused``.

    Certificate chain: the certificate is downloaded over https from one of ``allowed_hosts`` only
    (Microsoft's own hosts, authenticated by TLS), which is what anchors trust here; the
    certificate itself must be valid now and name ``organization``.
    """
    if len(body) > MAX_BODY:
        raise WebhookRefused("the body is too large for an event")
    authorization = _header(headers, "authorization")
    certificate_url = _header(headers, "x-ms-certificate-url")
    algorithm = _header(headers, "x-ms-signature-algorithm")
    if not authorization or not certificate_url or not algorithm:
        raise WebhookRefused("the Authorization, x-ms-certificate-url and x-ms-signature-algorithm headers are "
                             "required")
    scheme, _, signature_text = authorization.partition(" ")
    if scheme.lower() != "signature" or not signature_text.strip():
        raise WebhookRefused("the Authorization header is not a Signature")
    if algorithm.lower() != "rsa-sha256":
        raise WebhookRefused(f"unsupported signature algorithm {algorithm!r}")
    try:
        signature = base64.b64decode(signature_text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookRefused("the signature is not base64") from exc
    _check_certificate_url(certificate_url, allowed_hosts)
    cert = _load_certificate(fetch_certificate(certificate_url))
    _check_certificate(cert, organization, now or datetime.now(timezone.utc))
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookRefused("the signing certificate's key is not RSA")
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise WebhookRefused("the signature does not match the body") from exc
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRefused("the body is not JSON") from exc
    if not isinstance(data, Mapping):
        raise WebhookRefused("the body is not an event")
    event = WebhookEvent.from_json(data)
    if not event.name:
        raise WebhookRefused("the event has no EventName")
    return event
