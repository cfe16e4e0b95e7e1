"""Account settings: an account admin's pages for the account's users, licensees (resellers) and
notifications, and each user's own email preferences. Sits above connections (the country rules a
licensee is checked with) and below checkout (whose customer step uses the licensee rules)."""
from flask import Blueprint

bp = Blueprint("settings", __name__)

from app.settings import licensee_routes, notification_routes, routes  # noqa: E402,F401
