"""Subscriptions after purchase: the grid, details with the 7-day windows, and the changes
(quantity, scheduled reduction, auto-renewal, rename, cancellation, agreement termination), each
an order through app.orders; plus the refresh from Partner Center and renewal notices.

Importing the area registers with orders what orders must not import: the steps that record and
change subscriptions (steps), the agreement rule for placing and the agreements' tenant claims
(agreements), and which subscription each line of a purchase created (purchases)."""
from flask import Blueprint

bp = Blueprint("subscriptions", __name__)

from app.subscriptions import (agreement_routes, agreements, purchases, routes, steps,  # noqa: E402,F401
                               workspace_routes)
