from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import invitation_routes, password_routes, profile_routes, routes  # noqa: E402,F401
