"""Orders: placing them, provisioning them at Microsoft (an engine of registered step kinds run by one
job per order), the sweep and deadlines that keep them moving, and their pages. Orders never import
subscriptions: that area registers its steps, placement rules and tenant claims here."""
from flask import Blueprint

bp = Blueprint("orders", __name__)

from app.orders import purchase_steps, routes  # noqa: E402,F401  (purchase steps register with the engine)
