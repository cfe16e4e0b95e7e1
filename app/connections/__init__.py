"""Partner Center connections: the configured instances and the client for each."""
from flask import Blueprint

bp = Blueprint("connections", __name__, url_prefix="/admin/partner-center")

from app.connections import routes  # noqa: E402,F401
from app.connections.webhook_routes import bp as webhooks_bp  # noqa: E402

# The public receiver of Partner Center's webhook events lives outside /admin; it comes with this area.
bp.record_once(lambda state: state.app.register_blueprint(webhooks_bp))
