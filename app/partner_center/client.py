"""The Partner Center REST v1 client: one ``PartnerCenterClient`` per Partner Center instance.

Every operation is a method documented with its HTTP path (the contract is
/work/shared/partner-center.md). Calls go through ``_call``, which

* puts the standard headers on every attempt (``Authorization``, ``Accept``, ``MS-RequestId``,
  ``MS-CorrelationId``, ``X-Locale``, ``MS-Contract-Version``);
* retries 429 (waiting ``Retry-After``, then backing off exponentially on repeats), 5xx and
  timeouts/connection failures (exponential backoff with jitter), always re-sending the SAME
  ``MS-RequestId`` because the request id is Partner Center's idempotency key;
* never retries 400/401/403/404/409/412/417 (or any other 4xx);
* logs every attempt to the ``app.partner_center`` logger;
* turns failures into ``errors.PartnerCenterError`` subclasses.

Where requests go is decided only by the httpx transport (and the MSAL http client): live by
default, ``routing.InProcessTransport`` for the in-process sandbox, ``routing.HostRewriteTransport``
for a standalone one.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import csv
import json as jsonlib
import logging
import random as random_module
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import quote

import httpx

from . import errors
from .auth import APP, APP_USER, TokenProvider
from .clouds import PARTNER_CENTER_SCOPE, PRICE_SHEET_HOST, Cloud, get_cloud
from .errors import (
    AgreementAlreadyExists,
    NotFound,
    PartnerCenterError,
    PartnerCenterUnavailable,
    Throttled,
)
from .types import (
    Address,
    AddressValidation,
    Agreement,
    AgreementStatus,
    AgreementTemplate,
    Availability,
    Cart,
    CartLineItem,
    CheckoutResult,
    Contact,
    CountryRules,
    Customer,
    IndirectReseller,
    MpnProfile,
    Order,
    Page,
    Product,
    ProvisioningStatus,
    Relationship,
    RelationshipRequest,
    Sku,
    Subscription,
    get_field,
    set_field,
)
from .subscriptions import subscription_patch_body

__all__ = ["InstanceConfig", "PartnerCenterClient", "MCA"]

_LOGGER = logging.getLogger("app.partner_center")

T = TypeVar("T")

MCA = "MicrosoftCustomerAgreement"

# Statuses that a retry cannot fix (the contract's list; other 4xx are not retried either).
NEVER_RETRIED = frozenset({400, 401, 403, 404, 409, 412, 417})
# 5xx that mean "this server will never do that", not "try later".
_PERMANENT_5XX = frozenset({501, 505})

# A user-preferring operation uses App+User when a refresh token is configured, else app-only.
APP_USER_PREFERRED = "app_user_preferred"


@dataclass(kw_only=True)
class InstanceConfig:
    """One Partner Center connection (a partner tenant + an Entra app registration).

    ``cloud`` names one of ``clouds.CLOUDS`` and fixes the API base and the authority host.
    ``refresh_token`` enables App+User operations. ``timeout`` is the read/write timeout and ``connect_timeout`` the connect timeout, in
    seconds, applied to every call. ``max_attempts`` bounds the attempts of one call (first
    try included). A ``Retry-After`` longer than ``max_retry_wait`` is not slept through: the
    call raises ``Throttled`` at once so a background job can reschedule itself.
    """

    name: str
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    cloud: str = "public"
    refresh_token: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 4
    locale: str = "en-US"
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_wait: float = 60.0
    # UNCONFIRMED: the price sheet host's token audience. The contract says App+User with the
    # Partner Center scope; Microsoft's newer billing APIs on api.partner.microsoft.com use
    # "https://api.partner.microsoft.com/.default". Configurable per instance.
    price_sheet_scope: str = PARTNER_CENTER_SCOPE
    price_sheet_host: str = PRICE_SHEET_HOST

    def __post_init__(self) -> None:
        get_cloud(self.cloud)  # ValueError early for a typo
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @property
    def cloud_info(self) -> Cloud:
        return get_cloud(self.cloud)


def new_request_id() -> str:
    """A fresh MS-RequestId; store it before a mutating call to resume with the same id."""
    return str(uuid.uuid4())


class PartnerCenterClient:
    """Partner Center REST v1 for one instance. Thread-safe for concurrent calls (httpx.Client
    and the token provider both are). Close it (or use ``with``) to release connections."""

    def __init__(
        self,
        instance: InstanceConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        msal_http_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        logger: logging.Logger | None = None,
    ) -> None:
        self.instance = instance
        self.cloud = instance.cloud_info
        self.api_base = self.cloud.api_base.rstrip("/")
        self._sleep = sleep
        self._random = random
        self._log = logger or _LOGGER
        self._timeout = httpx.Timeout(instance.timeout, connect=instance.connect_timeout)
        self._http = httpx.Client(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": "csp-storefront-partner-center/1"},
        )
        self.tokens = TokenProvider(instance, self.cloud, http_client=msal_http_client)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PartnerCenterClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PartnerCenterClient {self.instance.name!r} ({self.instance.cloud})>"

    def for_person(self, *, timeout: float = 5.0) -> "PartnerCenterClient":
        """This client for calls a person waits on (a check as they type, on blur, on a button).

        One attempt with a short timeout, and a 429 raised at once with its Retry-After instead
        of slept through: a web request must never sleep for Microsoft, and a person is better
        served by "try again in N seconds". Shares connections and tokens with this client.
        """
        person = copy.copy(self)
        person.instance = dataclasses.replace(self.instance, max_attempts=1, max_retry_wait=0.0, timeout=timeout,
                                              connect_timeout=min(self.instance.connect_timeout, timeout))
        person._timeout = httpx.Timeout(timeout, connect=person.instance.connect_timeout)
        return person

    # ------------------------------------------------------------------ core

    def _url(self, path: str) -> str:
        return f"{self.api_base}/v1{path}"

    def _backoff(self, n: int) -> float:
        """Exponential backoff with 'equal jitter' for the n-th retry (n >= 1)."""
        delay = min(self.instance.backoff_max, self.instance.backoff_base * (2 ** (n - 1)))
        return delay / 2 + self._random() * delay / 2

    def _token(self, auth: str, scope: str) -> str:
        if auth == APP_USER_PREFERRED:
            auth = APP_USER if self.tokens.refresh_token else APP
        return self.tokens.get_token(auth, scope)

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        auth: str = APP,
        scope: str = PARTNER_CENTER_SCOPE,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one logical call with retries; return the first successful (< 400) response.

        ``url`` is absolute. The same ``MS-RequestId`` (``request_id`` or a fresh GUID) and
        ``MS-CorrelationId`` go on every attempt of this call.
        """
        request_id = request_id or new_request_id()
        correlation_id = str(uuid.uuid4())
        max_attempts = self.instance.max_attempts
        retries_429 = 0
        retries_other = 0
        attempt = 0
        content = None
        base_headers = {"Accept": "application/json"}
        if json is not None:
            content = jsonlib.dumps(json).encode("utf-8")
            base_headers["Content-Type"] = "application/json"
        while True:
            attempt += 1
            token = self._token(auth, scope)
            req_headers = {
                **base_headers,
                "Authorization": f"Bearer {token}",
                "MS-RequestId": request_id,
                "MS-CorrelationId": correlation_id,
                "X-Locale": self.instance.locale,
                "MS-Contract-Version": "v1",
                **(headers or {}),
            }
            request = self._http.build_request(
                method,
                url,
                params=params,
                content=content,
                headers=req_headers,
                timeout=self._timeout,
            )
            path = request.url.raw_path.decode("ascii", "replace")
            started = time.monotonic()
            try:
                response = self._http.send(request, stream=stream)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                elapsed = time.monotonic() - started
                self._log_attempt(
                    logging.WARNING, method, path, type(exc).__name__, attempt, request_id,
                    correlation_id, elapsed,
                )
                if attempt >= max_attempts:
                    raise PartnerCenterUnavailable(
                        None,
                        None,
                        f"no answer after {attempt} attempt(s): {type(exc).__name__}: {exc}",
                        request_id=request_id,
                        correlation_id=correlation_id,
                        method=method,
                        path=path,
                    ) from exc
                retries_other += 1
                self._sleep(self._backoff(retries_other))
                continue
            except httpx.HTTPError as exc:  # unsupported protocol, invalid URL, ...
                raise PartnerCenterUnavailable(
                    None,
                    None,
                    f"{type(exc).__name__}: {exc}",
                    retryable=False,
                    request_id=request_id,
                    correlation_id=correlation_id,
                    method=method,
                    path=path,
                ) from exc
            elapsed = time.monotonic() - started
            status = response.status_code
            self._log_attempt(
                logging.WARNING if status >= 500 or status == 429 else logging.INFO,
                method, path, status, attempt, request_id, correlation_id, elapsed,
            )
            if status < 400:
                return response
            if stream:
                response.read()
                response.close()
            error = errors.error_from_response(
                status,
                response.content,
                headers=response.headers,
                request_id=request_id,
                correlation_id=correlation_id,
                method=method,
                path=path,
            )
            if status == 429:
                assert isinstance(error, Throttled)
                retries_429 += 1
                wait = error.retry_after
                if wait is None:
                    wait = self._backoff(retries_429 + 1)
                else:
                    # Wait what we were told; on repeats back off exponentially from there.
                    wait = wait * (2 ** (retries_429 - 1))
                if attempt >= max_attempts or wait > self.instance.max_retry_wait:
                    raise error
                self._sleep(wait)
                continue
            if status == 401:
                # Not retried; but the token may have been revoked or the app's secret rotated:
                # forget the token (and MSAL's cache) so the next call gets a fresh one.
                self.tokens.reset()
            if status in NEVER_RETRIED or status < 500 and status != 408:
                raise error
            if status in _PERMANENT_5XX:
                raise error
            # 408 or 5xx: try again with the same request id.
            if attempt >= max_attempts:
                if not isinstance(error, PartnerCenterUnavailable):
                    raise PartnerCenterUnavailable(
                        error.status, error.code, error.description, error.data,
                        request_id=request_id, correlation_id=correlation_id,
                        error_name=error.error_name, method=method, path=path, body=error.body,
                    )
                raise error
            retries_other += 1
            wait = self._backoff(retries_other)
            hinted = errors.parse_retry_after(response.headers.get("Retry-After"))
            if hinted is not None:
                wait = max(wait, min(hinted, self.instance.max_retry_wait))
            self._sleep(wait)

    def _log_attempt(
        self,
        level: int,
        method: str,
        path: str,
        status: Any,
        attempt: int,
        request_id: str,
        correlation_id: str,
        elapsed: float,
    ) -> None:
        self._log.log(
            level,
            "partner center %s %s %s -> %s attempt %d/%d MS-RequestId=%s MS-CorrelationId=%s %.3fs",
            self.instance.name,
            method,
            path,
            status,
            attempt,
            self.instance.max_attempts,
            request_id,
            correlation_id,
            elapsed,
            extra={
                "pc_instance": self.instance.name,
                "pc_method": method,
                "pc_path": path,
                "pc_status": status,
                "pc_attempt": attempt,
                "pc_request_id": request_id,
                "pc_correlation_id": correlation_id,
                "pc_elapsed": elapsed,
            },
        )

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        response = self._call(method, self._url(path), **kw)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise PartnerCenterError(
                response.status_code,
                None,
                f"expected JSON, got {response.headers.get('content-type', 'no content type')}",
                method=method,
                path=path,
                request_id=response.request.headers.get("MS-RequestId"),
                correlation_id=response.request.headers.get("MS-CorrelationId"),
            ) from exc

    def _collection(
        self,
        path: str,
        item: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, Any] | None = None,
        auth: str = APP,
        max_pages: int = 1000,
    ) -> list[T]:
        """Every item of a (possibly paged) collection."""
        out: list[T] = []
        token = None
        for _ in range(max_pages):
            page = self._page(path, item, params=params, continuation_token=token, auth=auth)
            out.extend(page.items)
            token = page.continuation_token
            if not token or not page.items:
                break
        return out

    def _page(
        self,
        path: str,
        item: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, Any] | None = None,
        continuation_token: str | None = None,
        auth: str = APP,
    ) -> Page[T]:
        params = dict(params or {})
        headers = {}
        if continuation_token:
            # UNCONFIRMED detail: we rebuild the next-page request ourselves (same path and
            # query, plus seekOperation=Next and the MS-ContinuationToken header) instead of
            # following links.next.uri, whose base path is not documented.
            params["seekOperation"] = "Next"
            headers["MS-ContinuationToken"] = continuation_token
        data = self._json("GET", path, params=params or None, headers=headers, auth=auth)
        if isinstance(data, list):  # defensive: a bare array
            return Page(items=[item(x) for x in data if isinstance(x, Mapping)], total_count=len(data))
        return Page.from_json(data, item)

    @staticmethod
    def _q(segment: str) -> str:
        return quote(str(segment), safe="")

    # ------------------------------------------------------------------ domains

    def normalize_domain(self, prefix_or_domain: str) -> str:
        """``contoso`` -> ``contoso.onmicrosoft.com`` (the cloud's initial-domain suffix);
        a full domain is kept, lower-cased."""
        d = prefix_or_domain.strip().lower().rstrip(".")
        if "." not in d:
            d = f"{d}.{self.cloud.initial_domain_suffix}"
        return d

    def is_domain_available(self, prefix_or_domain: str) -> bool:
        """``HEAD /v1/domains/{domain}``. Inverted meaning: 200 = the domain exists (taken),
        404 = available."""
        domain = self.normalize_domain(prefix_or_domain)
        try:
            self._call("HEAD", self._url(f"/domains/{self._q(domain)}"))
        except NotFound:
            return True
        return False

    # ------------------------------------------------------------------ customers

    def create_customer(
        self,
        *,
        domain: str,
        company_name: str,
        email: str,
        address: Address | Mapping[str, Any],
        first_name: str | None = None,
        last_name: str | None = None,
        culture: str | None = None,
        language: str = "en",
        organization_registration_number: str | None = None,
        associated_partner_id: str | None = None,
        request_id: str | None = None,
    ) -> Customer:
        """``POST /v1/customers`` -> 201 Customer (with ``user_credentials``, returned once).

        ``domain`` is a prefix or a full initial domain. ``associated_partner_id`` is the
        indirect reseller's tenant id. Idempotent under ``request_id``: pass the stored id when
        resuming a crashed job. Raises ``DomainTaken``, ``RegistrationIdMissing`` (600049),
        ``RegistrationIdInvalid`` (600050), ``RegistrationIdNotAllowed`` (600002),
        ``PhoneMissing`` (600051).
        """
        addr = address.to_json() if isinstance(address, Address) else dict(address)
        if first_name and not addr.get("firstName"):
            addr["firstName"] = first_name
        if last_name and not addr.get("lastName"):
            addr["lastName"] = last_name
        company_profile: dict[str, Any] = {"domain": self.normalize_domain(domain)}
        if organization_registration_number:
            company_profile["organizationRegistrationNumber"] = organization_registration_number
        billing_profile: dict[str, Any] = {
            "email": email,
            "culture": culture or self.instance.locale,
            "language": language,
            "companyName": company_name,
            "defaultAddress": addr,
        }
        if first_name or addr.get("firstName"):
            billing_profile["firstName"] = first_name or addr.get("firstName")
        if last_name or addr.get("lastName"):
            billing_profile["lastName"] = last_name or addr.get("lastName")
        body: dict[str, Any] = {"companyProfile": company_profile, "billingProfile": billing_profile}
        if associated_partner_id:
            body["associatedPartnerId"] = associated_partner_id
        data = self._json("POST", "/customers", json=body, request_id=request_id)
        return Customer.from_json(data)

    def get_customer(self, customer_id: str) -> Customer:
        """``GET /v1/customers/{tenantId}``. Raises ``NoRelationship`` (a ``NotFound``; 404
        60003 or 403 20002) while the partner has no relationship with the tenant."""
        return Customer.from_json(self._json("GET", f"/customers/{self._q(customer_id)}"))

    def try_get_customer(self, customer_id: str) -> Customer | None:
        """``get_customer``, or None while the tenant is not visible (no relationship yet:
        ``NoRelationship``/``NotFound``). For the authorization gate's polling."""
        try:
            return self.get_customer(customer_id)
        except NotFound:
            return None

    def search_customers(
        self,
        field: str,
        value: str,
        *,
        size: int = 100,
        continuation_token: str | None = None,
    ) -> Page[Customer]:
        """``GET /v1/customers?size=N&filter={"Field", "Value", "Operator": "starts_with"}``.

        ``field`` is ``Domain``, ``CompanyName`` or ``IndirectReseller``. The service only does
        a case-insensitive prefix match. Pass the page's ``continuation_token`` for the next
        page (sent as ``MS-ContinuationToken`` with ``seekOperation=Next``).
        """
        flt = jsonlib.dumps({"Field": field, "Value": value, "Operator": "starts_with"})
        return self._page(
            "/customers",
            Customer.from_json,
            params={"size": size, "filter": flt},
            continuation_token=continuation_token,
        )

    def list_customers(self, *, size: int = 100, continuation_token: str | None = None) -> Page[Customer]:
        """``GET /v1/customers?size=N``: one page of all the partner's customers."""
        return self._page(
            "/customers", Customer.from_json, params={"size": size}, continuation_token=continuation_token
        )

    def iter_customers(
        self, field: str | None = None, value: str | None = None, *, size: int = 100
    ) -> Iterator[Customer]:
        """Every customer (optionally of a search), following continuation tokens."""
        token = None
        while True:
            if field is None:
                page = self.list_customers(size=size, continuation_token=token)
            else:
                page = self.search_customers(field, value or "", size=size, continuation_token=token)
            yield from page.items
            token = page.continuation_token
            if not token or not page.items:
                return

    def find_customer_by_domain(self, domain: str) -> Customer | None:
        """The customer whose domain is EXACTLY ``domain`` (prefix or full), or None. The
        service's search is a prefix match, so the exact comparison happens here."""
        wanted = self.normalize_domain(domain)
        for customer in self.iter_customers("Domain", wanted):
            if (customer.domain or "").lower() == wanted:
                return customer
        return None

    def search_customers_by_reseller(self, reseller_tenant_id: str) -> list[Customer]:
        """Customers associated with an indirect reseller (filter Field ``IndirectReseller``)."""
        return list(self.iter_customers("IndirectReseller", reseller_tenant_id))

    def get_country_rules(self, country: str) -> CountryRules:
        """``GET /v1/countryvalidationrules/{ISO2}``."""
        return CountryRules.from_json(
            self._json("GET", f"/countryvalidationrules/{self._q(country.upper())}")
        )

    def validate_address(self, address: Address | Mapping[str, Any]) -> AddressValidation:
        """``POST /v1/validations/address``. The current answer is 200 with a status; the older
        one is 400 code 2007, reported here as status ``NotValidated`` with ``error_code``."""
        addr = address.to_json() if isinstance(address, Address) else dict(address)
        body = {
            k: v
            for k, v in addr.items()
            if k in ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")
        }
        try:
            return AddressValidation.from_json(self._json("POST", "/validations/address", json=body))
        except PartnerCenterError as exc:
            if exc.status == 400 and exc.code == "2007":
                return AddressValidation(
                    status="NotValidated",
                    original=Address.from_json(body),
                    message=exc.description,
                    error_code="2007",
                )
            raise

    # ------------------------------------------------------------------ partners (two-tier)

    def get_mpn_profile(self, mpn_id: str | int | None = None) -> MpnProfile:
        """``GET /v1/profiles/mpn?mpnId={id}`` (App+User). Without an id, the partner's own.
        Unknown -> ``PartnerIdUnknown`` (404, code 3000)."""
        params = {"mpnId": str(mpn_id)} if mpn_id is not None else None
        return MpnProfile.from_json(self._json("GET", "/profiles/mpn", params=params, auth=APP_USER))

    def get_agreement_status(
        self, mpn_id: str | int | None = None, *, tenant_id: str | None = None
    ) -> AgreementStatus:
        """``GET /v1/compliance/csp/agreementstatus?mpnId={id}`` (or ``?tenantId=``): has the
        reseller signed the Microsoft Partner Agreement for this region? Codes 2200-2206 raise
        ``PartnerAgreementNotSigned`` (the exact code is kept in ``.code``)."""
        if (mpn_id is None) == (tenant_id is None):
            raise ValueError("give exactly one of mpn_id or tenant_id")
        params = {"mpnId": str(mpn_id)} if mpn_id is not None else {"tenantId": str(tenant_id)}
        return AgreementStatus.from_json(
            self._json("GET", "/compliance/csp/agreementstatus", params=params)
        )

    def list_indirect_resellers(self) -> list[IndirectReseller]:
        """``GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf``
        (App+User): the distributor's reseller network."""
        return self._collection(
            "/relationships",
            IndirectReseller.from_json,
            params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
            auth=APP_USER,
        )

    def list_customer_relationships(self, customer_id: str) -> list[Relationship]:
        """``GET /v1/customers/{id}/relationships``: the partners related to a customer (for
        two-tier, the reseller shows here once the customer accepted it)."""
        return self._collection(
            f"/customers/{self._q(customer_id)}/relationships", Relationship.from_json
        )

    def get_relationship_request(self, indirect_reseller_id: str | None = None) -> RelationshipRequest:
        """``GET /v1/customers/relationshiprequests[?indirectResellerId=]`` (App+User): the
        link a customer's global admin opens to accept the partner. The URL is opaque."""
        params = {"indirectResellerId": indirect_reseller_id} if indirect_reseller_id else None
        return RelationshipRequest.from_json(
            self._json("GET", "/customers/relationshiprequests", params=params, auth=APP_USER)
        )

    # ------------------------------------------------------------------ agreements (MCA)

    def list_agreement_templates(self, agreement_type: str = MCA) -> list[AgreementTemplate]:
        """``GET /v1/agreements?agreementType=MicrosoftCustomerAgreement`` (App+User)."""
        return self._collection(
            "/agreements",
            AgreementTemplate.from_json,
            params={"agreementType": agreement_type},
            auth=APP_USER,
        )

    def current_agreement_template(self, agreement_type: str = MCA) -> AgreementTemplate:
        """The template to attest against: the highest ``versionRank`` of the type (the
        template id is never hard-coded)."""
        templates = [t for t in self.list_agreement_templates(agreement_type) if t.template_id]
        if not templates:
            raise NotFound(404, None, f"no {agreement_type} agreement template")
        return max(templates, key=lambda t: t.version_rank or 0)

    def attest_agreement(
        self,
        customer_id: str,
        *,
        contact: Contact | Mapping[str, Any],
        template_id: str,
        date_agreed: datetime | None = None,
        agreement_type: str = MCA,
        request_id: str | None = None,
    ) -> Agreement:
        """``POST /v1/customers/{tenantId}/agreements`` -> 201 Agreement. The same contact again
        raises ``AgreementAlreadyExists`` (600061); callers treat it as done (see
        ``ensure_agreement``)."""
        # UNCONFIRMED: Microsoft documents attestation as App+User only; we use App+User when a
        # refresh token is configured and fall back to app-only otherwise.
        c = contact.to_json() if isinstance(contact, Contact) else dict(contact)
        when = (date_agreed or datetime.now(timezone.utc)).astimezone(timezone.utc)
        body = {
            "primaryContact": c,
            "templateId": template_id,
            "dateAgreed": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
            "type": agreement_type,
        }
        data = self._json(
            "POST",
            f"/customers/{self._q(customer_id)}/agreements",
            json=body,
            request_id=request_id,
            auth=APP_USER_PREFERRED,
        )
        return Agreement.from_json(data)

    def ensure_agreement(
        self,
        customer_id: str,
        *,
        contact: Contact | Mapping[str, Any],
        template_id: str,
        date_agreed: datetime | None = None,
        agreement_type: str = MCA,
        request_id: str | None = None,
    ) -> Agreement | None:
        """``attest_agreement`` that returns None (done) on ``AgreementAlreadyExists``."""
        try:
            return self.attest_agreement(
                customer_id,
                contact=contact,
                template_id=template_id,
                date_agreed=date_agreed,
                agreement_type=agreement_type,
                request_id=request_id,
            )
        except AgreementAlreadyExists:
            return None

    def list_agreements(self, customer_id: str, agreement_type: str = MCA) -> list[Agreement]:
        """``GET /v1/customers/{id}/agreements?agreementType=MicrosoftCustomerAgreement``."""
        return self._collection(
            f"/customers/{self._q(customer_id)}/agreements",
            Agreement.from_json,
            params={"agreementType": agreement_type},
            auth=APP_USER_PREFERRED,
        )

    # ------------------------------------------------------------------ catalog

    def list_products(self, country: str, target_view: str = "OnlineServices") -> list[Product]:
        """``GET /v1/products?country={ISO2}&targetView=OnlineServices``."""
        return self._collection(
            "/products", Product.from_json, params={"country": country.upper(), "targetView": target_view}
        )

    def list_skus(self, product_id: str, country: str) -> list[Sku]:
        """``GET /v1/products/{productId}/skus?country={ISO2}``."""
        return self._collection(
            f"/products/{self._q(product_id)}/skus", Sku.from_json, params={"country": country.upper()}
        )

    def list_availabilities(self, product_id: str, sku_id: str, country: str) -> list[Availability]:
        """``GET /v1/products/{productId}/skus/{skuId}/availabilities?country={ISO2}``. Read
        ``catalog_item_id`` right before purchase: it can change."""
        return self._collection(
            f"/products/{self._q(product_id)}/skus/{self._q(sku_id)}/availabilities",
            Availability.from_json,
            params={"country": country.upper()},
        )

    def price_sheet_url(self, market: str) -> str:
        host = self.instance.price_sheet_host.rstrip("/")
        m = market.upper()
        return f"{host}/v1.0/sales/pricesheets(Market='{m}',PricesheetView='updatedlicensebased')/$value"

    @contextlib.contextmanager
    def price_sheet(self, market: str, *, timeline: str = "current") -> Iterator[Iterator[dict[str, str]]]:
        """Stream the NCE license-based price list of ``market`` (App+User):
        ``GET https://api.partner.microsoft.com/v1.0/sales/pricesheets(Market='{ISO2}',
        PricesheetView='updatedlicensebased')/$value?timeline=current``.

        A context manager yielding an iterator of rows (dicts keyed by the CSV header:
        ``ProductTitle, ProductId, SkuId, ..., UnitPrice, ...``). The body is read line by line
        and never held whole; leaving the ``with`` block closes the connection::

            with client.price_sheet("US") as rows:
                for row in rows:
                    ...
        """
        response = self._call(
            "GET",
            self.price_sheet_url(market),
            params={"timeline": timeline},
            headers={"Accept": "text/csv, application/octet-stream, */*"},
            auth=APP_USER,
            scope=self.instance.price_sheet_scope,
            stream=True,
        )
        try:
            yield csv.DictReader(_strip_bom(response.iter_lines()))
        finally:
            response.close()

    def iter_price_sheet(self, market: str, *, timeline: str = "current") -> Iterator[dict[str, str]]:
        """Generator form of ``price_sheet``: rows one by one; the connection closes when the
        generator is exhausted or closed."""
        with self.price_sheet(market, timeline=timeline) as rows:
            yield from rows

    # ------------------------------------------------------------------ carts

    def create_cart(
        self,
        customer_id: str,
        line_items: Sequence[CartLineItem | Mapping[str, Any]],
        *,
        partner_on_record_attestation_accepted: bool = True,
        request_id: str | None = None,
    ) -> Cart:
        """``POST /v1/customers/{id}/carts`` -> 201 Cart. Each line item may come back with an
        ``error`` (``CartLineItem.error_code``). A distributor puts the RESELLER's partner id in
        the ``transaction_reseller`` participant (see ``reseller_line_item``)."""
        items = [li.to_json() if isinstance(li, CartLineItem) else dict(li) for li in line_items]
        for i, li in enumerate(items):
            li.setdefault("id", i)
        body = {
            "lineItems": items,
            "PartnerOnRecordAttestationAccepted": partner_on_record_attestation_accepted,
        }
        data = self._json(
            "POST", f"/customers/{self._q(customer_id)}/carts", json=body, request_id=request_id
        )
        return Cart.from_json(data)

    def get_cart(self, customer_id: str, cart_id: str) -> Cart:
        """``GET /v1/customers/{id}/carts/{cartId}``."""
        return Cart.from_json(
            self._json("GET", f"/customers/{self._q(customer_id)}/carts/{self._q(cart_id)}")
        )

    def update_cart(
        self,
        customer_id: str,
        cart: Cart,
        line_items: Sequence[CartLineItem | Mapping[str, Any]] | None = None,
        *,
        request_id: str | None = None,
    ) -> Cart:
        """``PUT /v1/customers/{id}/carts/{cartId}`` with the whole cart (its raw JSON with the
        line items replaced when ``line_items`` is given)."""
        # UNCONFIRMED: the contract does not spell out the update verb; Microsoft's docs use PUT
        # with the full cart resource.
        body = dict(cart.raw) if cart.raw else {"id": cart.id}
        if line_items is not None:
            items = [li.to_json() if isinstance(li, CartLineItem) else dict(li) for li in line_items]
            for i, li in enumerate(items):
                li.setdefault("id", i)
            set_field(body, "lineItems", items)
        else:
            set_field(body, "lineItems", [li.to_json() for li in cart.line_items])
        data = self._json(
            "PUT",
            f"/customers/{self._q(customer_id)}/carts/{self._q(cart.id)}",
            json=body,
            request_id=request_id,
        )
        return Cart.from_json(data)

    def checkout_cart(self, customer_id: str, cart_id: str, *, request_id: str | None = None) -> CheckoutResult:
        """``POST /v1/customers/{id}/carts/{cartId}/checkout`` (empty body) -> 201 orders and
        orderErrors. Raises ``CartAlreadySubmitted`` (800065), ``CartBeingProcessed`` (409
        800064), ``CustomerUnderReview`` (800073-800075), ``McaMissing`` (13605)."""
        data = self._json(
            "POST",
            f"/customers/{self._q(customer_id)}/carts/{self._q(cart_id)}/checkout",
            request_id=request_id,
        )
        return CheckoutResult.from_json(data)

    # ------------------------------------------------------------------ orders

    def get_order(self, customer_id: str, order_id: str) -> Order:
        """``GET /v1/customers/{id}/orders/{orderId}``."""
        return Order.from_json(
            self._json("GET", f"/customers/{self._q(customer_id)}/orders/{self._q(order_id)}")
        )

    def list_orders(self, customer_id: str) -> list[Order]:
        """``GET /v1/customers/{id}/orders``."""
        return self._collection(f"/customers/{self._q(customer_id)}/orders", Order.from_json)

    def get_provisioning_status(self, customer_id: str, order_id: str) -> list[ProvisioningStatus]:
        """``GET /v1/customers/{id}/orders/{orderId}/provisioningstatus``."""
        return self._collection(
            f"/customers/{self._q(customer_id)}/orders/{self._q(order_id)}/provisioningstatus",
            ProvisioningStatus.from_json,
        )

    # ------------------------------------------------------------------ subscriptions

    def list_subscriptions(self, customer_id: str, *, order_id: str | None = None) -> list[Subscription]:
        """``GET /v1/customers/{id}/subscriptions`` (``?order_id=`` for one order's)."""
        params = {"order_id": order_id} if order_id else None
        return self._collection(
            f"/customers/{self._q(customer_id)}/subscriptions", Subscription.from_json, params=params
        )

    def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        """``GET /v1/customers/{id}/subscriptions/{subscriptionId}``."""
        return Subscription.from_json(
            self._json("GET", f"/customers/{self._q(customer_id)}/subscriptions/{self._q(subscription_id)}")
        )

    def patch_subscription(
        self,
        customer_id: str,
        subscription: Subscription | Mapping[str, Any],
        *,
        etag: str | None = None,
        request_id: str | None = None,
        poll_interval: float = 1.0,
        max_polls: int = 30,
    ) -> Subscription:
        """``PATCH /v1/customers/{id}/subscriptions/{subId}`` with the whole resource and
        ``If-Match: <etag>``. 200 -> the updated subscription; 202 + ``Location`` -> the
        resource at ``Location`` is polled until it stops answering 202. A stale etag raises
        ``EtagMismatch`` (412); outside the cancellation window a reduction raises
        ``QuantityCannotBeDecreased`` (800090)."""
        if isinstance(subscription, Subscription):
            body = dict(subscription.raw)
            etag = etag or subscription.etag
            sub_id = subscription.id
        else:
            body = dict(subscription)
            sub_id = str(get_field(body, "id"))
            etag = etag or get_field(get_field(body, "attributes") or {}, "etag")
        headers = {"If-Match": etag} if etag else {}
        path = f"/customers/{self._q(customer_id)}/subscriptions/{self._q(sub_id)}"
        response = self._call("PATCH", self._url(path), json=body, headers=headers, request_id=request_id)
        if response.status_code == 202:
            return self._poll_subscription(customer_id, sub_id, response, poll_interval, max_polls)
        if response.content:
            try:
                return Subscription.from_json(response.json())
            except ValueError:
                pass
        return self.get_subscription(customer_id, sub_id)

    def _poll_subscription(
        self, customer_id: str, sub_id: str, response: httpx.Response, interval: float, max_polls: int
    ) -> Subscription:
        location = response.headers.get("Location")
        if not location:
            # UNCONFIRMED: a 202 without Location; the subscription itself is the best we have.
            return self.get_subscription(customer_id, sub_id)
        url = str(response.request.url.join(location))
        if location.startswith("/") and not location.startswith("/v1"):
            url = self._url(location)
        for n in range(max_polls):
            self._sleep(_retry_after_or(response, interval))
            response = self._call("GET", url)
            if response.status_code != 202:
                data = response.json() if response.content else {}
                if isinstance(data, Mapping) and get_field(data, "offerId") is not None:
                    return Subscription.from_json(data)
                # The Location named an operation, not the subscription: read the result.
                return self.get_subscription(customer_id, sub_id)
        raise PartnerCenterUnavailable(
            202, None, f"subscription {sub_id} update still in progress after {max_polls} polls"
        )

    def update_subscription(
        self,
        customer_id: str,
        subscription_id: str,
        changes: Mapping[str, Any],
        *,
        request_id: str | None = None,
    ) -> Subscription:
        """GET the subscription, apply ``changes`` (JSON field names: ``quantity``,
        ``friendlyName``, ``autoRenewEnabled``, ``status``, ``scheduledNextTermInstructions``),
        PATCH it back with ``If-Match``. Only the PATCH carries ``request_id``."""
        current = self.get_subscription(customer_id, subscription_id)
        body = subscription_patch_body(current, changes=changes)
        return self.patch_subscription(
            customer_id, body, etag=current.etag, request_id=request_id
        )

    def set_subscription_quantity(
        self, customer_id: str, subscription_id: str, quantity: int, *, request_id: str | None = None
    ) -> Subscription:
        """Change seats now (a reduction only inside the 7-day window, else 800090)."""
        return self.update_subscription(customer_id, subscription_id, {"quantity": quantity}, request_id=request_id)

    def set_subscription_auto_renew(
        self, customer_id: str, subscription_id: str, enabled: bool, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(
            customer_id, subscription_id, {"autoRenewEnabled": enabled}, request_id=request_id
        )

    def rename_subscription(
        self, customer_id: str, subscription_id: str, friendly_name: str, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(
            customer_id, subscription_id, {"friendlyName": friendly_name}, request_id=request_id
        )

    def cancel_subscription(
        self, customer_id: str, subscription_id: str, *, request_id: str | None = None
    ) -> Subscription:
        """New-commerce cancel: ``status: "deleted"`` (only within the cancellation window)."""
        return self.update_subscription(customer_id, subscription_id, {"status": "deleted"}, request_id=request_id)

    def suspend_subscription(
        self, customer_id: str, subscription_id: str, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(customer_id, subscription_id, {"status": "suspended"}, request_id=request_id)

    def schedule_next_term_quantity(
        self, customer_id: str, subscription_id: str, quantity: int, *, request_id: str | None = None
    ) -> Subscription:
        """Schedule a seat count for the next term (the way to reduce outside the window);
        keeps the current product/sku/availability, term and billing cycle, and makes sure
        auto-renew is on (scheduled changes need it)."""
        current = self.get_subscription(customer_id, subscription_id)
        body = subscription_patch_body(current, next_term_quantity=quantity)
        return self.patch_subscription(customer_id, body, etag=current.etag, request_id=request_id)


# ---------------------------------------------------------------------- helpers


def reseller_line_item(
    catalog_item_id: str,
    quantity: int,
    *,
    billing_cycle: str,
    term_duration: str,
    reseller_partner_id: str | None = None,
    friendly_name: str | None = None,
    id: int = 0,
) -> CartLineItem:
    """A cart line; with ``reseller_partner_id`` the reseller goes on record as
    ``transaction_reseller`` (never the distributor's own id: that is error 2072)."""
    participants = (
        [{"key": "transaction_reseller", "value": str(reseller_partner_id)}] if reseller_partner_id else []
    )
    return CartLineItem(
        id=id,
        catalog_item_id=catalog_item_id,
        quantity=quantity,
        billing_cycle=billing_cycle,
        term_duration=term_duration,
        friendly_name=friendly_name,
        participants=participants,
    )


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line = line.lstrip("\ufeff")
            first = False
        yield line


def _retry_after_or(response: httpx.Response, default: float) -> float:
    value = errors.parse_retry_after(response.headers.get("Retry-After"))
    return default if value is None else min(value, 60.0)
