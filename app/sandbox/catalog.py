"""Partner Center resources and the price sheet, derived from catalog_data."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from typing import Iterator

from .catalog_data import (MARKETS, P1M_PREMIUM, PARTNER_DISCOUNT, PRODUCTS, PUBLISHER,
                           TERM_DESCRIPTIONS)

PRICE_SHEET_COLUMNS = [
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription",
    "UnitOfMeasure", "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice",
    "PricingTierRangeMin", "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate",
    "Tags", "ERP Price",
]

TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
BILLING_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}

_BY_ID = {p["id"].upper(): p for p in PRODUCTS}


def availability_id(product_id: str, sku_id: str) -> str:
    """A stable 12-character availability id for a product SKU."""
    digest = hashlib.sha1(f"{product_id}:{sku_id}".encode()).hexdigest().upper()
    alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
    tail = "".join(alphabet[int(digest[i:i + 2], 16) % len(alphabet)] for i in range(0, 8, 2))
    return "CFQ7TTC0" + tail


def find_product(product_id: str) -> dict | None:
    return _BY_ID.get((product_id or "").upper())


def find_sku(product: dict, sku_id: str) -> dict | None:
    for sku in product["skus"]:
        if sku["id"] == sku_id:
            return sku
    return None


def resolve(catalog_item_id: str) -> tuple[dict, dict] | None:
    """(product, sku) of a ``productId:skuId:availabilityId`` catalog item id."""
    parts = (catalog_item_id or "").split(":")
    if len(parts) != 3:
        return None
    product = find_product(parts[0])
    if product is None:
        return None
    sku = find_sku(product, parts[1])
    if sku is None or availability_id(product["id"], sku["id"]) != parts[2].upper():
        return None
    return product, sku


def catalog_item_id(product: dict, sku: dict) -> str:
    return f"{product['id']}:{sku['id']}:{availability_id(product['id'], sku['id'])}"


def _link(uri: str) -> dict:
    return {"uri": uri, "method": "GET", "headers": []}


def product_json(product: dict, country: str) -> dict:
    return {
        "id": product["id"],
        "title": product["title"],
        "description": product["description"],
        "productType": {"id": "OnlineServices", "displayName": "OnlineServices"},
        "isMicrosoftProduct": True,
        "publisherName": PUBLISHER,
        "links": {
            "skus": _link(f"/products/{product['id']}/skus?country={country}"),
            "self": _link(f"/products/{product['id']}?country={country}"),
        },
        "attributes": {"objectType": "Product"},
    }


def sku_json(product: dict, sku: dict, country: str) -> dict:
    cycles: list[str] = []
    for billing in sku["terms"].values():
        for cycle in billing:
            if cycle not in cycles:
                cycles.append(cycle)
    return {
        "id": sku["id"],
        "productId": product["id"],
        "title": sku["title"],
        "description": sku["description"],
        "minimumQuantity": sku["minimumQuantity"],
        "maximumQuantity": sku["maximumQuantity"],
        "isTrial": False,
        "supportedBillingCycles": cycles,
        "purchasePrerequisites": [],
        "dynamicAttributes": {"isAddon": product["addon"], "hasAddOns": False},
        "links": {
            "availabilities": _link(
                f"/products/{product['id']}/skus/{sku['id']}/availabilities?country={country}"),
            "self": _link(f"/products/{product['id']}/skus/{sku['id']}?country={country}"),
        },
        "attributes": {"objectType": "Sku"},
    }


def availability_json(product: dict, sku: dict, country: str) -> dict:
    market = MARKETS[country]
    terms = []
    for duration, cycles in sku["terms"].items():
        for cycle in cycles:
            terms.append({
                "duration": duration,
                "description": TERM_DESCRIPTIONS[duration],
                "billingCycle": cycle,
                # Availability terms carry cancellationPolicies[].refundOptions [{sequenceId, type,
                # expiresAfter}] (https://learn.microsoft.com/partner-center/developer/product-resources).
                # UNCONFIRMED: new commerce refunds pro rata within 7 days; "Full" is the type
                # Microsoft's examples show.
                "cancellationPolicies": [{
                    "refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": "P7D"}],
                }],
            })
    avail = availability_id(product["id"], sku["id"])
    return {
        "id": avail,
        "productId": product["id"],
        "skuId": sku["id"],
        "catalogItemId": f"{product['id']}:{sku['id']}:{avail}",
        "defaultCurrency": {"code": market["currency"], "symbol": market["symbol"]},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": True,
        "terms": terms,
        "links": {"self": _link(
            f"/products/{product['id']}/skus/{sku['id']}/availabilities/{avail}?country={country}")},
        "attributes": {"objectType": "Availability"},
    }


def erp_price(sku: dict, term: str, billing: str, market: str) -> float:
    """Estimated retail price for one seat for one billing period."""
    monthly = sku["erp"] * MARKETS[market]["factor"]
    if term == "P1M":
        monthly *= 1 + P1M_PREMIUM
    return round(round(monthly, 2) * BILLING_MONTHS[billing], 2)


def unit_price(sku: dict, term: str, billing: str, market: str) -> float:
    """The partner's price for one seat for one billing period."""
    return round(erp_price(sku, term, billing, market) * (1 - PARTNER_DISCOUNT), 2)


def price_sheet_rows(market: str, start: datetime, end: datetime) -> Iterator[dict]:
    currency = MARKETS[market]["currency"]
    for product in PRODUCTS:
        for sku in product["skus"]:
            for term, cycles in sku["terms"].items():
                for billing in cycles:
                    yield {
                        "ProductTitle": product["title"],
                        "ProductId": product["id"],
                        "SkuId": sku["id"],
                        "SkuTitle": sku["title"],
                        "Publisher": PUBLISHER,
                        "SkuDescription": sku["description"],
                        "UnitOfMeasure": "1 License",
                        "TermDuration": term,
                        "BillingPlan": billing.capitalize(),
                        "Market": market,
                        "Currency": currency,
                        "UnitPrice": f"{unit_price(sku, term, billing, market):.2f}",
                        "PricingTierRangeMin": "",
                        "PricingTierRangeMax": "",
                        "EffectiveStartDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "EffectiveEndDate": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "Tags": "AddOn" if product["addon"] else "",
                        "ERP Price": f"{erp_price(sku, term, billing, market):.2f}",
                    }


def price_sheet_csv(market: str, start: datetime, end: datetime) -> Iterator[str]:
    """The CSV, streamed in chunks (header first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PRICE_SHEET_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for i, row in enumerate(price_sheet_rows(market, start, end), start=1):
        writer.writerow(row)
        if i % 50 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
