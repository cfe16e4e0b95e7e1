"""Partner Center connections: the configured instances and the client for each."""
from flask import Blueprint

bp = Blueprint("connections", __name__, url_prefix="/admin/partner-center")

from app.connections import routes  # noqa: E402,F401
