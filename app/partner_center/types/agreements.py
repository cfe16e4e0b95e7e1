"""Agreements: MCA templates, the contact who accepted, and the agreement resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .base import FromJson, Resource, _dt, _flag, _int, _one, _text, key


@dataclass
class AgreementTemplate(Resource):
    template_id: str = key(_text)
    agreement_type: str | None = key(default=None)
    agreement_link: str | None = key(default=None)
    version_rank: int | None = key(_int, default=None)


@dataclass
class Contact(FromJson):
    first_name: str = key(_text)
    last_name: str = key(_text)
    email: str = key(_text)
    phone_number: str | None = key(default=None)


@dataclass
class Agreement(Resource):
    template_id: str = key(_text)
    type: str | None = key(default=None)
    date_agreed: datetime | None = key(_dt, default=None)
    primary_contact: Contact | None = key(_one(Contact.from_json), default=None)
    user_id: str | None = key(default=None)


@dataclass
class EnhancedAttestation(Resource):
    """``POST /v1/attestations/enhanced`` -> the attestation the agreement is then created with.

    https://learn.microsoft.com/partner-center/customers/integrate-sandbox-confirm-customer-accept
    UNCONFIRMED: the page's response example is not in our copy; the id is read from
    ``attestationId`` and, failing that, ``id``."""

    attestation_id: str = key(_text, at=("attestationId", "id"))
    status: str | None = key(default=None)
    created: datetime | None = key(_dt, at=("createdDateTime", "createdDate", "createdAt"), default=None)


@dataclass
class DirectSignedStatus(Resource):
    """``GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus``: has the customer
    accepted the MCA itself in the Microsoft 365 admin center?
    https://learn.microsoft.com/partner-center/developer/customer-agreement-direct-sign-status-resource"""

    is_signed: bool = key(_flag(False))
