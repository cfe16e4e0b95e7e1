"""The purchase wizard: one URL per step, state in a checkout draft row."""
from flask import Blueprint

bp = Blueprint("checkout", __name__, url_prefix="/checkout")

from app.checkout import order_routes, routes  # noqa: E402,F401
