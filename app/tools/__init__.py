"""Operator tools (admin > Tools): stuck work, subscriptions reconciliation, Partner Center customer import.

Tools sit above the areas whose work they show (orders, catalog), so those areas never import them."""
from flask import Blueprint

bp = Blueprint("tools", __name__, url_prefix="/admin")

from app.tools import customer_import_routes, reconciliation_routes, routes  # noqa: E402,F401
