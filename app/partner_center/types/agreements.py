"""Agreements: MCA templates, the contact who accepted, and the agreement resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .base import _CI, _dt, _int, _raw, _str


@dataclass
class AgreementTemplate:
    template_id: str
    agreement_type: str | None = None
    agreement_link: str | None = None
    version_rank: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AgreementTemplate":
        j = _CI(data)
        return cls(
            template_id=str(j.get("templateId") or ""),
            agreement_type=_str(j.get("agreementType")),
            agreement_link=_str(j.get("agreementLink")),
            version_rank=_int(j.get("versionRank")),
            raw=_raw(data),
        )


@dataclass
class Contact:
    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Contact":
        j = _CI(data)
        return cls(
            first_name=str(j.get("firstName") or ""),
            last_name=str(j.get("lastName") or ""),
            email=str(j.get("email") or ""),
            phone_number=_str(j.get("phoneNumber")),
        )

    def to_json(self) -> dict[str, Any]:
        out = {"firstName": self.first_name, "lastName": self.last_name, "email": self.email}
        if self.phone_number:
            out["phoneNumber"] = self.phone_number
        return out


@dataclass
class Agreement:
    template_id: str
    type: str | None = None
    date_agreed: datetime | None = None
    primary_contact: Contact | None = None
    user_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Agreement":
        j = _CI(data)
        pc = j.get("primaryContact")
        return cls(
            template_id=str(j.get("templateId") or ""),
            type=_str(j.get("type")),
            date_agreed=_dt(j.get("dateAgreed")),
            primary_contact=Contact.from_json(pc) if isinstance(pc, Mapping) else None,
            user_id=_str(j.get("userId")),
            raw=_raw(data),
        )
