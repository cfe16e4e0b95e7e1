"""Partner Center errors, parsed defensively from every body shape the service sends.

Shapes (see /work/shared/partner-center.md, "errors" and "throttling"):

* classic: ``{"code": 3000, "description": "...", "data": [...], "source": "..."}``
* newer services: ``{"errorName": "...", "message": "...", "isRetryable": bool,
  "parameters": {...}, "errorMessageExtended": "..."}`` (often together with ``code``)
* throttling: ``{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}``
* anything else: an HTML or plain-text body, or nothing at all.

The storefront acts on a handful of codes; each has a named subclass. ``ERROR_CODES`` maps a
code to its class and ``register_error_code`` extends it. Codes are kept as strings exactly as
received (``"2203"``), because the service sends both ints and strings.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

__all__ = [
    "PartnerCenterError",
    "PartnerCenterAuthError",
    "PartnerCenterUnavailable",
    "Throttled",
    "NotFound",
    "NoRelationship",
    "EtagMismatch",
    "DomainTaken",
    "PartnerIdUnknown",
    "PartnerAgreementNotSigned",
    "RegistrationIdMissing",
    "RegistrationIdInvalid",
    "RegistrationIdNotAllowed",
    "PhoneMissing",
    "McaMissing",
    "CustomerUnderReview",
    "QuantityCannotBeDecreased",
    "SubscriptionNotReady",
    "AgreementAlreadyExists",
    "CartAlreadySubmitted",
    "CartBeingProcessed",
    "ERROR_CODES",
    "ERROR_NAMES",
    "register_error_code",
    "parse_error_body",
    "parse_retry_after",
    "error_from_response",
]


class PartnerCenterError(Exception):
    """Any failed Partner Center call.

    ``status`` is the HTTP status (None when no answer came back), ``code`` the service's error
    code as a string (None when the body carried none), ``description`` the human text,
    ``data`` the ``data`` list or ``parameters`` mapping, ``retryable`` whether trying again
    later may help, and the two ids to quote to Microsoft support.
    """

    def __init__(
        self,
        status: int | None = None,
        code: str | int | None = None,
        description: str = "",
        data: Any = None,
        retryable: bool = False,
        request_id: str | None = None,
        correlation_id: str | None = None,
        *,
        error_name: str | None = None,
        source: str | None = None,
        method: str | None = None,
        path: str | None = None,
        body: str | None = None,
    ) -> None:
        self.status = status
        self.code = None if code is None or code == "" else str(code)
        self.description = description or ""
        self.data = data
        self.retryable = retryable
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.error_name = error_name
        self.source = source
        self.method = method
        self.path = path
        self.body = body
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.method and self.path:
            parts.append(f"{self.method} {self.path}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.error_name:
            parts.append(self.error_name)
        head = " ".join(parts) or "Partner Center error"
        text = f"{head}: {self.description}" if self.description else head
        if self.request_id:
            text += f" (MS-RequestId {self.request_id}, MS-CorrelationId {self.correlation_id})"
        return text

    @property
    def code_int(self) -> int | None:
        """The code as an int when it is numeric, for range checks."""
        try:
            return int(self.code) if self.code is not None else None
        except ValueError:
            return None


class PartnerCenterAuthError(PartnerCenterError):
    """No token: wrong secret, unknown tenant/app, revoked refresh token, unreachable authority."""

    def __init__(
        self,
        instance: str,
        error: str | None,
        error_description: str | None,
        *,
        unreachable: bool = False,
        status: int | None = None,
    ) -> None:
        self.instance = instance
        self.error = error
        self.error_description = error_description
        self.unreachable = unreachable
        super().__init__(
            status=status,
            code=error,
            description=(
                f"Partner Center instance {instance!r}: could not get a token: "
                f"{error or 'error'}: {error_description or ''}".rstrip(": ")
            ),
            retryable=unreachable,
        )

    def _message(self) -> str:  # the instance-naming description is the whole story
        return self.description


class PartnerCenterUnavailable(PartnerCenterError):
    """5xx answers or timeouts/connection failures after the retry budget was spent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(*args, **kwargs)


class Throttled(PartnerCenterError):
    """HTTP 429. ``retry_after`` is in seconds (None if the service said nothing)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        kwargs.setdefault("retryable", True)
        super().__init__(*args, **kwargs)


class NotFound(PartnerCenterError):
    """HTTP 404 (the resource does not exist, or the partner has no relationship to it)."""


class NoRelationship(NotFound):
    """The customer tenant is not visible to this partner (no reseller relationship yet):
    404 code 60003 or 403 code 20002 (which one Partner Center sends is UNCONFIRMED, both map
    here; the status is kept)."""


class EtagMismatch(PartnerCenterError):
    """The resource changed since it was read: 400 code 2055 "Etag is no longer valid"
    (https://learn.microsoft.com/partner-center/developer/error-codes). GET it again.

    A bare HTTP 412 (Precondition failed, on the same page's status list) maps here too, so
    an answer without the code is read the same way."""


class DomainTaken(PartnerCenterError):
    """The initial domain (``xxx.onmicrosoft.com``) already belongs to a tenant."""


class PartnerIdUnknown(NotFound):
    """Code 3000: no partner organization with that partner (MPN) ID."""


class PartnerAgreementNotSigned(PartnerCenterError):
    """Codes 2200-2206 from the MPA agreement-status check; ``code`` says which."""

    REASONS = {
        "2200": "the partner ID is not valid",
        "2201": "the partner is in a different region than this distributor",
        "2203": "the Microsoft Partner Agreement is not signed for this region",
        "2204": "the partner ID is not linked to a CSP indirect reseller account",
        "2205": "the tenant is not valid",
        "2206": "the tenant has not signed the Microsoft Partner Agreement",
    }

    @property
    def reason(self) -> str:
        return self.REASONS.get(self.code or "", self.description)


class RegistrationIdMissing(PartnerCenterError):
    """600049: the country requires an organization registration number."""


class RegistrationIdInvalid(PartnerCenterError):
    """600050: the registration number does not match the country's format.

    ``regex`` is the expected pattern when the description (or data) embeds one.
    """

    @property
    def regex(self) -> str | None:
        return _extract_regex(self.description, self.data)


class RegistrationIdNotAllowed(PartnerCenterError):
    """600002: the country does not take an organization registration number."""


class PhoneMissing(PartnerCenterError):
    """600051: the country requires a phone number in the default address."""


class McaMissing(PartnerCenterError):
    """13605: the customer has not accepted the Microsoft Customer Agreement."""


class CustomerUnderReview(PartnerCenterError):
    """800073-800075: the customer account is under review or not approved."""


class QuantityCannotBeDecreased(PartnerCenterError):
    """Outside the window for seat reductions or cancellation: 800090 "Subscription quantity can't
    be decreased", 900213 "You have passed your {0}-hour cancellation window", 900214 / 900257
    "... window for reducing seats" (https://learn.microsoft.com/partner-center/developer/error-codes).
    Schedule the reduction for the next term, or turn auto-renew off."""


class SubscriptionNotReady(PartnerCenterError):
    """409 800082 "Subscription is not ready to be updated. Try again after sometime"
    (https://learn.microsoft.com/partner-center/developer/error-codes): an earlier update (one
    answered 202) is still being applied. Try again later."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["retryable"] = True
        super().__init__(*args, **kwargs)


class AgreementAlreadyExists(PartnerCenterError):
    """600061: the same contact already attested the MCA. Callers treat it as done."""


class CartAlreadySubmitted(PartnerCenterError):
    """800065: the cart was already checked out (a retried checkout that succeeded)."""


class CartBeingProcessed(PartnerCenterError):
    """800064 (409): the cart is being checked out right now."""


ERROR_CODES: dict[str, type[PartnerCenterError]] = {
    "3000": PartnerIdUnknown,
    "600049": RegistrationIdMissing,
    "600050": RegistrationIdInvalid,
    "600002": RegistrationIdNotAllowed,
    "600051": PhoneMissing,
    "13605": McaMissing,
    "800090": QuantityCannotBeDecreased,
    "900213": QuantityCannotBeDecreased,
    "900214": QuantityCannotBeDecreased,
    "900257": QuantityCannotBeDecreased,
    "2055": EtagMismatch,
    "800082": SubscriptionNotReady,
    "600061": AgreementAlreadyExists,
    "800065": CartAlreadySubmitted,
    "800064": CartBeingProcessed,
    "60003": NoRelationship,
    "20002": NoRelationship,
    # Microsoft documents no code for a taken domain: the description heuristic in
    # error_from_response finds it.
    **{str(c): PartnerAgreementNotSigned for c in range(2200, 2207)},
    **{str(c): CustomerUnderReview for c in (800073, 800074, 800075)},
}

# Newer services name their errors; these names map to the same classes.
ERROR_NAMES: dict[str, type[PartnerCenterError]] = {
    "partnerconfirmedagreementalreadyexists": AgreementAlreadyExists,
    # UNCONFIRMED: the contract documents no code for a taken domain; these names are guesses
    # that cost nothing, and the description heuristic in error_from_response backs them up.
    "domainalreadyexists": DomainTaken,
    "domainnotavailable": DomainTaken,
    "domaintaken": DomainTaken,
}


def register_error_code(code: str | int, cls: type[PartnerCenterError]) -> None:
    """Map another service code to a class (``register_error_code(800091, MySuspended)``)."""
    ERROR_CODES[str(code)] = cls


_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*(second|sec|s\b|minute|min)?", re.I)


def parse_retry_after(header: str | None, message: str | None = None) -> float | None:
    """Seconds to wait, from a ``Retry-After`` header (delta seconds or HTTP date) or from
    "Try again in N seconds" in a 429 body message."""
    if header:
        header = header.strip()
        try:
            return max(0.0, float(header))
        except ValueError:
            from email.utils import parsedate_to_datetime
            from datetime import datetime, timezone

            try:
                when = parsedate_to_datetime(header)
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
            except (TypeError, ValueError):
                pass
    if message:
        m = _TRY_AGAIN.search(message)
        if m:
            seconds = float(m.group(1))
            if (m.group(2) or "").lower().startswith("min"):
                seconds *= 60
            return seconds
    return None


def _lower_keys(d: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in d.items()}


def parse_error_body(text: str | bytes | None) -> dict[str, Any]:
    """Normalise any error body to keys code, description, data, source, error_name,
    retryable (None when the body does not say) and message. Never raises."""
    out: dict[str, Any] = {
        "code": None,
        "description": "",
        "data": None,
        "source": None,
        "error_name": None,
        "retryable": None,
    }
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = (text or "").strip()
    if not text:
        return out
    try:
        body = json.loads(text)
    except ValueError:
        out["description"] = _squash(text)
        return out
    if not isinstance(body, dict):
        out["description"] = _squash(text)
        return out
    b = _lower_keys(body)
    # Some gateways nest the payload: {"error": {"code": ..., "message": ...}}
    if isinstance(b.get("error"), dict) and "code" not in b and "description" not in b:
        b = {**b, **_lower_keys(b["error"])}
    code = b.get("code")
    if code is None and b.get("errorcode") is not None:
        code = b.get("errorcode")
    if isinstance(code, dict):  # defensive: never seen, but never crash
        code = code.get("value")
    out["code"] = None if code in (None, "") else str(code)
    out["error_name"] = b.get("errorname")
    description = b.get("description") or b.get("message") or b.get("errormessage") or ""
    extended = b.get("errormessageextended")
    if extended and extended not in description:
        description = f"{description} ({extended})" if description else str(extended)
    out["description"] = str(description)
    data = b.get("data")
    if data is None:
        data = b.get("parameters")
    out["data"] = data
    out["source"] = b.get("source")
    retryable = b.get("isretryable")
    if isinstance(retryable, str):
        retryable = retryable.lower() == "true"
    out["retryable"] = retryable if isinstance(retryable, bool) else None
    return out


def _squash(text: str, limit: int = 500) -> str:
    """Plain text from a non-JSON body (HTML error pages): tags out, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


_REGEX_IN_TEXT = re.compile(r"(\^\S.*?\$)(?=[\s'\".,;)\]]*(?:$|\s))")


def _extract_regex(description: str, data: Any) -> str | None:
    # UNCONFIRMED: Microsoft documents that the 600050 description "embeds the expected regex"
    # but not how; we accept a ^...$ pattern anywhere, or after "regex:"/"pattern:"/"format:".
    candidates = [description or ""]
    if isinstance(data, Mapping):
        for k, v in data.items():
            if str(k).lower() in ("regex", "pattern", "format", "expectedformat") and v:
                return str(v)
            candidates.append(str(v))
    elif isinstance(data, list):
        candidates.extend(str(v) for v in data)
    for text in candidates:
        m = _REGEX_IN_TEXT.search(text)
        if m:
            return m.group(1)
    for text in candidates:
        m = re.search(r"(?:regex|pattern|format)\s*[:=]?\s*['\"]?(\S+?)['\"]?(?:\s|$)", text, re.I)
        if m and any(ch in m.group(1) for ch in "[]{}\\^$"):
            return m.group(1)
    return None


_DOMAIN_TAKEN_TEXT = re.compile(
    r"domain.*(already|exist|taken|in use|not available|unavailable)", re.I
)


def error_from_response(
    status: int,
    text: str | bytes | None,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> PartnerCenterError:
    """Build the most specific error for one HTTP answer."""
    parsed = parse_error_body(text)
    headers = headers or {}
    retry_after_header = None
    for k, v in headers.items():
        if k.lower() == "retry-after":
            retry_after_header = v
    kwargs: dict[str, Any] = dict(
        status=status,
        code=parsed["code"],
        description=parsed["description"],
        data=parsed["data"],
        request_id=request_id,
        correlation_id=correlation_id,
        error_name=parsed["error_name"],
        source=parsed["source"],
        method=method,
        path=path,
        body=(text.decode("utf-8", "replace") if isinstance(text, bytes) else text or "")[:2000],
    )
    default_retryable = status == 429 or status >= 500 or status == 408
    kwargs["retryable"] = (
        parsed["retryable"] if parsed["retryable"] is not None else default_retryable
    )
    if status == 429:
        # The 429 body may carry "statusCode": 429 in place of a code; that is not a service code.
        if kwargs["code"] is None:
            kwargs["code"] = "429"
        return Throttled(
            retry_after=parse_retry_after(retry_after_header, parsed["description"]), **kwargs
        )
    cls = ERROR_CODES.get(kwargs["code"] or "")
    if cls is None and parsed["error_name"]:
        cls = ERROR_NAMES.get(str(parsed["error_name"]).lower())
    if cls is None and method == "POST" and path and path.rstrip("/").endswith("/customers"):
        # UNCONFIRMED: customer creation with a domain that exists; the contract gives no code.
        if status == 409 or _DOMAIN_TAKEN_TEXT.search(kwargs["description"]):
            cls = DomainTaken
    if cls is None:
        if status == 404:
            cls = NotFound
        elif status == 412:
            cls = EtagMismatch
        elif status >= 500:
            cls = PartnerCenterUnavailable
        else:
            cls = PartnerCenterError
    return cls(**kwargs)
