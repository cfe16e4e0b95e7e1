"""Partner Center /v1 commerce: catalog, carts, checkout, orders and the price sheet
(/v1.0/sales/pricesheets...). Subscriptions are in ``subscriptions.py``.

Error codes are the documented ones (https://learn.microsoft.com/partner-center/developer/error-codes);
a cart line's ``error.errorCode`` is one of the SDK's ``CartErrorCode`` values
(https://learn.microsoft.com/dotnet/api/microsoft.store.partnercenter.models.carts.enums.carterrorcode)."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, stream_with_context

from . import catalog
from .agreements import agreements_api, has_current_mca
from .catalog_data import MARKETS
from .resources import CART_LIFETIME, cart_json, order_json, settle, visible_customer
from .seed import OPERATOR
from .store import iso, parse_iso
from .web import (INVALID_INPUT, PCError, body_json, collection, idempotent, json_response, link,
                  query_arg, setting, store)

bp = Blueprint("sandbox_commerce", __name__)

# From the error-codes page (404 each):
NOT_FOUND = 1000                 # "Not found" (a path the API does not have)
PRODUCT_NOT_FOUND = 400013       # "Product wasn't found"
SKU_NOT_FOUND = 400018           # "SKU wasn't found"
AVAILABILITY_NOT_FOUND = 400019  # "Availability not found"
ORDER_NOT_FOUND = 20000          # "Order ID not found"
NOT_FOUND_SUBSCRIPTION = 20003   # "Subscription with ID {0} not found."
CART_NOT_FOUND = 800008          # "Unable to retrieve cart ID" (unknown or expired: expired carts are gone)
# Cart line errors (CartErrorCode):
QUANTITY_BELOW_ONE = 10010       # InvalidInput: quantity not a positive integer
# BaseOfferSeatQuantityNotMet. UNCONFIRMED: which code a line below the SKU's minimum seats gets;
# this is the documented seat-minimum code.
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
        raise PCError(404, PRODUCT_NOT_FOUND, f"Product {product_id} was not found in market {country}.")
    return product


def _sku_or_404(product: dict, sku_id: str) -> dict:
    sku = catalog.find_sku(product, sku_id)
    if sku is None:
        raise PCError(404, SKU_NOT_FOUND, f"SKU {sku_id} of product {product['id']} was not found.")
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
        raise PCError(404, AVAILABILITY_NOT_FOUND, f"Availability {availability_id} was not found.")
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


def owned_or_404(tx, tenant: dict, kind: str, doc_id: str, code: int) -> dict:
    doc = tx.get(kind, doc_id)
    if doc is None or doc[_OWNER[kind]] != tenant["id"]:
        raise PCError(404, code, f"{kind.capitalize()} {doc_id} was not found.")
    return doc


def _get_cart(tx, tenant: dict, cart_id: str) -> dict:
    cart = owned_or_404(tx, tenant, "cart", cart_id, CART_NOT_FOUND)
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


def _checkout(tx, tenant_id: str, cart_id: str):
    tenant = visible_customer(tx, tenant_id)
    cart = _get_cart(tx, tenant, cart_id)
    if cart["status"] != "Active":
        raise PCError(400, 800065, "The cart has already been submitted.")
    if tenant.get("underReview"):
        raise PCError(403, 800073, "The customer account is under review; orders cannot be placed until "
                                   "the review is complete.")
    if agreements_api() and not has_current_mca(tx, tenant):  # only where Microsoft has the agreements API
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
def settled(tenant_id: str):
    """A write transaction with the customer's orders/subscriptions settled."""
    with store().tx() as tx:
        tenant = visible_customer(tx, tenant_id)
        settle(tx, tenant["id"], setting("SANDBOX_ORDER_DELAY_SECONDS"))
        yield tx, tenant


@bp.get("/v1/customers/<tenant_id>/orders")
def list_orders(tenant_id):
    with settled(tenant_id) as (tx, tenant):
        orders = tx.list("order", tenant["id"])
    return json_response(collection([_order_out(o) for o in orders]))


@bp.get("/v1/customers/<tenant_id>/orders/<order_id>")
def get_order(tenant_id, order_id):
    with settled(tenant_id) as (tx, tenant):
        order = owned_or_404(tx, tenant, "order", order_id, ORDER_NOT_FOUND)
    return json_response(_order_out(order))


@bp.get("/v1/customers/<tenant_id>/orders/<order_id>/provisioningstatus")
def provisioning_status(tenant_id, order_id):
    with settled(tenant_id) as (tx, tenant):
        order = owned_or_404(tx, tenant, "order", order_id, ORDER_NOT_FOUND)
    items = [{"lineItemNumber": line["lineItemNumber"], "status": line["_provisioning"],
              "quantityProvisioningInformation": [],
              "attributes": {"objectType": "OrderLineItemProvisioningStatus"}}
             for line in order["lineItems"]]
    return json_response(collection(items))
