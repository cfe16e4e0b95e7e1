"""Relationships: MPN profiles, agreement status, the reseller network, customer relationships and relationship request links."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Resource, ResourceWithId, _flag, _text, key


@dataclass
class MpnProfile(Resource):
    partner_name: str | None = key()
    mpn_id: str = key(_text)
    profile_type: str | None = key(default=None)


@dataclass
class AgreementStatus(Resource):
    is_agreement_signed: bool = key(_flag(False))


@dataclass
class Relationship(ResourceWithId):
    """One partner related to a customer (``GET /v1/customers/{id}/relationships``)."""

    name: str | None = key(default=None)
    relationship_type: str | None = key(default=None)
    state: str | None = key(default=None)
    mpn_id: str | None = key(default=None)

    @property
    def is_active(self) -> bool:
        return (self.state or "").lower() == "active"


@dataclass
class IndirectReseller(Relationship):
    """A reseller of the distributor's network (``IsIndirectCloudSolutionProviderOf``); ``id`` is
    the reseller's tenant id."""

    location: str | None = key(default=None)


@dataclass
class RelationshipRequest(Resource):
    url: str = key(_text)
