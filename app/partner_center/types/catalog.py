"""Catalog: products, SKUs, terms and availabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .base import _CI, Resource, ResourceWithId, _flag, _int, _items, _many, _str, _strings, _text, computed, key


@dataclass
class Product(ResourceWithId):
    title: str | None = key(default=None)
    description: str | None = key(default=None)
    product_type_id: str | None = key(at="productType.id", default=None)
    product_type_name: str | None = key(at="productType.displayName", default=None)
    publisher_name: str | None = key(default=None)


@dataclass
class Sku(ResourceWithId):
    product_id: str = key(_text)
    title: str | None = key(default=None)
    description: str | None = key(default=None)
    minimum_quantity: int | None = key(_int, default=None)
    maximum_quantity: int | None = key(_int, default=None)
    is_trial: bool = key(_flag(False), default=False)
    supported_billing_cycles: list[str] = key(_strings, default_factory=list)


@dataclass
class Term(Resource):
    duration: str = key(_text)  # ISO 8601: P1M, P1Y, P3Y
    billing_cycle: str | None = key(default=None)
    description: str | None = key(default=None)
    cancellation_policies: list[Any] = key(_items, default_factory=list)


def _or_catalog_item_part(name: str, index: int) -> Callable[[_CI], str | None]:
    """``name``, else its part of a well-formed ``productId:skuId:availabilityId``."""

    def read(j: _CI) -> str | None:
        parts = str(j.get("catalogItemId") or "").split(":")
        return _str(j.get(name)) or (parts[index] if len(parts) == 3 else None)

    return read


@dataclass
class Availability(ResourceWithId):
    catalog_item_id: str = key(_text)  # productId:skuId:availabilityId; read it right before purchase
    product_id: str | None = computed(_or_catalog_item_part("productId", 0), default=None)
    sku_id: str | None = computed(_or_catalog_item_part("skuId", 1), default=None)
    currency_code: str | None = key(at="defaultCurrency.code", default=None)
    currency_symbol: str | None = key(at="defaultCurrency.symbol", default=None)
    segment: str | None = key(default=None)
    country: str | None = key(default=None)
    is_purchasable: bool = key(_flag(True), default=True)
    terms: list[Term] = key(_many(Term.from_json), default_factory=list)
