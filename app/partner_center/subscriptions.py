"""Subscriptions: the body of a subscription change, built in one place.

Partner Center changes a subscription by GET, modify, PATCH of the whole resource with
``If-Match: <etag>``. ``subscription_patch_body`` is the only code that builds that body, for the
client's own change methods and for callers that GET the subscription themselves (the
storefront's change job reads it first to see whether a lost answer already applied the change).
"""

from __future__ import annotations

from typing import Any, Mapping

from .types import Subscription, set_field

__all__ = ["subscription_patch_body", "next_term_instructions"]


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
