"""The Workspaces page: each customer tenant with its subscriptions, the reseller's GDAP status and
shortcuts to the service portals. Reads only; the GDAP status is as last read (the order and
subscription pages have "Check the GDAP status")."""
from __future__ import annotations

from flask_login import current_user

from app.subscriptions import bp
from app.subscriptions.workspaces import workspaces_for
from app.connections.services import sandbox_mode
from app.web.access import Permission, allow
from app.web.rendering import render


@bp.route("/workspaces")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def workspaces():
    kind = current_user.account.kind
    return render("subscriptions/workspaces.html", workspaces=workspaces_for(current_user),
                  show_account=kind == "operator", shows_gdap=kind in ("reseller", "operator"),
                  sandbox=sandbox_mode())
