"""Subscriptions: refundable quantities, next-term instructions and the subscription resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .base import _CI, _bool, _dt, _etag, _int, _raw, _str


@dataclass
class RefundableQuantity:
    total_quantity: int = 0
    details: list[tuple[int, datetime | None]] = field(default_factory=list)  # (quantity, allowed until)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "RefundableQuantity | None":
        if not isinstance(data, Mapping):
            return None
        j = _CI(data)
        details = []
        for d in j.list("details"):
            if isinstance(d, Mapping):
                dj = _CI(d)
                details.append((_int(dj.get("quantity"), 0) or 0, _dt(dj.get("allowedUntilDateTime"))))
        return cls(total_quantity=_int(j.get("totalQuantity"), 0) or 0, details=details)


@dataclass
class ScheduledNextTerm:
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    quantity: int | None = None
    custom_term_end_date: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "ScheduledNextTerm | None":
        if not isinstance(data, Mapping) or not data:
            return None
        j = _CI(data)
        p = j.obj("product")
        return cls(
            product_id=_str(p.get("productId")),
            sku_id=_str(p.get("skuId")),
            availability_id=_str(p.get("availabilityId")),
            billing_cycle=_str(p.get("billingCycle")),
            term_duration=_str(p.get("termDuration")),
            quantity=_int(j.get("quantity")),
            custom_term_end_date=_dt(j.get("customTermEndDate")),
        )

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


@dataclass
class Subscription:
    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    status: str | None = None  # active | suspended | deleted | expired | pending | disabled
    auto_renew_enabled: bool | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    creation_date: datetime | None = None
    effective_start_date: datetime | None = None
    commitment_end_date: datetime | None = None
    cancellation_allowed_until_date: datetime | None = None
    refundable_quantity: RefundableQuantity | None = None
    scheduled_next_term_instructions: ScheduledNextTerm | None = None
    order_id: str | None = None
    partner_id: str | None = None
    etag: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Subscription":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            offer_id=_str(j.get("offerId")),
            offer_name=_str(j.get("offerName")),
            friendly_name=_str(j.get("friendlyName")),
            quantity=_int(j.get("quantity"), 0) or 0,
            status=_str(j.get("status")),
            auto_renew_enabled=_bool(j.get("autoRenewEnabled")),
            billing_cycle=_str(j.get("billingCycle")),
            term_duration=_str(j.get("termDuration")),
            creation_date=_dt(j.get("creationDate")),
            effective_start_date=_dt(j.get("effectiveStartDate")),
            commitment_end_date=_dt(j.get("commitmentEndDate")),
            cancellation_allowed_until_date=_dt(j.get("cancellationAllowedUntilDate")),
            refundable_quantity=RefundableQuantity.from_json(j.get("refundableQuantity")),
            scheduled_next_term_instructions=ScheduledNextTerm.from_json(
                j.get("scheduledNextTermInstructions")
            ),
            order_id=_str(j.get("orderId")),
            partner_id=_str(j.get("partnerId")),
            etag=_etag(j),
            raw=_raw(data),
        )
