"""The sandbox's new-commerce (license-based) catalog, as plain data.

The products are the rows of catalog_products.csv, one a line: id, title, family, audience (the
seat limits of LIMITS), erp_usd, terms (a TERM_PROFILES name; empty: standard), minimum and
maximum (empty: the audience's), addon, real, description. To add a product, add a row; to add a
market, add an entry to MARKETS. Everything else (products, SKUs, availabilities, the price sheet
CSV) is derived from these two tables.

Product ids: the rows marked ``real`` are Microsoft's published new-commerce product ids; the
others are plausible ``CFQ7TTC0xxxx`` ids made up for the sandbox. Prices are US list prices (ERP,
per user per month on a one-year term) as published around 2024-2025; they are illustrative, not
a price list.
"""

from __future__ import annotations

import csv
from pathlib import Path

# Market -> currency, currency symbol, and the factor applied to the USD price
# (rounded to cents) to get a plausible local price.
MARKETS: dict[str, dict] = {
    "US": {"currency": "USD", "symbol": "$", "factor": 1.0},
    "PL": {"currency": "PLN", "symbol": "zł", "factor": 4.15},
}

# Term/billing combinations offered, per profile.
TERM_PROFILES: dict[str, dict[str, list[str]]] = {
    # monthly term (monthly billing) and annual term (monthly or annual billing)
    "standard": {"P1M": ["monthly"], "P1Y": ["monthly", "annual"]},
    # ... plus a three-year term (monthly, annual or triennial billing)
    "three_year": {"P1M": ["monthly"], "P1Y": ["monthly", "annual"],
                   "P3Y": ["monthly", "annual", "triennial"]},
    # annual term only
    "annual": {"P1Y": ["monthly", "annual"]},
}

# Seat limits per audience.
LIMITS = {
    "business": (1, 300),
    "enterprise": (1, 10000),
    "frontline": (1, 10000),
    "addon": (1, 10000),
}

TERM_DESCRIPTIONS = {"P1M": "One-Month commitment for monthly/annual billing",
                     "P1Y": "One-Year commitment for monthly/annual billing",
                     "P3Y": "Three-Year commitment for monthly/annual/triennial billing"}


def product(id, title, family, audience, erp_usd, description, *, terms="standard",
            skus=None, minimum=None, maximum=None, addon=False):
    """One product with its SKUs. ``erp_usd`` is the estimated retail price per
    user per month on a one-year term. ``skus`` defaults to a single ``0001``
    SKU titled like the product."""
    low, high = LIMITS[audience]
    if minimum is not None:
        low = minimum
    if maximum is not None:
        high = maximum
    if skus is None:
        skus = [{"id": "0001", "title": title, "erp": erp_usd}]
    return {
        "id": id,
        "title": title,
        "family": family,
        "description": description,
        "addon": addon,
        "skus": [
            {
                "id": s["id"],
                "title": s["title"],
                "description": s.get("description", description),
                "erp": s.get("erp", erp_usd),
                "minimumQuantity": s.get("minimum", low),
                "maximumQuantity": s.get("maximum", high),
                "terms": TERM_PROFILES[s.get("terms", terms)],
            }
            for s in skus
        ],
    }


def _from_row(row: dict) -> dict:
    """A product of a catalog_products.csv row (its empty cells are product()'s defaults)."""
    return product(row["id"], row["title"], row["family"], row["audience"], float(row["erp_usd"]),
                   row["description"], terms=row["terms"] or "standard",
                   minimum=int(row["minimum"]) if row["minimum"] else None,
                   maximum=int(row["maximum"]) if row["maximum"] else None, addon=row["addon"] == "yes")


with open(Path(__file__).with_name("catalog_products.csv"), newline="", encoding="utf-8") as _rows:
    PRODUCTS: list[dict] = [_from_row(row) for row in csv.DictReader(_rows)]

PUBLISHER = "Microsoft Corporation"
PARTNER_DISCOUNT = 0.05  # partner UnitPrice = ERP minus 5 %
P1M_PREMIUM = 0.20       # month-to-month terms cost 20 % more
