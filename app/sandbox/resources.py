"""Resource rendering and the rules that move resources along the sandbox
clock (orders completing, subscriptions renewing, the 7-day refund window)."""

from __future__ import annotations

import calendar
import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from . import catalog
from .store import Tx, iso, parse_iso
from .web import PCError, link
from .webhooks import SUBSCRIPTION_UPDATED, emit

REFUND_WINDOW = timedelta(hours=168)  # 7 days since 18 March 2022 (72 h before)
CART_LIFETIME = timedelta(days=7)

# UNCONFIRMED: Partner Center answers either 404 60003 or 403 20002 for a
# customer without a relationship to the caller; the sandbox picks 404 60003.
CUSTOMER_NOT_FOUND = 60003


def public(doc: Any) -> Any:
    """Drop the sandbox's internal keys (those starting with ``_``)."""
    if isinstance(doc, dict):
        return {k: public(v) for k, v in doc.items() if not k.startswith("_")}
    if isinstance(doc, list):
        return [public(v) for v in doc]
    return doc


def new_etag() -> str:
    return uuid.uuid4().hex


def add_months(dt: datetime, months: int) -> datetime:
    month = dt.month - 1 + months
    year = dt.year + month // 12
    month = month % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return dt.replace(year=year, month=month, day=day)


# customers -------------------------------------------------------------------

def billing_etag(tenant: dict) -> str:
    """The billing profile's etag: a digest of its content, so it changes whenever the profile does
    (and a GET never has to write one)."""
    content = json.dumps(tenant["billingProfile"], sort_keys=True).encode()
    return hashlib.sha256(content).hexdigest()[:32]


def billing_profile_json(tenant: dict) -> dict:
    """``GET /v1/customers/{id}/profiles/billing``, the etag in ``attributes.etag``
    (https://learn.microsoft.com/partner-center/developer/get-all-of-a-customer-s-billing-profiles)."""
    return dict(tenant["billingProfile"], id=tenant["id"],
                links={"self": link(f"/customers/{tenant['id']}/profiles/billing")},
                attributes={"etag": billing_etag(tenant), "objectType": "CustomerBillingProfile"})


def company_profile_json(tenant: dict, *, full: bool = True) -> dict:
    """``GET /v1/customers/{id}/profiles/company`` (tenantId, domain, companyName, address, email;
    https://learn.microsoft.com/partner-center/developer/get-a-customer-s-company-profile); inside a
    customer only the first three."""
    body = {"tenantId": tenant["id"], "domain": tenant["domain"], "companyName": tenant["companyName"]}
    if full:
        address = tenant["billingProfile"].get("defaultAddress") or {}
        body["address"] = {k: v for k, v in address.items() if k not in ("firstName", "lastName") and v}
        body["email"] = tenant["billingProfile"].get("email")
    body["links"] = {"self": link(f"/customers/{tenant['id']}/profiles/company")}
    body["attributes"] = {"objectType": "CustomerCompanyProfile"}
    return body


def customer_listed_json(tenant: dict) -> dict:
    """A customer in ``GET /v1/customers`` (list and search): id, company profile, relationship;
    no billing profile (https://learn.microsoft.com/partner-center/developer/get-a-list-of-customers,
    get-a-customer-by-name)."""
    return {
        "id": tenant["id"],
        "companyProfile": company_profile_json(tenant, full=False),
        "relationshipToPartner": "reseller" if tenant.get("relationship") else "none",
        "links": {"self": link(f"/customers/{tenant['id']}")},
        "attributes": {"objectType": "Customer"},
    }


def customer_json(tenant: dict, credentials: dict | None = None) -> dict:
    body = {
        "id": tenant["id"],
        "commerceId": tenant["commerceId"],
        "companyProfile": company_profile_json(tenant, full=False),
        "billingProfile": billing_profile_json(tenant),
        "relationshipToPartner": "reseller" if tenant.get("relationship") else "none",
        "allowDelegatedAccess": False,
        "links": {"self": link(f"/customers/{tenant['id']}")},
        "attributes": {"objectType": "Customer"},
    }
    if tenant.get("organizationRegistrationNumber"):
        body["companyProfile"]["organizationRegistrationNumber"] = tenant["organizationRegistrationNumber"]
    if tenant.get("associatedPartnerId"):
        body["associatedPartnerId"] = tenant["associatedPartnerId"]
    if credentials:
        body["userCredentials"] = credentials
    return body


def visible_customer(tx: Tx, tenant_id: str) -> dict:
    """The customer tenant if it has a relationship with the operator."""
    tenant = tx.get("tenant", (tenant_id or "").lower())
    if tenant is None or not tenant.get("relationship"):
        raise PCError(404, CUSTOMER_NOT_FOUND,
                      f"Customer with tenant id {tenant_id} was not found or has no relationship with the partner.")
    return tenant


def reseller_by_tenant(tx: Tx, tenant_id: str) -> dict | None:
    for reseller in tx.list("reseller"):
        if reseller["tenantId"].lower() == (tenant_id or "").lower():
            return reseller
    return None


def reseller_relationship_json(reseller: dict, relationship_type: str) -> dict:
    return {
        "id": reseller["tenantId"],
        "name": reseller["name"],
        "relationshipType": relationship_type,
        "state": "Active",
        "mpnId": reseller["mpnId"],
        "location": reseller["location"],
        "attributes": {"objectType": "PartnerRelationship"},
    }


# subscriptions ---------------------------------------------------------------

def refundable_batches(sub: dict, now: datetime) -> list[dict]:
    """Seat batches still inside their own 168-hour window, newest first."""
    if sub["status"] in ("deleted", "expired"):
        return []
    batches = [b for b in sub["_batches"]
               if b["quantity"] > 0 and parse_iso(b["addedAt"]) + REFUND_WINDOW > now]
    return sorted(batches, key=lambda b: b["addedAt"], reverse=True)


def subscription_json(sub: dict, now: datetime) -> dict:
    """A new-commerce subscription as Microsoft shows one
    (https://learn.microsoft.com/partner-center/developer/subscription-resources and the new-commerce
    example on update-autorenew-for-a-commercial-marketplace-subscription-or-new-commerce-subscriptions):
    ``offerId`` is product:sku:availability, ``productType`` is OnlineServicesNCE, ``refundOptions``
    [{type, expiresAt}] while seats are in the refund window, links to product, SKU, availability."""
    batches = refundable_batches(sub, now)
    live = [b for b in sub["_batches"] if b["quantity"] > 0] or sub["_batches"]
    first = min(parse_iso(b["addedAt"]) for b in live) if live else parse_iso(sub["creationDate"])
    product, sku, avail, country = sub["_productId"], sub["_skuId"], sub["_availabilityId"], sub["_country"]
    body = {
        "id": sub["id"],
        "offerId": f"{product}:{sku}:{avail}",
        "offerName": sub["offerName"],
        "friendlyName": sub["friendlyName"],
        "quantity": sub["quantity"],
        "unitType": "Licenses",
        "hasPurchasableAddons": False,
        "creationDate": sub["creationDate"],
        "effectiveStartDate": sub["effectiveStartDate"],
        "commitmentEndDate": iso(parse_iso(sub["_termEnd"]) - timedelta(days=1)),
        "cancellationAllowedUntilDate": iso(first + REFUND_WINDOW),
        "status": sub["status"],
        "autoRenewEnabled": sub["autoRenewEnabled"],
        "isTrial": False,
        "billingType": "license",
        "billingCycle": sub["billingCycle"],
        "termDuration": sub["termDuration"],
        "refundableQuantity": {
            "totalQuantity": sum(b["quantity"] for b in batches),
            "details": [{"quantity": b["quantity"],
                         "allowedUntilDateTime": iso(parse_iso(b["addedAt"]) + REFUND_WINDOW)}
                        for b in batches],
        },
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft Corporation",
        "productType": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"},
        "contractType": "subscription",
        "orderId": sub["orderId"],
        "partnerId": sub.get("partnerId") or "",
        "attentionNeeded": False,
        "actionTaken": False,
        "links": {
            "product": link(f"/products/{product}?country={country}"),
            "sku": link(f"/products/{product}/skus/{sku}?country={country}"),
            "availability": link(f"/products/{product}/skus/{sku}/availabilities/{avail}?country={country}"),
            "self": link(f"/customers/{sub['_tenantId']}/subscriptions/{sub['id']}"),
        },
        "attributes": {"etag": sub["etag"], "objectType": "Subscription"},
    }
    if batches and sum(b["quantity"] for b in batches) >= sub["quantity"]:
        # While the whole subscription can still be cancelled for a refund (every seat inside its
        # window); it expires with the cancellation window.
        body["refundOptions"] = [{"type": "Full", "expiresAt": body["cancellationAllowedUntilDate"]}]
    if sub.get("scheduledNextTermInstructions"):
        body["scheduledNextTermInstructions"] = sub["scheduledNextTermInstructions"]
    return body


def _roll_subscription(sub: dict, now: datetime) -> bool:
    """Renew (auto-renew on) or expire a subscription whose term has ended."""
    changed = False
    while sub["status"] in ("active", "suspended") and parse_iso(sub["_termEnd"]) <= now:
        end = parse_iso(sub["_termEnd"])
        if not sub["autoRenewEnabled"] or sub["status"] == "suspended":
            sub["status"] = "expired"
            changed = True
            break
        scheduled = sub.get("scheduledNextTermInstructions") or {}
        if scheduled:
            product = scheduled.get("product", {})
            sub["quantity"] = int(scheduled.get("quantity") or sub["quantity"])
            sub["billingCycle"] = product.get("billingCycle", sub["billingCycle"])
            sub["termDuration"] = product.get("termDuration", sub["termDuration"])
        sub["scheduledNextTermInstructions"] = None
        sub["effectiveStartDate"] = iso(end)
        sub["_termEnd"] = iso(add_months(end, catalog.TERM_MONTHS[sub["termDuration"]]))
        sub["_batches"] = [{"quantity": sub["quantity"], "addedAt": iso(end)}]
        sub["etag"] = new_etag()
        changed = True
    return changed


def _complete_order(tx: Tx, order: dict, completed_at: datetime) -> None:
    for line in order["lineItems"]:
        product = catalog.find_product(line["_productId"])
        sku = catalog.find_sku(product, line["_skuId"])
        sub_id = str(uuid.uuid4())
        months = catalog.TERM_MONTHS[line["termDuration"]]
        sub = {
            "id": sub_id,
            "offerId": f"{product['id']}:{sku['id']}:{catalog.availability_id(product['id'], sku['id'])}",
            "offerName": sku["title"],
            "friendlyName": line.get("friendlyName") or sku["title"],
            "quantity": line["quantity"],
            "status": "active",
            "autoRenewEnabled": True,
            "billingCycle": order["billingCycle"],
            "termDuration": line["termDuration"],
            "creationDate": iso(completed_at),
            "effectiveStartDate": iso(completed_at),
            "scheduledNextTermInstructions": None,
            "orderId": order["id"],
            "partnerId": line.get("partnerIdOnRecord") or "",
            "etag": new_etag(),
            "_tenantId": order["referenceCustomerId"],
            "_productId": product["id"],
            "_skuId": sku["id"],
            "_availabilityId": catalog.availability_id(product["id"], sku["id"]),
            "_country": order["_country"],
            "_min": sku["minimumQuantity"],
            "_max": sku["maximumQuantity"],
            "_termEnd": iso(add_months(completed_at, months)),
            "_batches": [{"quantity": line["quantity"], "addedAt": iso(completed_at)}],
        }
        tx.put("subscription", sub_id, sub, parent=order["referenceCustomerId"])
        emit(tx, SUBSCRIPTION_UPDATED, f"/customers/{order['referenceCustomerId']}/subscriptions/{sub_id}",
             "subscription")
        line["subscriptionId"] = sub_id
        line["_provisioning"] = "Fulfilled"
    order["status"] = "completed"
    order["_completedAt"] = iso(completed_at)
    tx.put("order", order["id"], order, parent=order["referenceCustomerId"])


def _land_pending_update(sub: dict, now: datetime) -> dict:
    """A slow update (answered 202, see subscriptions.py) lands when its time has come."""
    pending = sub.get("_pending")
    if not pending or parse_iso(pending["dueAt"]) > now:
        return sub
    landed = dict(pending["state"])
    landed["etag"] = new_etag()
    return landed


def settle(tx: Tx, tenant_id: str, delay_seconds: float) -> datetime:
    """Bring one customer's orders and subscriptions up to the sandbox clock."""
    now = tx.now()
    for order in tx.list("order", tenant_id):
        if order["status"] == "pending":
            due = parse_iso(order["creationDate"]) + timedelta(seconds=delay_seconds)
            if due <= now:
                _complete_order(tx, order, due)
    for sub in tx.list("subscription", tenant_id):
        landed = _land_pending_update(sub, now)
        if _roll_subscription(landed, now) or landed is not sub:
            tx.put("subscription", landed["id"], landed)
            emit(tx, SUBSCRIPTION_UPDATED, f"/customers/{tenant_id}/subscriptions/{landed['id']}", "subscription")
    return now


def order_json(order: dict) -> dict:
    body = public(order)
    body["links"] = {
        "self": link(f"/customers/{order['referenceCustomerId']}/orders/{order['id']}"),
        "provisioningStatus": link(
            f"/customers/{order['referenceCustomerId']}/orders/{order['id']}/provisioningstatus"),
    }
    body["attributes"] = {"objectType": "Order"}
    return body


def cart_json(cart: dict) -> dict:
    body = public(cart)
    body["links"] = {"self": link(f"/customers/{cart['_tenantId']}/carts/{cart['id']}")}
    body["attributes"] = {"objectType": "Cart"}
    return body
