"""Catalog: products, SKUs and offers synchronised from Partner Center, price lists, the cart."""
from flask import Blueprint

from app.catalog.terms import register_filters

bp = Blueprint("catalog", __name__)
register_filters(bp)

from app.catalog import routes  # noqa: E402,F401
