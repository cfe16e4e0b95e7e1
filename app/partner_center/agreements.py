"""Agreements: the Microsoft Customer Agreement (MCA) templates, attestations and records.

Two ways to record a partner's attestation, both ending in ``POST /v1/customers/{id}/agreements``:

* current (``attest_mca``): the enhanced attestation, ``POST /v1/attestations/enhanced`` (app-only)
  returns an attestation id, and the agreement is created with it (app-only). Partner attestation
  is API-only and the older methods were retired on 5 January 2026:
  https://learn.microsoft.com/partner-center/customers/integrate-sandbox-confirm-customer-accept
  https://learn.microsoft.com/partner-center/customers/confirm-customer-agreement
* classic (``attest_agreement`` without an attestation id), App+User, still documented at
  https://learn.microsoft.com/partner-center/developer/confirm-customer-consent-customer-agreement

Read back: the customer's agreements (``list_agreements``,
https://learn.microsoft.com/partner-center/developer/get-confirmation-of-customer-agreement) and
whether the customer accepted the MCA itself (``get_direct_signed_status``,
https://learn.microsoft.com/partner-center/developer/customer-agreement-direct-sign-status-resource).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from .errors import AgreementAlreadyExists, NotFound
from .auth import APP, APP_USER
from .transport import Transport
from .types import Agreement, AgreementTemplate, Contact, DirectSignedStatus, EnhancedAttestation, Page

__all__ = ["MCA", "MCA_ATTESTATION_CUTOFF", "McaState", "Agreements"]

MCA = "MicrosoftCustomerAgreement"

# An attestation dated before this no longer counts: Microsoft updated the MCA's terms and asked
# partners whose customers accepted before 1 April 2023 to have them accept the new terms (Partner
# Center announcement "The Microsoft Customer Agreement terms have changed", 2023, republished at
# https://www.ozhosting.com.au/microsoft-mca-update/); since 7 October 2024 Partner Center takes
# new CSP orders only with a current MCA. Such an attestation is renewed (``ensure_current_mca``).
MCA_ATTESTATION_CUTOFF = datetime(2023, 4, 1, tzinfo=timezone.utc)


def _sub_request_id(request_id: str | None, part: str) -> str | None:
    """A stable MS-RequestId for one call of a multi-call operation: the same operation retried
    with the same request id repeats each call with its own same id (idempotent), and two
    different calls never share one."""
    if not request_id:
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request_id}:{part}"))


def _same_contact(agreement: Agreement, contact: Mapping[str, Any]) -> bool:
    pc = agreement.primary_contact
    if pc is None:
        return False
    return all((getattr(pc, attr) or "").strip().lower() == (contact.get(key) or "").strip().lower()
               for attr, key in (("first_name", "firstName"), ("last_name", "lastName"), ("email", "email")))


@dataclass
class McaState:
    """What Partner Center holds about a customer's MCA: accepted directly by the customer, and
    the partner attestations, split into current ones and ones older than Microsoft accepts."""

    direct_signed: bool = False
    current: list[Agreement] = field(default_factory=list)
    stale: list[Agreement] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.direct_signed or bool(self.current)

    @property
    def needs_renewal(self) -> bool:
        """Only attestations older than Microsoft accepts: a new attestation is needed."""
        return not self.accepted and bool(self.stale)


class Agreements(Transport):
    """Customer agreements: ``/v1/agreements`` (templates) and ``/v1/customers/{id}/agreements``."""

    def list_agreement_templates(self, agreement_type: str = MCA) -> list[AgreementTemplate]:
        """``GET /v1/agreements?agreementType=MicrosoftCustomerAgreement`` (App+User). One page: the
        templates of a type are a handful."""
        data = self._json("GET", "/agreements", params={"agreementType": agreement_type})
        return Page.from_json(data, AgreementTemplate.from_json).items

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
        attestation_id: str | None = None,
    ) -> Agreement:
        """``POST /v1/customers/{tenantId}/agreements`` -> 201 Agreement. The same contact again
        raises ``AgreementAlreadyExists`` (600061); callers treat it as done (see
        ``ensure_agreement``). With ``attestation_id`` (from ``create_enhanced_attestation``) this
        is the current flow's second call, app-only as its page says; without, the classic one."""
        c = contact.to_json() if isinstance(contact, Contact) else dict(contact)
        when = (date_agreed or datetime.now(timezone.utc)).astimezone(timezone.utc)
        body = {
            "primaryContact": c,
            "templateId": template_id,
            "dateAgreed": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
            "type": agreement_type,
        }
        if attestation_id:
            body["attestationId"] = attestation_id
        data = self._json(
            "POST",
            f"/customers/{self._q(customer_id)}/agreements",
            json=body,
            request_id=request_id,
            # The token kinds are operations.py's (the enhanced flow's agreement app-only, the
            # classic one App+User); the classic one falls back to app-only without a refresh token.
            auth=None if attestation_id else self._user_preferred(),
        )
        return Agreement.from_json(data)

    def ensure_agreement(self, customer_id: str, **attest: Any) -> Agreement | None:
        """``attest_agreement`` (same arguments) that returns None (done) on ``AgreementAlreadyExists``."""
        try:
            return self.attest_agreement(customer_id, **attest)
        except AgreementAlreadyExists:
            return None

    def list_agreements(self, customer_id: str, agreement_type: str = MCA) -> list[Agreement]:
        """``GET /v1/customers/{id}/agreements?agreementType=MicrosoftCustomerAgreement``: the
        customer's agreements, one collection without paging
        (https://learn.microsoft.com/partner-center/developer/get-confirmation-of-customer-agreement)."""
        data = self._json("GET", f"/customers/{self._q(customer_id)}/agreements",
                          params={"agreementType": agreement_type}, auth=self._user_preferred())
        return Page.from_json(data, Agreement.from_json).items

    def _user_preferred(self) -> str:
        """App+User when a refresh token is configured, else app-only. UNCONFIRMED: Microsoft
        documents the customer's agreements as App+User only; an app-only storefront still tries."""
        return APP_USER if self.tokens.refresh_token else APP

    # ------------------------------------------------------------------ the current (enhanced) flow

    def create_enhanced_attestation(
        self,
        *,
        contact: Contact | Mapping[str, Any],
        company_name: str,
        country: str,
        language: str | None = None,
        request_id: str | None = None,
    ) -> EnhancedAttestation:
        """``POST /v1/attestations/enhanced`` (app-only) -> the attestation id the agreement is
        created with. Body: the customer's ``country`` (ISO 3166-1 alpha-2), the agreement's
        ``language``, the ``companyName`` and the signatory.
        https://learn.microsoft.com/partner-center/customers/integrate-sandbox-confirm-customer-accept
        UNCONFIRMED: our copy of the page names ``signatoryFirstName`` and ``signatoryLastName``
        and breaks off there; ``signatoryEmail`` and ``signatoryPhoneNumber`` follow their pattern."""
        c = contact.to_json() if isinstance(contact, Contact) else dict(contact)
        body: dict[str, Any] = {
            "country": country.upper(),
            "language": language or self.instance.locale.split("-")[0],
            "companyName": company_name,
            "signatoryFirstName": c.get("firstName"),
            "signatoryLastName": c.get("lastName"),
            "signatoryEmail": c.get("email"),
        }
        if c.get("phoneNumber"):
            body["signatoryPhoneNumber"] = c["phoneNumber"]
        data = self._json("POST", "/attestations/enhanced", json=body, request_id=request_id)
        return EnhancedAttestation.from_json(data)

    def attest_mca(
        self,
        customer_id: str,
        *,
        contact: Contact | Mapping[str, Any],
        company_name: str,
        country: str,
        language: str | None = None,
        template_id: str | None = None,
        date_agreed: datetime | None = None,
        request_id: str | None = None,
    ) -> Agreement | None:
        """The current flow: an enhanced attestation, then the customer's agreement with its id.
        None when Partner Center already holds this contact's current agreement (600061).
        Each of the two calls has its own MS-RequestId derived from ``request_id``, so a retried
        step repeats both idempotently."""
        attestation = self.create_enhanced_attestation(
            contact=contact, company_name=company_name, country=country, language=language,
            request_id=_sub_request_id(request_id, "attestations/enhanced"))
        template = template_id or self.current_agreement_template().template_id
        try:
            return self.attest_agreement(
                customer_id, contact=contact, template_id=template, date_agreed=date_agreed,
                attestation_id=attestation.attestation_id,
                request_id=_sub_request_id(request_id, "agreements"))
        except AgreementAlreadyExists:
            return None

    # ------------------------------------------------------------------ reading back

    def get_direct_signed_status(self, customer_id: str) -> DirectSignedStatus:
        """``GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus`` -> ``{isSigned}``
        (App+User): did the customer accept the MCA itself, in the Microsoft 365 admin center?
        https://learn.microsoft.com/partner-center/developer/get-customer-agreement-direct-sign-status"""
        return self._get(f"/customers/{self._q(customer_id)}/directSignedMicrosoftCustomerAgreementStatus",
                         DirectSignedStatus.from_json)

    def mca_state(self, customer_id: str, *, direct: bool = True) -> McaState:
        """The customer's MCA as Partner Center holds it: the direct acceptance (unless ``direct``
        is False) and its attestations, current or older than ``MCA_ATTESTATION_CUTOFF``."""
        state = McaState()
        if direct:
            state.direct_signed = self.get_direct_signed_status(customer_id).is_signed
        for agreement in self.list_agreements(customer_id, MCA):
            when = agreement.date_agreed
            stale = when is not None and when < MCA_ATTESTATION_CUTOFF
            (state.stale if stale else state.current).append(agreement)
        return state

    def ensure_current_mca(self, customer_id: str, *, contact: Contact | Mapping[str, Any],
                           **attest: Any) -> tuple[str, Agreement | None]:
        """Make sure the customer has a current MCA recorded for ``contact``: (how, agreement).

        ``how`` is ``direct_signed`` (the customer accepted it itself: nothing to attest),
        ``current`` (this contact's attestation is current), ``renewed`` (only attestations older
        than Microsoft accepts existed: a new one was made), ``attested`` (a new one), or
        ``already`` (Partner Center answered 600061). ``attest`` goes to ``attest_mca``."""
        c = contact.to_json() if isinstance(contact, Contact) else dict(contact)
        state = self.mca_state(customer_id)
        if state.direct_signed:
            return "direct_signed", None
        mine = next((a for a in state.current if _same_contact(a, c)), None)
        if mine is not None:
            return "current", mine
        renewing = state.needs_renewal
        agreement = self.attest_mca(customer_id, contact=c, **attest)
        if agreement is None:
            return "already", None
        return ("renewed" if renewing else "attested"), agreement
