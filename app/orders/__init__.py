"""Orders: placing them, provisioning them at Microsoft (a job of idempotent steps), tracking them,
the agreements and subscriptions they create, and the in-app notifications they send."""
from flask import Blueprint

bp = Blueprint("orders", __name__)

from app.orders import routes  # noqa: E402,F401
