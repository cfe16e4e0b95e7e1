"""Carts and orders: cart lines, carts, checkout results, orders and provisioning status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .base import _CI, _dt, _etag, _int, _raw, _str


@dataclass
class CartLineItem:
    id: int
    catalog_item_id: str
    quantity: int
    billing_cycle: str | None = None
    term_duration: str | None = None
    friendly_name: str | None = None
    participants: list[dict[str, Any]] = field(default_factory=list)
    provisioning_context: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_description: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def has_error(self) -> bool:
        return self.error_code is not None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CartLineItem":
        j = _CI(data)
        err = j.obj("error")
        return cls(
            id=_int(j.get("id"), 0) or 0,
            catalog_item_id=str(j.get("catalogItemId") or ""),
            quantity=_int(j.get("quantity"), 0) or 0,
            billing_cycle=_str(j.get("billingCycle")),
            term_duration=_str(j.get("termDuration")),
            friendly_name=_str(j.get("friendlyName")),
            participants=[dict(p) for p in j.list("participants") if isinstance(p, Mapping)],
            provisioning_context=_raw(j.get("provisioningContext")),
            error_code=_str(err.get("errorCode") or err.get("code")) if len(err) else None,
            error_description=_str(err.get("errorDescription") or err.get("description"))
            if len(err)
            else None,
            raw=_raw(data),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "catalogItemId": self.catalog_item_id,
            "quantity": self.quantity,
            "provisioningContext": dict(self.provisioning_context),
            "participants": [dict(p) for p in self.participants],
        }
        if self.billing_cycle:
            out["billingCycle"] = self.billing_cycle
        if self.term_duration:
            out["termDuration"] = self.term_duration
        if self.friendly_name:
            out["friendlyName"] = self.friendly_name
        return out


@dataclass
class Cart:
    id: str
    status: str | None = None
    expiration_timestamp: datetime | None = None
    line_items: list[CartLineItem] = field(default_factory=list)
    creation_timestamp: datetime | None = None
    etag: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[CartLineItem]:
        return [li for li in self.line_items if li.has_error]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Cart":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            status=_str(j.get("status")),
            expiration_timestamp=_dt(j.get("expirationTimestamp")),
            line_items=[CartLineItem.from_json(li) for li in j.list("lineItems") if isinstance(li, Mapping)],
            creation_timestamp=_dt(j.get("creationTimestamp")),
            etag=_etag(j),
            raw=_raw(data),
        )


@dataclass
class OrderLineItem:
    line_item_number: int
    offer_id: str | None = None
    subscription_id: str | None = None
    term_duration: str | None = None
    transaction_type: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    partner_id_on_record: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "OrderLineItem":
        j = _CI(data)
        return cls(
            line_item_number=_int(j.get("lineItemNumber"), 0) or 0,
            offer_id=_str(j.get("offerId")),
            subscription_id=_str(j.get("subscriptionId")),
            term_duration=_str(j.get("termDuration")),
            transaction_type=_str(j.get("transactionType")),
            friendly_name=_str(j.get("friendlyName")),
            quantity=_int(j.get("quantity"), 0) or 0,
            partner_id_on_record=_str(j.get("partnerIdOnRecord")),
            raw=_raw(data),
        )


@dataclass
class Order:
    id: str
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    line_items: list[OrderLineItem] = field(default_factory=list)
    creation_date: datetime | None = None
    status: str | None = None  # pending | completed | cancelled | unknown
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Order":
        j = _CI(data)
        return cls(
            id=str(j.get("id") or ""),
            reference_customer_id=_str(j.get("referenceCustomerId")),
            billing_cycle=_str(j.get("billingCycle")),
            currency_code=_str(j.get("currencyCode")),
            line_items=[OrderLineItem.from_json(li) for li in j.list("lineItems") if isinstance(li, Mapping)],
            creation_date=_dt(j.get("creationDate")),
            status=_str(j.get("status")),
            raw=_raw(data),
        )


@dataclass
class OrderError:
    order_group_id: str | None
    code: str | None
    description: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "OrderError":
        j = _CI(data)
        return cls(
            order_group_id=_str(j.get("orderGroupId")),
            code=_str(j.get("code")),
            description=_str(j.get("description")),
            raw=_raw(data),
        )


@dataclass
class CheckoutResult:
    orders: list[Order] = field(default_factory=list)
    order_errors: list[OrderError] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CheckoutResult":
        j = _CI(data)
        return cls(
            orders=[Order.from_json(o) for o in j.list("orders") if isinstance(o, Mapping)],
            order_errors=[OrderError.from_json(e) for e in j.list("orderErrors") if isinstance(e, Mapping)],
            raw=_raw(data),
        )


@dataclass
class ProvisioningStatus:
    line_item_number: int
    status: str  # Fulfilled | Unfulfilled | PrefulfillmentPending
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_fulfilled(self) -> bool:
        return self.status.lower() == "fulfilled"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ProvisioningStatus":
        j = _CI(data)
        return cls(
            line_item_number=_int(j.get("lineItemNumber"), 0) or 0,
            status=str(j.get("status") or ""),
            raw=_raw(data),
        )
