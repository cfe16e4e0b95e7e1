"""Carts and orders: cart lines, carts, checkout results, orders and provisioning status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .base import Resource, ResourceWithId, _count, _dt, _etag, _many, _raw, _text, computed, key


@dataclass
class CartLineItem(Resource):
    id: int = key(_count)
    catalog_item_id: str = key(_text)
    quantity: int = key(_count)
    billing_cycle: str | None = key(default=None)
    term_duration: str | None = key(default=None)
    friendly_name: str | None = key(default=None)
    participants: list[dict[str, Any]] = key(_many(dict), default_factory=list)
    provisioning_context: dict[str, Any] = key(_raw, default_factory=dict)
    # A line the service refused carries {"error": {"errorCode", "errorDescription"}} (older: code, description).
    error_code: str | None = key(at=("error.errorCode", "error.code"), default=None)
    error_description: str | None = key(at=("error.errorDescription", "error.description"), default=None)

    @property
    def has_error(self) -> bool:
        return self.error_code is not None


@dataclass
class Cart(ResourceWithId):
    status: str | None = key(default=None)
    expiration_timestamp: datetime | None = key(_dt, default=None)
    line_items: list[CartLineItem] = key(_many(CartLineItem.from_json), default_factory=list)
    creation_timestamp: datetime | None = key(_dt, default=None)
    etag: str | None = computed(_etag, default=None)

    @property
    def errors(self) -> list[CartLineItem]:
        return [li for li in self.line_items if li.has_error]


@dataclass
class OrderLineItem(Resource):
    line_item_number: int = key(_count)
    offer_id: str | None = key(default=None)
    subscription_id: str | None = key(default=None)
    term_duration: str | None = key(default=None)
    transaction_type: str | None = key(default=None)
    friendly_name: str | None = key(default=None)
    quantity: int = key(_count, default=0)
    partner_id_on_record: str | None = key(default=None)


@dataclass
class Order(ResourceWithId):
    reference_customer_id: str | None = key(default=None)
    billing_cycle: str | None = key(default=None)
    currency_code: str | None = key(default=None)
    line_items: list[OrderLineItem] = key(_many(OrderLineItem.from_json), default_factory=list)
    creation_date: datetime | None = key(_dt, default=None)
    status: str | None = key(default=None)  # pending | completed | cancelled | unknown


@dataclass
class OrderError(Resource):
    order_group_id: str | None = key()
    code: str | None = key()
    description: str | None = key()


@dataclass
class CheckoutResult(Resource):
    orders: list[Order] = key(_many(Order.from_json), default_factory=list)
    order_errors: list[OrderError] = key(_many(OrderError.from_json), default_factory=list)


@dataclass
class ProvisioningStatus(Resource):
    line_item_number: int = key(_count)
    status: str = key(_text)  # Fulfilled | Unfulfilled | PrefulfillmentPending

    @property
    def is_fulfilled(self) -> bool:
        return self.status.lower() == "fulfilled"
