"""Catalog: products, SKUs and offers synchronised from Partner Center, price lists, the cart."""
from flask import Blueprint

from app.catalog.terms import register_filters

bp = Blueprint("catalog", __name__)
register_filters(bp)

from app.catalog import results_cache, routes  # noqa: E402,F401  (results_cache: its flush listeners)
