"""Subscriptions after purchase: the grid, details with the 7-day windows, and the changes
(quantity, scheduled reduction, auto-renewal, rename, cancellation, agreement termination), each
an order through app.orders; plus the refresh from Partner Center and renewal notices.

Importing the area registers with orders what orders must not import: the steps that record and
change subscriptions (steps), the agreement rule for placing and the agreements' tenant claims
(agreements)."""
from flask import Blueprint

bp = Blueprint("subscriptions", __name__)

from app.subscriptions import agreement_routes, agreements, routes, steps, workspace_routes  # noqa: E402,F401
