"""Agreements: the Microsoft Customer Agreement (MCA) templates, attestations and records."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from .errors import AgreementAlreadyExists, NotFound
from .transport import APP_USER, APP_USER_PREFERRED, Transport
from .types import Agreement, AgreementTemplate, Contact

__all__ = ["MCA", "Agreements"]

MCA = "MicrosoftCustomerAgreement"


class Agreements(Transport):
    """Customer agreements: ``/v1/agreements`` (templates) and ``/v1/customers/{id}/agreements``."""

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

    def ensure_agreement(self, customer_id: str, **attest: Any) -> Agreement | None:
        """``attest_agreement`` (same arguments) that returns None (done) on ``AgreementAlreadyExists``."""
        try:
            return self.attest_agreement(customer_id, **attest)
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
