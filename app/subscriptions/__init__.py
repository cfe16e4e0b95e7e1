"""Subscriptions after purchase: the grid, details with the 7-day windows, and the changes
(quantity, scheduled reduction, auto-renewal, rename, cancellation, agreement termination), each
an order through app.orders; plus the refresh from Partner Center and renewal notices."""
from flask import Blueprint

bp = Blueprint("subscriptions", __name__)

from app.subscriptions import routes  # noqa: E402,F401
