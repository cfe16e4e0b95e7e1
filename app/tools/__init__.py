"""Operator tools (admin > Tools): stuck work today; reconciliation and customer import next.

Tools sit above the areas whose work they show (orders, catalog), so those areas never import them."""
from flask import Blueprint

bp = Blueprint("tools", __name__, url_prefix="/admin")

from app.tools import routes  # noqa: E402,F401
