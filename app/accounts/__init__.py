from flask import Blueprint

from app.accounts.addresses import postal_address

bp = Blueprint("accounts", __name__)
bp.add_app_template_filter(postal_address)  # one way to write an address, on every page that shows one

from app.accounts import routes  # noqa: E402,F401
