"""The operator's network: onboarding resellers and direct customers (admin > Accounts), and the
rules of its reseller network in Partner Center (network.py)."""
from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/admin/accounts")

from app.partners import routes  # noqa: E402,F401
