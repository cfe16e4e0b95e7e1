"""Relationships: MPN profiles, agreement status, the reseller network, customer relationships and relationship request links."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .base import _CI, _bool, _raw, _str


@dataclass
class MpnProfile:
    partner_name: str | None
    mpn_id: str
    profile_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MpnProfile":
        j = _CI(data)
        return cls(
            partner_name=_str(j.get("partnerName")),
            mpn_id=str(j.get("mpnId") or ""),
            profile_type=_str(j.get("profileType")),
            raw=_raw(data),
        )


@dataclass
class AgreementStatus:
    is_agreement_signed: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AgreementStatus":
        j = _CI(data)
        return cls(is_agreement_signed=bool(_bool(j.get("isAgreementSigned"), False)), raw=_raw(data))


@dataclass
class Relationship:
    """One partner related to a customer (``GET /v1/customers/{id}/relationships``)."""

    id: str
    name: str | None = None
    relationship_type: str | None = None
    state: str | None = None
    mpn_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_active(self) -> bool:
        return (self.state or "").lower() == "active"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Relationship":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            name=_str(j.get("name")),
            relationship_type=_str(j.get("relationshipType")),
            state=_str(j.get("state")),
            mpn_id=_str(j.get("mpnId")),
            raw=_raw(data),
        )


@dataclass
class IndirectReseller(Relationship):
    """A reseller of the distributor's network (``IsIndirectCloudSolutionProviderOf``); ``id`` is
    the reseller's tenant id."""

    location: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "IndirectReseller":
        reseller = super().from_json(data)
        reseller.location = _str(_CI(data).get("location"))
        return reseller


@dataclass
class RelationshipRequest:
    url: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RelationshipRequest":
        return cls(url=str(_CI(data).get("url") or ""), raw=_raw(data))
