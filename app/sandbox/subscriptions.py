"""Partner Center /v1 subscriptions: reading them, and changing them the new-commerce way
(GET, modify, PATCH the whole resource with its etag).

Rules and the pages they follow:

* the etag: a PATCH carries the etag it read, in ``If-Match`` (update-a-subscription shows it on
  the request) or in the body's ``attributes.etag`` (what Microsoft's .NET SDK sends: it PATCHes
  the whole resource and sets no If-Match). One that is no longer current is refused with 400 and
  code 2055 "Etag is no longer valid"
  (https://learn.microsoft.com/partner-center/developer/error-codes), and nothing changes;
* a slow update: "When the patch operation takes longer than the expected time, the Partner Center
  sends an HTTP status 202 status code and a location header that points to where to retrieve the
  subscription" (https://learn.microsoft.com/partner-center/developer/change-the-quantity-of-a-subscription):
  ``Location: /customers/{c}/subscriptions/{s}``, relative and without ``/v1``. The sandbox does
  this when told, with the fault kind ``accepted`` (``SandboxStore.inject_fault``): the change is
  checked at once, applied ``delay`` seconds later on the sandbox clock, and until then the
  subscription reads as it was and another PATCH is refused with 409 800082 "Subscription is not
  ready to be updated" (error-codes page). The next PATCH to a matching path takes the fault,
  whatever its answer (a refused or empty change uses it up too);
* the 7-day (168 h) window for reductions and cancellation, 2002 outside the seat limits, 800091
  suspended, 2011 deleted, 800093 a scheduled change without auto-renew (error-codes page).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from flask import Blueprint, request

from . import catalog
from .commerce import NOT_FOUND_SUBSCRIPTION, owned_or_404, settled
from .resources import new_etag, refundable_batches, subscription_json
from .store import iso
from .web import INVALID_INPUT, PCError, collection, json_response, body_json, query_arg, store
from .webhooks import SUBSCRIPTION_UPDATED, emit

bp = Blueprint("sandbox_subscriptions", __name__)

# https://learn.microsoft.com/partner-center/developer/error-codes
ETAG_NO_LONGER_VALID = 2055
NOT_READY = 800082             # "Subscription is not ready to be updated. Try again after sometime" (409)
QUANTITY_NOT_DECREASABLE = 800090
# "You have passed your {0}-hour cancellation window. We are unable to cancel your purchase"
CANCELLATION_WINDOW_PASSED = 900213
SCHEDULE_NEEDS_AUTO_RENEW = 800093  # "The subscription isn't eligible to be auto-renewed"
OUTSIDE_SEAT_LIMITS = 2002
DELETED = 2011
SUSPENDED = 800091
TERM_INVALID = 800121          # "The term duration provided is invalid."
BILLING_CYCLE_INVALID = 900269  # "The billing cycle is invalid."
AVAILABILITY_NOT_FOUND = 400019

# Seconds a Retry-After on the 202 asks for when the fault names none.
ACCEPTED_RETRY_AFTER = 2


@bp.get("/v1/customers/<tenant_id>/subscriptions")
def list_subscriptions(tenant_id):
    order_id = query_arg("order_id")
    with settled(tenant_id) as (tx, tenant):
        subs = tx.list("subscription", tenant["id"])
        now = tx.now()
    if order_id:
        subs = [s for s in subs if s["orderId"] == order_id]
    return json_response(collection([subscription_json(s, now) for s in subs]))


@bp.get("/v1/customers/<tenant_id>/subscriptions/<sub_id>")
def get_subscription(tenant_id, sub_id):
    with settled(tenant_id) as (tx, tenant):
        sub = owned_or_404(tx, tenant, "subscription", sub_id, NOT_FOUND_SUBSCRIPTION)
        now = tx.now()
    return json_response(subscription_json(sub, now))


_MISSING = object()


def _reduce(sub: dict, count: int, now: datetime) -> None:
    batches = refundable_batches(sub, now)
    if count > sum(b["quantity"] for b in batches):
        raise PCError(400, QUANTITY_NOT_DECREASABLE,
                      f"Subscription quantity can't be decreased by {count}: only seats added within the last "
                      f"7 days can be reduced ({sum(b['quantity'] for b in batches)} refundable now). "
                      "Schedule the reduction for the next term instead.")
    for batch in batches:  # newest first
        take = min(batch["quantity"], count)
        batch["quantity"] -= take
        count -= take
        if count == 0:
            break


def _validate_schedule(schedule: dict, sub: dict) -> dict:
    product = schedule.get("product") or {}
    product_id = product.get("productId") or sub["_productId"]
    sku_id = product.get("skuId") or sub["_skuId"]
    avail = product.get("availabilityId") or catalog.availability_id(product_id, sku_id)
    resolved = catalog.resolve(f"{product_id}:{sku_id}:{avail}")
    if resolved is None:
        raise PCError(404, AVAILABILITY_NOT_FOUND,
                      "Availability not found: scheduledNextTermInstructions.product is not a valid catalog item.")
    prod, sku = resolved
    term = product.get("termDuration") or sub["termDuration"]
    cycle = (product.get("billingCycle") or sub["billingCycle"]).lower()
    if term not in sku["terms"]:
        raise PCError(400, TERM_INVALID, f"The term duration provided is invalid: {term}.")
    if cycle not in sku["terms"][term]:
        raise PCError(400, BILLING_CYCLE_INVALID, f"The billing cycle is invalid: {cycle} for term {term}.")
    quantity = schedule.get("quantity", sub["quantity"])
    if not isinstance(quantity, int) or not sku["minimumQuantity"] <= quantity <= sku["maximumQuantity"]:
        raise PCError(400, OUTSIDE_SEAT_LIMITS, f"Subscription quantity isn't within minimum and maximum allowed "
                                                f"quantity ({sku['minimumQuantity']} to {sku['maximumQuantity']}).")
    return {"product": {"productId": prod["id"], "skuId": sku["id"],
                        "availabilityId": catalog.availability_id(prod["id"], sku["id"]),
                        "billingCycle": cycle, "termDuration": term},
            "quantity": quantity}


def _check_etag(sub: dict, body: dict) -> None:
    """400 2055 unless the caller sends the etag it read (see the module doc)."""
    sent = request.headers.get("If-Match") or (body.get("attributes") or {}).get("etag") or ""
    # ETags travel in double quotes (test-and-debug: "ETags values should be included in double
    # quotation marks"); a weak prefix or bare value is read the same way.
    sent = sent.strip().removeprefix("W/").strip('"')
    if sent != sub["etag"]:
        # UNCONFIRMED: Microsoft documents no separate answer for a PATCH with no etag at all; the
        # sandbox refuses it the same way, so a client that forgets it is caught.
        raise PCError(400, ETAG_NO_LONGER_VALID,
                      "Etag is no longer valid. The subscription changed since it was read (or no etag was "
                      "sent): GET it again and reapply the change.")


def _apply_change(sub: dict, body: dict, now: datetime) -> bool:
    """Apply the PATCH body to ``sub`` in place; False when it changes nothing."""
    status = body.get("status", sub["status"])
    quantity = body.get("quantity", sub["quantity"])
    friendly = body.get("friendlyName", sub["friendlyName"])
    auto = body.get("autoRenewEnabled", sub["autoRenewEnabled"])
    schedule = body.get("scheduledNextTermInstructions", _MISSING)
    schedule_changed = schedule is not _MISSING and (schedule or None) != (sub.get("scheduledNextTermInstructions") or None)
    changed = (status != sub["status"] or quantity != sub["quantity"] or friendly != sub["friendlyName"]
               or auto != sub["autoRenewEnabled"] or schedule_changed)
    if not changed:
        return False
    if sub["status"] in ("deleted", "expired"):
        raise PCError(400, DELETED, f"Subscription with ID {sub['id']} and {sub['status']} status can't be updated.")
    if sub["status"] == "suspended":
        only_reactivation = (status == "active" and quantity == sub["quantity"] and friendly == sub["friendlyName"]
                             and auto == sub["autoRenewEnabled"] and not schedule_changed)
        if not only_reactivation:
            raise PCError(400, SUSPENDED, "Can't update a subscription with suspended status; reactivate it first.")
        sub["status"] = "active"
    elif status == "deleted":
        total = sum(b["quantity"] for b in refundable_batches(sub, now))
        if total < sub["quantity"]:
            raise PCError(400, CANCELLATION_WINDOW_PASSED,
                          "You have passed your 168-hour cancellation window. We are unable to cancel your purchase "
                          "(every seat must still be inside its own 7-day window).")
        sub["status"] = "deleted"
        sub["_cancelledAt"] = iso(now)
        sub["autoRenewEnabled"] = False
        sub["scheduledNextTermInstructions"] = None
    elif status == "suspended":
        sub["status"] = "suspended"
    elif status != "active":
        raise PCError(400, INVALID_INPUT, f"Unsupported status '{status}'.")
    else:
        _apply_active_change(sub, quantity, friendly, auto, schedule if schedule_changed else _MISSING, now)
    sub["etag"] = new_etag()
    return True


def _apply_active_change(sub: dict, quantity, friendly, auto, schedule, now: datetime) -> None:
    if quantity != sub["quantity"]:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise PCError(400, INVALID_INPUT, "quantity must be an integer.")
        if not sub["_min"] <= quantity <= sub["_max"]:
            raise PCError(400, OUTSIDE_SEAT_LIMITS, f"Subscription quantity isn't within minimum and maximum "
                                                    f"allowed quantity ({sub['_min']} to {sub['_max']}).")
        if quantity > sub["quantity"]:
            sub["_batches"].append({"quantity": quantity - sub["quantity"], "addedAt": iso(now)})
        else:
            _reduce(sub, sub["quantity"] - quantity, now)
        sub["quantity"] = quantity
        # An immediate mid-term change wipes scheduled changes.
        sub["scheduledNextTermInstructions"] = None
    if friendly != sub["friendlyName"]:
        if not isinstance(friendly, str) or not 1 <= len(friendly.strip()) <= 128:
            raise PCError(400, INVALID_INPUT, "friendlyName must be 1 to 128 characters.")
        sub["friendlyName"] = friendly.strip()
    if auto != sub["autoRenewEnabled"]:
        if not isinstance(auto, bool):
            raise PCError(400, INVALID_INPUT, "autoRenewEnabled must be true or false.")
        sub["autoRenewEnabled"] = auto
        if not auto:
            sub["scheduledNextTermInstructions"] = None
    if schedule is not _MISSING:
        if not schedule:
            sub["scheduledNextTermInstructions"] = None
        else:
            if not sub["autoRenewEnabled"]:
                raise PCError(400, SCHEDULE_NEEDS_AUTO_RENEW,
                              "The subscription isn't eligible to be auto-renewed: scheduled changes for the next "
                              "term need autoRenewEnabled: true.")
            sub["scheduledNextTermInstructions"] = _validate_schedule(schedule, sub)


def _patch_subscription(tx, tenant: dict, sub_id: str, body: dict, accepted: dict | None):
    sub = owned_or_404(tx, tenant, "subscription", sub_id, NOT_FOUND_SUBSCRIPTION)
    if sub.get("_pending"):
        raise PCError(409, NOT_READY, "Subscription is not ready to be updated. Try again after sometime.")
    _check_etag(sub, body)
    now = tx.now()
    before = copy.deepcopy(sub)
    if not _apply_change(sub, body, now):
        return 200, subscription_json(sub, now), {}
    if accepted is None:
        tx.put("subscription", sub["id"], sub)
        emit(tx, SUBSCRIPTION_UPDATED, f"/customers/{sub['_tenantId']}/subscriptions/{sub['id']}", "subscription")
        return 200, subscription_json(sub, now), {}
    # Slow: keep the resource as it was; the change lands on the sandbox clock (resources.settle).
    retry_after = accepted["retryAfter"] if accepted["retryAfter"] is not None else ACCEPTED_RETRY_AFTER
    seconds = accepted["delay"] if accepted["delay"] is not None else retry_after
    before["_pending"] = {"state": {k: v for k, v in sub.items() if k != "_pending"},
                          "dueAt": iso(now + timedelta(seconds=seconds))}
    tx.put("subscription", sub["id"], before)
    location = f"/customers/{sub['_tenantId']}/subscriptions/{sub['id']}"
    return 202, None, {"Location": location, "Retry-After": str(int(retry_after))}


@bp.patch("/v1/customers/<tenant_id>/subscriptions/<sub_id>")
def patch_subscription(tenant_id, sub_id):
    body = body_json()
    accepted = store().take_fault("PATCH", request.path, kinds=("accepted",))
    with settled(tenant_id) as (tx, tenant):
        status, out, headers = _patch_subscription(tx, tenant, sub_id, body, accepted)
    if out is None:
        response = json_response({}, status, headers)
        response.set_data(b"")
        return response
    return json_response(out, status, headers)
