"""Partner Center /v1 commerce: catalog, carts, checkout, orders,
subscriptions, and the price sheet (/v1.0/sales/pricesheets...)."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, request, stream_with_context

from . import catalog
from .catalog_data import MARKETS
from .resources import (CART_LIFETIME, cart_json, new_etag, order_json, refundable_batches,
                        settle, subscription_json, visible_customer)
from .seed import OPERATOR
from .store import iso, parse_iso
from .web import (INVALID_INPUT, PCError, body_json, collection, idempotent, json_response, link,
                  query_arg, require_app_user, setting, store)

bp = Blueprint("sandbox_commerce", __name__)

# UNCONFIRMED codes (not in the contract); the sandbox's choices:
NOT_FOUND = 2003           # product / SKU / availability / order / subscription not found
CART_NOT_FOUND = 800063    # cart unknown or expired (expired carts are gone)
PRECONDITION_FAILED = 412  # If-Match etag mismatch (HTTP 412)
CANCEL_NOT_ALLOWED = 800090  # cancelling outside the 7-day window reuses "quantity cannot be decreased"
SCHEDULE_NEEDS_AUTO_RENEW = 800093
QUANTITY_BELOW_ONE = 10019   # quantity not a positive integer
QUANTITY_BELOW_MINIMUM = 10018


def _country(required: bool = True) -> str:
    country = (query_arg("country") or "").upper()
    if required and not re.fullmatch(r"[A-Z]{2}", country):
        raise PCError(400, INVALID_INPUT, "The country query parameter (ISO 3166-1 alpha-2) is required.")
    return country


# catalog ---------------------------------------------------------------------

@bp.get("/v1/products")
def products():
    country = _country()
    target = query_arg("targetView")
    if not target:
        raise PCError(400, INVALID_INPUT, "The targetView query parameter is required.")
    if country not in MARKETS or target.lower() != "onlineservices":
        return json_response(collection([]))
    items = [catalog.product_json(p, country) for p in catalog.PRODUCTS]
    return json_response(collection(items, {"self": link(
        f"/products?country={country}&targetView={target}")}))


def _product_or_404(product_id: str, country: str) -> dict:
    product = catalog.find_product(product_id)
    if product is None or country not in MARKETS:
        raise PCError(404, NOT_FOUND, f"Product {product_id} was not found in market {country}.")
    return product


def _sku_or_404(product: dict, sku_id: str) -> dict:
    sku = catalog.find_sku(product, sku_id)
    if sku is None:
        raise PCError(404, NOT_FOUND, f"SKU {sku_id} of product {product['id']} was not found.")
    return sku


@bp.get("/v1/products/<product_id>")
def product(product_id):
    country = _country()
    return json_response(catalog.product_json(_product_or_404(product_id, country), country))


@bp.get("/v1/products/<product_id>/skus")
def skus(product_id):
    country = _country()
    if country not in MARKETS:
        return json_response(collection([]))
    product = _product_or_404(product_id, country)
    return json_response(collection([catalog.sku_json(product, s, country) for s in product["skus"]]))


@bp.get("/v1/products/<product_id>/skus/<sku_id>")
def sku(product_id, sku_id):
    country = _country()
    product = _product_or_404(product_id, country)
    return json_response(catalog.sku_json(product, _sku_or_404(product, sku_id), country))


@bp.get("/v1/products/<product_id>/skus/<sku_id>/availabilities")
def availabilities(product_id, sku_id):
    country = _country()
    if country not in MARKETS:
        return json_response(collection([]))
    product = _product_or_404(product_id, country)
    sku_ = _sku_or_404(product, sku_id)
    return json_response(collection([catalog.availability_json(product, sku_, country)]))


@bp.get("/v1/products/<product_id>/skus/<sku_id>/availabilities/<availability_id>")
def availability(product_id, sku_id, availability_id):
    country = _country()
    product = _product_or_404(product_id, country)
    sku_ = _sku_or_404(product, sku_id)
    if catalog.availability_id(product["id"], sku_["id"]) != availability_id.upper():
        raise PCError(404, NOT_FOUND, f"Availability {availability_id} was not found.")
    return json_response(catalog.availability_json(product, sku_, country))


# price sheet -------------------------------------------------------------------

PRICE_SHEET_RE = re.compile(
    r"^pricesheets\(Market='(?P<market>[A-Za-z]{2})',PricesheetView='(?P<view>[A-Za-z]+)'\)/\$value$")


def _month_start(dt: datetime, months: int = 0) -> datetime:
    month = dt.month - 1 + months
    return datetime(dt.year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)


@bp.get("/v1.0/sales/<path:rest>")
def price_sheet(rest):
    match = PRICE_SHEET_RE.match(rest)
    if not match:
        raise PCError(404, NOT_FOUND, "Resource not found.")
    require_app_user()
    market = match["market"].upper()
    if match["view"].lower() != "updatedlicensebased":
        raise PCError(400, INVALID_INPUT, "PricesheetView must be updatedlicensebased.")
    if market not in MARKETS:
        raise PCError(400, INVALID_INPUT, f"Market {market} is not supported.")
    timeline = (query_arg("timeline") or "current").lower()
    shift = {"current": 0, "history": -1, "future": 1}.get(timeline)
    if shift is None:
        raise PCError(400, INVALID_INPUT, "timeline must be current, history or future.")
    now = store().now()
    start = _month_start(now, shift)
    end = _month_start(now, shift + 1) - timedelta(seconds=1)
    filename = f"NCE_LicenseBased_{market}_{start.strftime('%Y%m')}.csv"
    response = Response(stream_with_context(catalog.price_sheet_csv(market, start, end)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# carts -------------------------------------------------------------------------

def _participant_mpn(line: dict) -> str | None:
    for participant in line.get("participants") or []:
        key = str(participant.get("key", "")).lower().replace("_", "")
        if key == "transactionreseller":
            return str(participant.get("value", "")).strip()
    return None


def _line_error(code: int, description: str) -> dict:
    return {"errorCode": code, "errorDescription": description}


def _validate_line(tx, raw: dict, index: int, attested: bool, currency: str | None) -> dict:
    line = {
        "id": raw.get("id", index),
        "catalogItemId": raw.get("catalogItemId"),
        "quantity": raw.get("quantity"),
        "currencyCode": currency,
        "billingCycle": raw.get("billingCycle"),
        "termDuration": raw.get("termDuration"),
        "participants": raw.get("participants") or [],
        "provisioningContext": raw.get("provisioningContext") or {},
    }
    if raw.get("friendlyName"):
        line["friendlyName"] = raw["friendlyName"]
    resolved = catalog.resolve(raw.get("catalogItemId") or "")
    if resolved is None:
        line["error"] = _line_error(10001, f"Catalog item id {raw.get('catalogItemId')} is not valid.")
        return line
    product, sku = resolved
    line["_productId"], line["_skuId"] = product["id"], sku["id"]
    term = raw.get("termDuration")
    cycle = str(raw.get("billingCycle") or "").lower()
    line["billingCycle"] = cycle
    if term not in sku["terms"]:
        line["error"] = _line_error(10010, f"Term duration {term} is not offered for {sku['title']}.")
        return line
    if cycle not in sku["terms"][term]:
        line["error"] = _line_error(10013, f"Billing cycle {cycle or 'none'} is not supported for term {term} "
                                           f"of {sku['title']}.")
        return line
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        line["error"] = _line_error(QUANTITY_BELOW_ONE, "Quantity must be a whole number of at least 1.")
        return line
    if quantity < sku["minimumQuantity"]:
        line["error"] = _line_error(QUANTITY_BELOW_MINIMUM,
                                    f"Quantity {quantity} is below the minimum of {sku['minimumQuantity']} "
                                    f"seats for {sku['title']}.")
        return line
    if quantity > sku["maximumQuantity"]:
        line["error"] = _line_error(10015, f"Quantity {quantity} exceeds the maximum of "
                                           f"{sku['maximumQuantity']} seats for {sku['title']}.")
        return line
    if not attested:
        line["error"] = _line_error(10012, "The partner of record attestation was not accepted "
                                           "(PartnerOnRecordAttestationAccepted must be true).")
        return line
    mpn = _participant_mpn(raw)
    if mpn:
        if mpn == OPERATOR["mpnId"]:
            line["error"] = _line_error(2072, "The indirect provider's own partner ID cannot be used as the "
                                              "transaction reseller (partner of record).")
            return line
        reseller = tx.get("reseller", mpn)
        if reseller is None:
            line["error"] = _line_error(800015, f"MPN id {mpn} was not found.")
            return line
        if not reseller["inNetwork"]:
            line["error"] = _line_error(800016, f"MPN id {mpn} is not a valid indirect reseller of this partner.")
            return line
    line["_partnerMpn"] = mpn
    return line


def _build_lines(tx, tenant: dict, body: dict) -> list[dict]:
    items = body.get("lineItems")
    if not isinstance(items, list) or not items:
        raise PCError(400, INVALID_INPUT, "lineItems must be a non-empty list.")
    # UNCONFIRMED: the sandbox requires the attestation on every cart
    # (defensive: a client that always sends it works against both readings).
    attested = body.get("partnerOnRecordAttestationAccepted") is True
    market = MARKETS.get(tenant["billingProfile"]["defaultAddress"].get("country", "").upper())
    currency = market["currency"] if market else None
    return [_validate_line(tx, item if isinstance(item, dict) else {}, i, attested, currency)
            for i, item in enumerate(items)]


# The field naming the customer a document belongs to: another customer's is as missing as one
# that never was.
_OWNER = {"cart": "_tenantId", "order": "referenceCustomerId", "subscription": "_tenantId"}


def _owned_or_404(tx, tenant: dict, kind: str, doc_id: str, code: int = NOT_FOUND) -> dict:
    doc = tx.get(kind, doc_id)
    if doc is None or doc[_OWNER[kind]] != tenant["id"]:
        raise PCError(404, code, f"{kind.capitalize()} {doc_id} was not found.")
    return doc


def _get_cart(tx, tenant: dict, cart_id: str) -> dict:
    cart = _owned_or_404(tx, tenant, "cart", cart_id, CART_NOT_FOUND)
    if cart["status"] == "Active" and parse_iso(cart["expirationTimestamp"]) <= tx.now():
        raise PCError(404, CART_NOT_FOUND, f"Cart {cart_id} has expired.")
    return cart


def _create_cart(tx, tenant_id: str, body: dict):
    tenant = visible_customer(tx, tenant_id)
    lines = _build_lines(tx, tenant, body)
    now = tx.now()
    cart = {
        "id": str(uuid.uuid4()),
        "creationTimestamp": iso(now),
        "lastModifiedTimestamp": iso(now),
        "expirationTimestamp": iso(now + CART_LIFETIME),
        "lastModifiedUser": "",
        "status": "Active",
        "lineItems": lines,
        "partnerOnRecordAttestationAccepted": body.get("partnerOnRecordAttestationAccepted") is True,
        "_tenantId": tenant["id"],
    }
    tx.put("cart", cart["id"], cart, parent=tenant["id"])
    return 201, cart_json(cart)


@bp.post("/v1/customers/<tenant_id>/carts")
def create_cart(tenant_id):
    body = body_json()
    return idempotent(f"POST carts {tenant_id.lower()}", lambda tx: _create_cart(tx, tenant_id, body))


@bp.get("/v1/customers/<tenant_id>/carts/<cart_id>")
def get_cart(tenant_id, cart_id):
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
        cart = _get_cart(tx, tenant, cart_id)
    return json_response(cart_json(cart))


@bp.put("/v1/customers/<tenant_id>/carts/<cart_id>")
def update_cart(tenant_id, cart_id):
    body = body_json()
    with store().tx() as tx:
        tenant = visible_customer(tx, tenant_id)
        cart = _get_cart(tx, tenant, cart_id)
        if cart["status"] != "Active":
            raise PCError(400, 800065, "The cart has already been submitted.")
        if "partnerOnRecordAttestationAccepted" in body:
            cart["partnerOnRecordAttestationAccepted"] = body["partnerOnRecordAttestationAccepted"] is True
        body = dict(body, partnerOnRecordAttestationAccepted=cart["partnerOnRecordAttestationAccepted"])
        cart["lineItems"] = _build_lines(tx, tenant, body)
        cart["lastModifiedTimestamp"] = iso(tx.now())
        tx.put("cart", cart["id"], cart)
    # UNCONFIRMED: 201 as for creation (a client should accept any 2xx).
    return json_response(cart_json(cart), 201)


def _has_mca(tx, tenant_id: str) -> bool:
    return any(a["type"] == "MicrosoftCustomerAgreement" for a in tx.list("agreement", tenant_id))


def _checkout(tx, tenant_id: str, cart_id: str):
    tenant = visible_customer(tx, tenant_id)
    cart = _get_cart(tx, tenant, cart_id)
    if cart["status"] != "Active":
        raise PCError(400, 800065, "The cart has already been submitted.")
    if tenant.get("underReview"):
        raise PCError(403, 800073, "The customer account is under review; orders cannot be placed until "
                                   "the review is complete.")
    if not _has_mca(tx, tenant["id"]):
        raise PCError(403, 13605, "The customer has not accepted the Microsoft Customer Agreement. "
                                  "Attest the customer's acceptance before purchasing.")
    country = tenant["billingProfile"]["defaultAddress"].get("country", "").upper()
    market = MARKETS.get(country)
    if market is None:
        raise PCError(400, 800070, f"The offer is not available in the customer's country {country}.")
    now = tx.now()
    orders, errors, groups = [], [], {}
    for line in cart["lineItems"]:
        key = line["billingCycle"] if not line.get("error") else f"error-{line['id']}"
        if key not in groups:
            groups[key] = str(len(groups))
        line["orderGroup"] = groups[key]
        if line.get("error"):
            errors.append({"orderGroupId": line["orderGroup"], "code": line["error"]["errorCode"],
                           "description": line["error"]["errorDescription"]})
    for cycle, group_id in groups.items():
        if cycle.startswith("error-"):
            continue
        lines = [l for l in cart["lineItems"] if l["orderGroup"] == group_id]
        order = {
            "id": str(uuid.uuid4()),
            "alternateId": uuid.uuid4().hex[:12],
            "referenceCustomerId": tenant["id"],
            "billingCycle": cycle,
            "currencyCode": market["currency"],
            "currencySymbol": market["symbol"],
            "lineItems": [],
            "creationDate": iso(now),
            "status": "pending",
            "transactionType": "UserPurchase",
            "_country": country,
            "_cartId": cart["id"],
            "_orderGroup": group_id,
        }
        for number, line in enumerate(lines):
            item = {
                "lineItemNumber": number,
                "offerId": line["catalogItemId"],
                "termDuration": line["termDuration"],
                "transactionType": "New",
                "friendlyName": line.get("friendlyName") or catalog.find_sku(
                    catalog.find_product(line["_productId"]), line["_skuId"])["title"],
                "quantity": line["quantity"],
                "provisioningContext": line.get("provisioningContext") or {},
                "_productId": line["_productId"],
                "_skuId": line["_skuId"],
                "_provisioning": "PrefulfillmentPending",
            }
            if line.get("_partnerMpn"):
                item["partnerIdOnRecord"] = line["_partnerMpn"]
            order["lineItems"].append(item)
        tx.put("order", order["id"], order, parent=tenant["id"])
        orders.append(order)
    cart["status"] = "Ordered"
    cart["lastModifiedTimestamp"] = iso(now)
    cart["_orderIds"] = [o["id"] for o in orders]
    tx.put("cart", cart["id"], cart)
    # UNCONFIRMED: lines that carry an error do not fail the whole checkout;
    # they come back in orderErrors (one per line) while valid lines are ordered.
    return 201, {"orders": [_order_out(o) for o in orders], "orderErrors": errors,
                 "attributes": {"objectType": "CartCheckoutResult"}}


@bp.post("/v1/customers/<tenant_id>/carts/<cart_id>/checkout")
def checkout(tenant_id, cart_id):
    return idempotent(f"POST checkout {tenant_id.lower()} {cart_id.lower()}",
                      lambda tx: _checkout(tx, tenant_id, cart_id))


# orders ------------------------------------------------------------------------

def _order_out(order: dict) -> dict:
    body = order_json(order)
    for item in body["lineItems"]:
        if not item.get("subscriptionId"):
            item.pop("subscriptionId", None)
    return body


@contextmanager
def _settled(tenant_id: str):
    """A write transaction with the customer's orders/subscriptions settled."""
    with store().tx() as tx:
        tenant = visible_customer(tx, tenant_id)
        settle(tx, tenant["id"], setting("SANDBOX_ORDER_DELAY_SECONDS"))
        yield tx, tenant


@bp.get("/v1/customers/<tenant_id>/orders")
def list_orders(tenant_id):
    with _settled(tenant_id) as (tx, tenant):
        orders = tx.list("order", tenant["id"])
    return json_response(collection([_order_out(o) for o in orders]))


@bp.get("/v1/customers/<tenant_id>/orders/<order_id>")
def get_order(tenant_id, order_id):
    with _settled(tenant_id) as (tx, tenant):
        order = _owned_or_404(tx, tenant, "order", order_id)
    return json_response(_order_out(order))


@bp.get("/v1/customers/<tenant_id>/orders/<order_id>/provisioningstatus")
def provisioning_status(tenant_id, order_id):
    with _settled(tenant_id) as (tx, tenant):
        order = _owned_or_404(tx, tenant, "order", order_id)
    items = [{"lineItemNumber": line["lineItemNumber"], "status": line["_provisioning"],
              "quantityProvisioningInformation": [],
              "attributes": {"objectType": "OrderLineItemProvisioningStatus"}}
             for line in order["lineItems"]]
    return json_response(collection(items))


# subscriptions -------------------------------------------------------------------

@bp.get("/v1/customers/<tenant_id>/subscriptions")
def list_subscriptions(tenant_id):
    order_id = query_arg("order_id")
    with _settled(tenant_id) as (tx, tenant):
        subs = tx.list("subscription", tenant["id"])
        now = tx.now()
    if order_id:
        subs = [s for s in subs if s["orderId"] == order_id]
    return json_response(collection([subscription_json(s, now) for s in subs]))


@bp.get("/v1/customers/<tenant_id>/subscriptions/<sub_id>")
def get_subscription(tenant_id, sub_id):
    with _settled(tenant_id) as (tx, tenant):
        sub = _owned_or_404(tx, tenant, "subscription", sub_id)
        now = tx.now()
    return json_response(subscription_json(sub, now))


_MISSING = object()


def _reduce(sub: dict, count: int, now: datetime) -> None:
    batches = refundable_batches(sub, now)
    if count > sum(b["quantity"] for b in batches):
        raise PCError(400, 800090,
                      f"Quantity cannot be decreased by {count}: only seats added within the last 7 days "
                      f"can be reduced ({sum(b['quantity'] for b in batches)} refundable now). "
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
        raise PCError(400, 10001, "scheduledNextTermInstructions.product is not a valid catalog item.")
    prod, sku = resolved
    term = product.get("termDuration") or sub["termDuration"]
    cycle = (product.get("billingCycle") or sub["billingCycle"]).lower()
    if term not in sku["terms"] or cycle not in sku["terms"][term]:
        raise PCError(400, 10013, f"Term {term} with billing cycle {cycle} is not supported.")
    quantity = schedule.get("quantity", sub["quantity"])
    if not isinstance(quantity, int) or not sku["minimumQuantity"] <= quantity <= sku["maximumQuantity"]:
        raise PCError(400, 2002, f"Quantity must be between {sku['minimumQuantity']} and "
                                 f"{sku['maximumQuantity']}.")
    return {"product": {"productId": prod["id"], "skuId": sku["id"],
                        "availabilityId": catalog.availability_id(prod["id"], sku["id"]),
                        "billingCycle": cycle, "termDuration": term},
            "quantity": quantity}


def _patch_subscription(tx, tenant: dict, sub_id: str, body: dict):
    sub = _owned_or_404(tx, tenant, "subscription", sub_id)
    expected = request.headers.get("If-Match") or (body.get("attributes") or {}).get("etag")
    if expected and expected.strip().removeprefix("W/").strip('"') != sub["etag"]:
        # UNCONFIRMED: status and code for a stale etag; 412 Precondition Failed.
        raise PCError(412, PRECONDITION_FAILED,
                      "The subscription was modified since it was read (If-Match etag mismatch). "
                      "GET it again and reapply the change.")
    now = tx.now()
    status = body.get("status", sub["status"])
    quantity = body.get("quantity", sub["quantity"])
    friendly = body.get("friendlyName", sub["friendlyName"])
    auto = body.get("autoRenewEnabled", sub["autoRenewEnabled"])
    schedule = body.get("scheduledNextTermInstructions", _MISSING)
    schedule_changed = schedule is not _MISSING and (schedule or None) != (sub.get("scheduledNextTermInstructions") or None)
    changed = (status != sub["status"] or quantity != sub["quantity"] or friendly != sub["friendlyName"]
               or auto != sub["autoRenewEnabled"] or schedule_changed)
    if not changed:
        return 200, subscription_json(sub, now)
    if sub["status"] in ("deleted", "expired"):
        raise PCError(400, 2011, f"The subscription is {sub['status']} and cannot be changed.")
    if sub["status"] == "suspended":
        only_reactivation = (status == "active" and quantity == sub["quantity"] and friendly == sub["friendlyName"]
                             and auto == sub["autoRenewEnabled"] and not schedule_changed)
        if not only_reactivation:
            raise PCError(400, 800091, "The subscription is suspended; reactivate it before changing it.")
        sub["status"] = "active"
    elif status == "deleted":
        total = sum(b["quantity"] for b in refundable_batches(sub, now))
        if total < sub["quantity"]:
            raise PCError(400, CANCEL_NOT_ALLOWED,
                          "The subscription can only be cancelled within 7 days of purchase or renewal, "
                          "with every seat still inside its own 7-day window.")
        sub["status"] = "deleted"
        sub["_cancelledAt"] = iso(now)
        sub["autoRenewEnabled"] = False
        sub["scheduledNextTermInstructions"] = None
    elif status == "suspended":
        sub["status"] = "suspended"
    elif status != "active":
        raise PCError(400, INVALID_INPUT, f"Unsupported status '{status}'.")
    else:
        if quantity != sub["quantity"]:
            if not isinstance(quantity, int) or isinstance(quantity, bool):
                raise PCError(400, INVALID_INPUT, "quantity must be an integer.")
            if not sub["_min"] <= quantity <= sub["_max"]:
                raise PCError(400, 2002, f"Quantity must be between {sub['_min']} and {sub['_max']}.")
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
        if schedule_changed:
            if not schedule:
                sub["scheduledNextTermInstructions"] = None
            else:
                if not sub["autoRenewEnabled"]:
                    raise PCError(400, SCHEDULE_NEEDS_AUTO_RENEW,
                                  "Scheduled changes for the next term need autoRenewEnabled: true.")
                sub["scheduledNextTermInstructions"] = _validate_schedule(schedule, sub)
    sub["etag"] = new_etag()
    tx.put("subscription", sub["id"], sub)
    return 200, subscription_json(sub, now)


@bp.patch("/v1/customers/<tenant_id>/subscriptions/<sub_id>")
def patch_subscription(tenant_id, sub_id):
    body = body_json()
    with _settled(tenant_id) as (tx, tenant):
        status, out = _patch_subscription(tx, tenant, sub_id, body)
    return json_response(out, status)
