"""Catalog: products, SKUs, terms and availabilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .base import _CI, _bool, _int, _raw, _str


@dataclass
class Product:
    id: str
    title: str | None = None
    description: str | None = None
    product_type_id: str | None = None
    product_type_name: str | None = None
    publisher_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Product":
        j = _CI(data)
        pt = j.obj("productType")
        return cls(
            id=str(j.get("id") or ""),
            title=_str(j.get("title")),
            description=_str(j.get("description")),
            product_type_id=_str(pt.get("id")),
            product_type_name=_str(pt.get("displayName")),
            publisher_name=_str(j.get("publisherName")),
            raw=_raw(data),
        )


@dataclass
class Sku:
    id: str
    product_id: str
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool = False
    supported_billing_cycles: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Sku":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            product_id=str(j.get("productId") or ""),
            title=_str(j.get("title")),
            description=_str(j.get("description")),
            minimum_quantity=_int(j.get("minimumQuantity")),
            maximum_quantity=_int(j.get("maximumQuantity")),
            is_trial=bool(_bool(j.get("isTrial"), False)),
            supported_billing_cycles=[str(c) for c in j.list("supportedBillingCycles")],
            raw=_raw(data),
        )


@dataclass
class Term:
    duration: str  # ISO 8601: P1M, P1Y, P3Y
    billing_cycle: str | None = None
    description: str | None = None
    cancellation_policies: list[Any] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Term":
        j = _CI(data)
        return cls(
            duration=str(j.get("duration") or ""),
            billing_cycle=_str(j.get("billingCycle")),
            description=_str(j.get("description")),
            cancellation_policies=j.list("cancellationPolicies"),
            raw=_raw(data),
        )


@dataclass
class Availability:
    id: str
    catalog_item_id: str  # productId:skuId:availabilityId; read it right before purchase
    product_id: str | None = None
    sku_id: str | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool = True
    terms: list[Term] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Availability":
        j = _CI(data)
        cur = j.obj("defaultCurrency")
        cat = str(j.get("catalogItemId") or "")
        parts = cat.split(":") if cat else []
        return cls(
            id=str(j.get("id") or ""),
            catalog_item_id=cat,
            product_id=_str(j.get("productId")) or (parts[0] if len(parts) == 3 else None),
            sku_id=_str(j.get("skuId")) or (parts[1] if len(parts) == 3 else None),
            currency_code=_str(cur.get("code")),
            currency_symbol=_str(cur.get("symbol")),
            segment=_str(j.get("segment")),
            country=_str(j.get("country")),
            is_purchasable=bool(_bool(j.get("isPurchasable"), True)),
            terms=[Term.from_json(t) for t in j.list("terms") if isinstance(t, Mapping)],
            raw=_raw(data),
        )
