from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.accounts.countries import country_name
from app.accounts.models import Account, User
from app.extensions import db
from app.home import bp
from app.settings.licensees import current_licensees
from app.subscriptions import grid as subscriptions
from app.web.access import Permission, allow
from app.web.rendering import render


@bp.route("/")
@allow(Permission.HOME)
def index():
    """Each kind of account lands on a home page that fits it."""
    account = current_user.account
    if account.kind == "operator":
        counts = {
            "resellers": db.session.scalar(db.select(db.func.count()).where(Account.kind == "reseller")),
            "customers": db.session.scalar(db.select(db.func.count()).where(Account.kind == "customer")),
            "users": db.session.scalar(db.select(db.func.count(User.id))),
        }
        return render("home/operator.html", account=account, counts=counts)
    if account.kind == "reseller":
        # Archived licensees are history (Settings > Licensees shows them), not customers to sell to.
        return render("home/reseller.html", account=account, licensees=current_licensees(account.id),
                      country_name=country_name, **_renewals())
    return render("home/customer.html", account=account, country_name=country_name, **_renewals())


def _renewals() -> dict:
    """The home page's "Renewals in the next 30 days" and the grid filtered the same way."""
    start, end = subscriptions.renewals_range()
    return {"renewals": subscriptions.renewals_soon(current_user),
            "renewals_url": url_for("subscriptions.index", renewal_from=start.isoformat(), renewal_to=end.isoformat())}


@bp.route("/healthz")
@allow(Permission.PUBLIC)
def healthz():
    """Liveness for the runner and load balancers: the database answers."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
