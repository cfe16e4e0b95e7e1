"""The Agreements pages: the list of the account's agreements, and one agreement with its
subscriptions and orders (terminating it is on the subscriptions' termination page). Reads only."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from app.connections.services import partner_center_now
from app.subscriptions import bp
from app.subscriptions.agreements import agreement_orders, agreement_subscriptions, find_agreement, visible_agreements
from app.subscriptions.window import termination_refusal
from app.web.access import Permission, allow
from app.web.query import requested_page
from app.web.rendering import render


@bp.route("/agreements")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def agreements():
    found = visible_agreements(current_user, requested_page(request.args))
    return render("subscriptions/agreements.html", agreements=found.rows, total=found.total, page_number=found.page,
                  pages=found.pages, show_account=current_user.account.kind == "operator")


@bp.route("/agreements/<number>")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def agreement(number: str):
    found = find_agreement(current_user, number)
    if found is None:
        abort(404)
    # A subscription of another account in the agreement is never shown (as on the termination page).
    subs = [s for s in found.subscriptions if s.account_id == found.account_id]
    active = agreement_subscriptions(found)
    # Terminate agreement is offered only when the termination can go through; otherwise its reason is said instead.
    return render("subscriptions/agreement.html", agreement=found, subscriptions=subs,
                  orders=agreement_orders(found), terminable=bool(active),
                  termination_refusal=termination_refusal(active, partner_center_now()) if active else None)
