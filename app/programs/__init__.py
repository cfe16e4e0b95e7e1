"""The operator's CSP Partner Program: resellers enrol, Partner Center checks them (a job), and the
certificate it issues is chosen on every CSP order; "Become a partner" requests from companies that
are not resellers yet. Public page, reseller pages (Settings > Programs) and admin > Programs."""
from flask import Blueprint

bp = Blueprint("programs", __name__)

from app.programs import routes, admin_routes, gdap_routes  # noqa: E402,F401
