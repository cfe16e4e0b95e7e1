"""Carts and orders: cart lines, carts, checkout, orders and their provisioning status."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .transport import Transport
from .types import Cart, CartLineItem, CheckoutResult, Order, ProvisioningStatus, set_field

__all__ = ["CartsAndOrders", "reseller_line_item"]


class CartsAndOrders(Transport):
    """Buying: ``/v1/customers/{id}/carts`` (create, read, update, check out) and
    ``/v1/customers/{id}/orders``."""

    # ------------------------------------------------------------------ carts

    def create_cart(
        self,
        customer_id: str,
        line_items: Sequence[CartLineItem | Mapping[str, Any]],
        *,
        partner_on_record_attestation_accepted: bool = True,
        request_id: str | None = None,
    ) -> Cart:
        """``POST /v1/customers/{id}/carts`` -> 201 Cart. Each line item may come back with an
        ``error`` (``CartLineItem.error_code``). A distributor puts the RESELLER's partner id in
        the ``transaction_reseller`` participant (see ``reseller_line_item``)."""
        items = [li.to_json() if isinstance(li, CartLineItem) else dict(li) for li in line_items]
        for i, li in enumerate(items):
            li.setdefault("id", i)
        body = {
            "lineItems": items,
            "PartnerOnRecordAttestationAccepted": partner_on_record_attestation_accepted,
        }
        data = self._json(
            "POST", f"/customers/{self._q(customer_id)}/carts", json=body, request_id=request_id
        )
        return Cart.from_json(data)

    def get_cart(self, customer_id: str, cart_id: str) -> Cart:
        """``GET /v1/customers/{id}/carts/{cartId}``."""
        return self._get(f"/customers/{self._q(customer_id)}/carts/{self._q(cart_id)}", Cart.from_json)

    def update_cart(
        self,
        customer_id: str,
        cart: Cart,
        line_items: Sequence[CartLineItem | Mapping[str, Any]] | None = None,
        *,
        request_id: str | None = None,
    ) -> Cart:
        """``PUT /v1/customers/{id}/carts/{cartId}`` with the whole cart (its raw JSON with the
        line items replaced when ``line_items`` is given)."""
        # UNCONFIRMED: the contract does not spell out the update verb; Microsoft's docs use PUT
        # with the full cart resource.
        body = dict(cart.raw) if cart.raw else {"id": cart.id}
        if line_items is not None:
            items = [li.to_json() if isinstance(li, CartLineItem) else dict(li) for li in line_items]
            for i, li in enumerate(items):
                li.setdefault("id", i)
            set_field(body, "lineItems", items)
        else:
            set_field(body, "lineItems", [li.to_json() for li in cart.line_items])
        data = self._json(
            "PUT",
            f"/customers/{self._q(customer_id)}/carts/{self._q(cart.id)}",
            json=body,
            request_id=request_id,
        )
        return Cart.from_json(data)

    def checkout_cart(self, customer_id: str, cart_id: str, *, request_id: str | None = None) -> CheckoutResult:
        """``POST /v1/customers/{id}/carts/{cartId}/checkout`` (empty body) -> 201 orders and
        orderErrors. Raises ``CartAlreadySubmitted`` (800065), ``CartBeingProcessed`` (409
        800064), ``CustomerUnderReview`` (800073-800075), ``McaMissing`` (13605)."""
        data = self._json(
            "POST",
            f"/customers/{self._q(customer_id)}/carts/{self._q(cart_id)}/checkout",
            request_id=request_id,
        )
        return CheckoutResult.from_json(data)

    # ------------------------------------------------------------------ orders

    def get_order(self, customer_id: str, order_id: str) -> Order:
        """``GET /v1/customers/{id}/orders/{orderId}``."""
        return self._get(f"/customers/{self._q(customer_id)}/orders/{self._q(order_id)}", Order.from_json)

    def list_orders(self, customer_id: str) -> list[Order]:
        """``GET /v1/customers/{id}/orders``."""
        return self._collection(f"/customers/{self._q(customer_id)}/orders", Order.from_json)

    def get_provisioning_status(self, customer_id: str, order_id: str) -> list[ProvisioningStatus]:
        """``GET /v1/customers/{id}/orders/{orderId}/provisioningstatus``."""
        return self._collection(
            f"/customers/{self._q(customer_id)}/orders/{self._q(order_id)}/provisioningstatus",
            ProvisioningStatus.from_json,
        )


def reseller_line_item(
    catalog_item_id: str,
    quantity: int,
    *,
    billing_cycle: str,
    term_duration: str,
    reseller_partner_id: str | None = None,
    friendly_name: str | None = None,
    id: int = 0,
) -> CartLineItem:
    """A cart line; with ``reseller_partner_id`` the reseller goes on record as
    ``transaction_reseller`` (never the distributor's own id: that is error 2072)."""
    participants = (
        [{"key": "transaction_reseller", "value": str(reseller_partner_id)}] if reseller_partner_id else []
    )
    return CartLineItem(
        id=id,
        catalog_item_id=catalog_item_id,
        quantity=quantity,
        billing_cycle=billing_cycle,
        term_duration=term_duration,
        friendly_name=friendly_name,
        participants=participants,
    )
