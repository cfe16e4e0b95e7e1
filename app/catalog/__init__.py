"""Catalog: products, SKUs and offers synchronised from Partner Center, price lists, the cart."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

from app.catalog import routes  # noqa: E402,F401
