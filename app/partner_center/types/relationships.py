"""Relationships: MPN profiles, agreement status, the reseller network, customer relationships and relationship request links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import FromJson, _flag, _text, key, raw_payload


@dataclass
class MpnProfile(FromJson):
    partner_name: str | None = key()
    mpn_id: str = key(_text)
    profile_type: str | None = key(default=None)
    raw: dict[str, Any] = raw_payload()


@dataclass
class AgreementStatus(FromJson):
    is_agreement_signed: bool = key(_flag(False))
    raw: dict[str, Any] = raw_payload()


@dataclass
class Relationship(FromJson):
    """One partner related to a customer (``GET /v1/customers/{id}/relationships``)."""

    id: str = key(_text)
    name: str | None = key(default=None)
    relationship_type: str | None = key(default=None)
    state: str | None = key(default=None)
    mpn_id: str | None = key(default=None)
    raw: dict[str, Any] = raw_payload()

    @property
    def is_active(self) -> bool:
        return (self.state or "").lower() == "active"


@dataclass
class IndirectReseller(Relationship):
    """A reseller of the distributor's network (``IsIndirectCloudSolutionProviderOf``); ``id`` is
    the reseller's tenant id."""

    location: str | None = key(default=None)


@dataclass
class RelationshipRequest(FromJson):
    url: str = key(_text)
    raw: dict[str, Any] = raw_payload()
