"""The home pages: each kind of account lands on a page that fits it, drawing on several areas
(accounts, subscriptions' renewals), so it sits above them all."""
from flask import Blueprint

bp = Blueprint("home", __name__)

from app.home import routes  # noqa: E402,F401
