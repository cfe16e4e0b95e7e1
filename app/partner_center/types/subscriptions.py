"""Subscriptions: refundable quantities, next-term instructions and the subscription resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Self

from .base import _CI, FromJson, ResourceWithId, _bool, _count, _dt, _etag, _int, _many, computed, key


def _refundable(detail: Mapping[str, Any]) -> tuple[int, datetime | None]:
    j = _CI(detail)
    return _count(j.get("quantity")), _dt(j.get("allowedUntilDateTime"))


@dataclass
class RefundableQuantity(FromJson):
    total_quantity: int = key(_count, default=0)
    details: list[tuple[int, datetime | None]] = key(_many(_refundable), default_factory=list)  # (quantity, allowed until)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self | None:  # type: ignore[override]
        return super().from_json(data) if isinstance(data, Mapping) else None


@dataclass
class ScheduledNextTerm(FromJson):
    product_id: str | None = key(at="product.productId", default=None)
    sku_id: str | None = key(at="product.skuId", default=None)
    availability_id: str | None = key(at="product.availabilityId", default=None)
    billing_cycle: str | None = key(at="product.billingCycle", default=None)
    term_duration: str | None = key(at="product.termDuration", default=None)
    quantity: int | None = key(_int, default=None)
    custom_term_end_date: datetime | None = key(_dt, default=None)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self | None:  # type: ignore[override]
        return super().from_json(data) if isinstance(data, Mapping) and data else None

    def to_json(self) -> dict[str, Any]:
        product = {
            "productId": self.product_id,
            "skuId": self.sku_id,
            "availabilityId": self.availability_id,
            "billingCycle": self.billing_cycle,
            "termDuration": self.term_duration,
        }
        out: dict[str, Any] = {"product": {k: v for k, v in product.items() if v is not None}}
        if self.quantity is not None:
            out["quantity"] = self.quantity
        return out


def _refund_option(option: Mapping[str, Any]) -> tuple[str | None, datetime | None]:
    j = _CI(option)
    return j.get("type"), _dt(j.get("expiresAt"))


@dataclass
class Subscription(ResourceWithId):
    """https://learn.microsoft.com/partner-center/developer/subscription-resources. For new commerce
    ``offer_id`` is product:sku:availability and ``product_type`` is ``OnlineServicesNCE``;
    ``refund_options`` ((type, expires at) pairs) is there while a cancellation is refunded."""

    offer_id: str | None = key(default=None)
    offer_name: str | None = key(default=None)
    friendly_name: str | None = key(default=None)
    quantity: int = key(_count, default=0)
    status: str | None = key(default=None)  # active | suspended | deleted | expired | pending | disabled
    auto_renew_enabled: bool | None = key(_bool, default=None)
    billing_cycle: str | None = key(default=None)
    term_duration: str | None = key(default=None)
    creation_date: datetime | None = key(_dt, default=None)
    effective_start_date: datetime | None = key(_dt, default=None)
    commitment_end_date: datetime | None = key(_dt, default=None)
    cancellation_allowed_until_date: datetime | None = key(_dt, default=None)
    refundable_quantity: RefundableQuantity | None = key(RefundableQuantity.from_json,
                                                         default=None)
    scheduled_next_term_instructions: ScheduledNextTerm | None = key(
                                                                     ScheduledNextTerm.from_json, default=None)
    order_id: str | None = key(default=None)
    partner_id: str | None = key(default=None)
    product_type: str | None = key(at="productType.id", default=None)
    refund_options: list[tuple[str | None, datetime | None]] = key(_many(_refund_option),
                                                                   default_factory=list)
    etag: str | None = computed(_etag, default=None)
