"""Subscriptions: reading them, and changing them the new-commerce way.

Partner Center changes a subscription by GET, modify, PATCH of the whole resource with
``If-Match: <etag>``. ``subscription_patch_body`` is the only code that builds that body, for the
client's own change methods (``Subscriptions``) and for callers that GET the subscription
themselves (the storefront's change job reads it first to see whether a lost answer already
applied the change).
"""

from __future__ import annotations

from typing import Any, Mapping

import httpx

from . import errors
from .errors import PartnerCenterUnavailable
from .transport import Transport
from .types import Subscription, get_field, set_field

__all__ = ["Subscriptions", "subscription_patch_body", "next_term_instructions"]


def next_term_instructions(current: Subscription, quantity: int) -> dict[str, Any]:
    """``scheduledNextTermInstructions`` for ``quantity`` seats from the next term.

    The product, term and billing cycle are the ones already scheduled in Partner Center when
    there are any (someone may have scheduled a different billing cycle or term there), else the
    subscription's current ones.
    """
    parts = str(current.offer_id or "").split(":")
    product: dict[str, Any] = {
        "productId": parts[0] if len(parts) >= 2 else current.offer_id or "",
        "skuId": parts[1] if len(parts) >= 2 else None,
        "availabilityId": parts[2] if len(parts) >= 3 else None,
        "billingCycle": current.billing_cycle,
        "termDuration": current.term_duration,
    }
    scheduled = current.scheduled_next_term_instructions
    if scheduled:
        product.update(scheduled.to_json()["product"])
    return {"product": {k: v for k, v in product.items() if v is not None}, "quantity": quantity}


def subscription_patch_body(
    current: Subscription,
    *,
    quantity: int | None = None,
    friendly_name: str | None = None,
    auto_renew: bool | None = None,
    status: str | None = None,
    next_term_quantity: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of ``PATCH /v1/customers/{id}/subscriptions/{subId}``: ``current`` as Partner
    Center gave it (every field kept, scheduled next-term instructions included) with the changes
    applied under whatever casing the resource uses.

    * ``quantity``: seats now (a reduction only inside the 7-day window, else 800090);
    * ``friendly_name``, ``auto_renew``;
    * ``status``: ``"deleted"`` cancels (inside the window), ``"suspended"`` suspends;
    * ``next_term_quantity``: seats from the next term (see ``next_term_instructions``); turns
      auto-renew on, which scheduled changes need;
    * ``changes``: any other fields, by their JSON names, applied last.
    """
    fields: dict[str, Any] = {}
    if quantity is not None:
        fields["quantity"] = quantity
    if friendly_name is not None:
        fields["friendlyName"] = friendly_name
    if auto_renew is not None:
        fields["autoRenewEnabled"] = auto_renew
    if status is not None:
        fields["status"] = status
    if next_term_quantity is not None:
        fields["autoRenewEnabled"] = True
        fields["scheduledNextTermInstructions"] = next_term_instructions(current, next_term_quantity)
    fields.update(changes or {})
    body = dict(current.raw)
    for key, value in fields.items():
        set_field(body, key, value)
    return body


class Subscriptions(Transport):
    """``/v1/customers/{id}/subscriptions``: read, and change by GET, modify, PATCH with
    ``If-Match`` (the body from ``subscription_patch_body``)."""

    def list_subscriptions(self, customer_id: str, *, order_id: str | None = None) -> list[Subscription]:
        """``GET /v1/customers/{id}/subscriptions`` (``?order_id=`` for one order's)."""
        params = {"order_id": order_id} if order_id else None
        return self._collection(
            f"/customers/{self._q(customer_id)}/subscriptions", Subscription.from_json, params=params
        )

    def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        """``GET /v1/customers/{id}/subscriptions/{subscriptionId}``."""
        return self._get(f"/customers/{self._q(customer_id)}/subscriptions/{self._q(subscription_id)}",
                         Subscription.from_json)

    def patch_subscription(
        self,
        customer_id: str,
        subscription: Subscription | Mapping[str, Any],
        *,
        etag: str | None = None,
        request_id: str | None = None,
        poll_interval: float = 1.0,
        max_polls: int = 30,
    ) -> Subscription:
        """``PATCH /v1/customers/{id}/subscriptions/{subId}`` with the whole resource and
        ``If-Match: "<etag>"``. 200 -> the updated subscription. 202 + ``Location`` (an update
        that takes longer than expected) -> the ``Location`` is polled until the change shows
        (see ``_poll_subscription``). An etag that is no longer current raises ``EtagMismatch``
        (400 2055); outside the window a reduction raises ``QuantityCannotBeDecreased`` (800090).

        https://learn.microsoft.com/partner-center/developer/update-a-subscription-by-id
        """
        if isinstance(subscription, Subscription):
            body = dict(subscription.raw)
            etag = etag or subscription.etag
            sub_id = subscription.id
        else:
            body = dict(subscription)
            sub_id = str(get_field(body, "id"))
            etag = etag or get_field(get_field(body, "attributes") or {}, "etag")
        headers = {"If-Match": quote_etag(etag)} if etag else {}
        path = f"/customers/{self._q(customer_id)}/subscriptions/{self._q(sub_id)}"
        response = self._call("PATCH", self._url(path), json=body, headers=headers, request_id=request_id)
        if response.status_code == 202:
            return self._poll_subscription(customer_id, sub_id, body, etag, response, poll_interval, max_polls)
        if response.content:
            try:
                return Subscription.from_json(response.json())
            except ValueError:
                pass
        return self.get_subscription(customer_id, sub_id)

    def _poll_subscription(
        self, customer_id: str, sub_id: str, sent: Mapping[str, Any], etag: str | None,
        response: httpx.Response, interval: float, max_polls: int,
    ) -> Subscription:
        """Poll a 202's ``Location`` until the update shows.

        Microsoft: "When the patch operation takes longer than the expected time, the Partner
        Center sends an HTTP status 202 status code and a location header that points to where to
        retrieve the subscription. You can query the subscription periodically to monitor the
        status and quantity changes." (change-the-quantity-of-a-subscription). The Location is
        relative and without ``/v1`` (``/customers/{c}/subscriptions/{s}``). Between polls this
        waits what ``Retry-After`` says (the last one given), else ``interval``. The update has
        landed when the subscription's etag is no longer the one sent (without etags: when the
        changed fields read as sent); a poll answered 202 means not yet.
        """
        location = response.headers.get("Location")
        if not location:
            # UNCONFIRMED: a 202 without Location; the subscription itself is where to look.
            location = f"/customers/{self._q(customer_id)}/subscriptions/{self._q(sub_id)}"
        if location.startswith("/") and not location.startswith("/v1/"):
            url = self._url(location)
        else:
            url = str(response.request.url.join(location))
        wait = _retry_after_or(response, interval)
        for _ in range(max_polls):
            self._sleep(wait)
            response = self._call("GET", url)
            wait = _retry_after_or(response, wait)
            if response.status_code == 202:
                continue
            data = response.json() if response.content else {}
            if not isinstance(data, Mapping) or get_field(data, "offerId") is None:
                # The Location named an operation, not the subscription: read the result.
                return self.get_subscription(customer_id, sub_id)
            current = Subscription.from_json(data)
            if _landed(current, sent, etag):
                return current
        raise PartnerCenterUnavailable(
            202, None, f"subscription {sub_id} update still in progress after {max_polls} polls"
        )

    def update_subscription(
        self,
        customer_id: str,
        subscription_id: str,
        changes: Mapping[str, Any],
        *,
        request_id: str | None = None,
    ) -> Subscription:
        """GET the subscription, apply ``changes`` (JSON field names: ``quantity``,
        ``friendlyName``, ``autoRenewEnabled``, ``status``, ``scheduledNextTermInstructions``),
        PATCH it back with ``If-Match``. Only the PATCH carries ``request_id``."""
        current = self.get_subscription(customer_id, subscription_id)
        body = subscription_patch_body(current, changes=changes)
        return self.patch_subscription(
            customer_id, body, etag=current.etag, request_id=request_id
        )

    def set_subscription_quantity(
        self, customer_id: str, subscription_id: str, quantity: int, *, request_id: str | None = None
    ) -> Subscription:
        """Change seats now (a reduction only inside the 7-day window, else 800090)."""
        return self.update_subscription(customer_id, subscription_id, {"quantity": quantity}, request_id=request_id)

    def set_subscription_auto_renew(
        self, customer_id: str, subscription_id: str, enabled: bool, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(
            customer_id, subscription_id, {"autoRenewEnabled": enabled}, request_id=request_id
        )

    def rename_subscription(
        self, customer_id: str, subscription_id: str, friendly_name: str, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(
            customer_id, subscription_id, {"friendlyName": friendly_name}, request_id=request_id
        )

    def cancel_subscription(
        self, customer_id: str, subscription_id: str, *, request_id: str | None = None
    ) -> Subscription:
        """New-commerce cancel: ``status: "deleted"`` (only within the cancellation window)."""
        return self.update_subscription(customer_id, subscription_id, {"status": "deleted"}, request_id=request_id)

    def suspend_subscription(
        self, customer_id: str, subscription_id: str, *, request_id: str | None = None
    ) -> Subscription:
        return self.update_subscription(customer_id, subscription_id, {"status": "suspended"}, request_id=request_id)

    def schedule_next_term_quantity(
        self, customer_id: str, subscription_id: str, quantity: int, *, request_id: str | None = None
    ) -> Subscription:
        """Schedule a seat count for the next term (the way to reduce outside the window); keeps
        the product, term and billing cycle already scheduled (else the current ones) and makes
        sure auto-renew is on (scheduled changes need it)."""
        current = self.get_subscription(customer_id, subscription_id)
        body = subscription_patch_body(current, next_term_quantity=quantity)
        return self.patch_subscription(customer_id, body, etag=current.etag, request_id=request_id)


def quote_etag(etag: str) -> str:
    """An ETag as Partner Center wants it in ``If-Match``: in double quotes ("ETags values should
    be included in double quotation marks", https://learn.microsoft.com/partner-center/developer/test-and-debug)."""
    etag = etag.strip()
    return etag if etag.startswith('"') or etag.startswith("W/") else f'"{etag}"'


_WATCHED = ("quantity", "status", "friendlyName", "autoRenewEnabled")


def _landed(current: Subscription, sent: Mapping[str, Any], etag: str | None) -> bool:
    if etag and current.etag:
        return current.etag.strip('"') != etag.strip('"')
    return all(get_field(current.raw, k) == get_field(sent, k) for k in _WATCHED if get_field(sent, k) is not None)


def _retry_after_or(response: httpx.Response, default: float) -> float:
    value = errors.parse_retry_after(response.headers.get("Retry-After"))
    return default if value is None else min(value, 60.0)
