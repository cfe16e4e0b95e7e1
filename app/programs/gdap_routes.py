"""Programs > Delegated admin (GDAP), for resellers: their own partner tenant and its GDAP relationships.

1. "Connect your partner tenant for GDAP": the reseller's administrator is sent (a POST, which keeps a
   one-time ``state`` in the session) to the identity platform's admin consent page for the account's
   partner tenant; Entra sends the browser back to ``/programs/gdap/connected`` with
   ``admin_consent=True&tenant=&state=`` or ``error=&error_description=``
   (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent). That GET writes nothing:
   it checks the state and shows "Finish connecting", whose POST records the consent (audited). From then
   on GDAP requests at checkout are made in the reseller's name (app/orders/gdap.py).
2. The relationships the distributor created for the reseller in Partner Center
   (``resellerDelegatedAdminRelationship``, https://learn.microsoft.com/en-us/graph/api/resources/resellerdelegatedadminrelationship),
   read with a Graph token of the reseller's tenant, each with Approve / Reject while
   ``isPartnerConsentPending`` (``POST .../{id}/requests``,
   https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests). Graph itself
   scopes them to the token's tenant: another reseller's relationship is unknown there, and 404 here.
"""
from __future__ import annotations

import secrets

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from app.web.form_pages import form_on
from app.web.forms import FlaskForm

from app.audit import services as audit
from app.connections.person import PC_THROTTLED, TooFast
from app.connections.reseller_tenants import (consent_for, consent_url, forget_consent, record_consent,
                                             reseller_person_client)
from app.extensions import db
from app.partner_center import PartnerCenterAuthError, PartnerCenterError, PartnerCenterUnavailable, Throttled
from app.orders.gdap import WORDS as GDAP_STATUS_WORDS
from app.programs import bp
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import render

STATE = "gdap_consent_state"  # session key: {"state", "account_id", "tenant_id"}

NO_TENANT = ("Your account has no partner tenant ID yet, so there is nothing to connect. Ask your distributor to "
             "add it to your account (it is the tenant ID of your Partner Center account).")
GRAPH_DOWN = ("Microsoft Graph is not answering right now, so your delegated admin relationships could not be "
              "read or changed. Nothing was changed: try again in a moment.")
NO_CONSENT = ("Your partner tenant no longer lets the storefront in: the administrator's consent is missing or was "
              "removed in your tenant. Connect it again below.")
REFUSED = "The consent was not given, so your partner tenant is not connected. {reason}"


def _reseller():
    account = current_user.account
    if account.kind != "reseller":
        abort(404)  # resellers only: a direct customer has no partner tenant
    return account


def _reseller_posting():
    """The reseller's account, for a button's POST: 400 without the form's token."""
    account = _reseller()
    if not FlaskForm().validate_on_submit():
        abort(400)
    return account


def graph_problem(error: Exception) -> str:
    """What the reseller reads when Graph could not be asked."""
    if isinstance(error, TooFast):
        return error.message
    if isinstance(error, Throttled):
        return PC_THROTTLED.format(seconds=int(error.retry_after or 30))
    if isinstance(error, PartnerCenterAuthError) and not error.unreachable:
        return NO_CONSENT if "65001" in (error.error_description or "") or error.error == "invalid_client" else \
            f"Microsoft did not give the storefront a token for your partner tenant: {error.error_description}"
    if isinstance(error, (PartnerCenterUnavailable, PartnerCenterAuthError)) or (error.status or 500) >= 500:
        return GRAPH_DOWN
    return f"Microsoft Graph refused this: {error.description}"


def _client(consent):
    return reseller_person_client(current_user.id, consent.connection, consent.tenant_id)


@bp.route("/programs/gdap")
@allow(Permission.PROGRAMS)
def gdap():
    account = _reseller()
    consent = consent_for(account)
    relationships, links, problem = [], {}, None
    if consent is not None:
        try:
            client = _client(consent)
            relationships = [r for r in client.list_admin_relationships() if r.for_reseller]
            links = {r.id: client.gdap_approval_url(r.id) for r in relationships}
        except (TooFast, PartnerCenterError) as error:
            problem = graph_problem(error)
    relationships.sort(key=lambda r: (not r.partner_consent_pending, r.display_name.lower()))
    return render("programs/gdap.html", account=account, consent=consent, relationships=relationships,
                  links=links, problem=problem, no_tenant=None if account.partner_tenant_id else NO_TENANT,
                  status_words=GDAP_STATUS_WORDS)


@bp.route("/programs/gdap/connect", methods=["POST"])
@allow(Permission.GDAP_PARTNER)
@form_on("programs.gdap")
def gdap_connect():
    """Off to the admin consent page, with a state this session alone can bring back."""
    account = _reseller_posting()
    if not account.partner_tenant_id:
        flash(NO_TENANT, "error")
        return redirect(url_for("programs.gdap"), code=303)
    state = secrets.token_urlsafe(24)
    session[STATE] = {"state": state, "account_id": account.id, "tenant_id": account.partner_tenant_id.lower()}
    redirect_uri = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("programs.gdap_connected")
    return redirect(consent_url(account, redirect_uri=redirect_uri, state=state), code=303)


@bp.route("/programs/gdap/disconnect", methods=["POST"])
@allow(Permission.GDAP_PARTNER)
@form_on("programs.gdap")
def gdap_disconnect():
    """Stop making GDAP requests in the reseller's name; connecting again needs a new consent."""
    account = _reseller_posting()
    if forget_consent(account, actor=current_user._get_current_object(), origin=request_origin()):
        db.session.commit()
        flash("Your partner tenant is disconnected: delegated admin you request at checkout goes to your distributor "
              "again. The consent itself stays in your tenant until an administrator removes the storefront's "
              "application under Enterprise applications in the Microsoft Entra admin center.", "success")
    return redirect(url_for("programs.gdap"), code=303)


def _expected(account) -> dict | None:
    """The pending consent of this session for this account, if the state sent back is its own."""
    pending = session.get(STATE) or {}
    sent = request.values.get("state", "")
    if not pending or pending.get("account_id") != account.id or not sent or \
            not secrets.compare_digest(str(pending.get("state", "")), sent):
        return None
    return pending


@bp.route("/programs/gdap/connected", methods=["GET", "POST"])
@allow(Permission.GDAP_PARTNER)
def gdap_connected():
    """Where Entra sends the administrator back. GET checks and shows "Finish connecting"; its POST records."""
    account = _reseller()
    pending = _expected(account)
    if pending is None:
        return render("programs/gdap_connected.html", problem="This answer does not belong to a connection you "
                      "started in this browser (or it was used already). Start again from Delegated admin.",
                      form=None), 400
    if request.values.get("error"):
        reason = request.values.get("error_description") or request.values.get("error")
        return render("programs/gdap_connected.html", problem=REFUSED.format(reason=reason), form=None)
    tenant = (request.values.get("tenant") or "").lower()
    if request.values.get("admin_consent", "").lower() != "true" or tenant != pending["tenant_id"] or \
            tenant != (account.partner_tenant_id or "").lower():
        return render("programs/gdap_connected.html", problem="The consent came back for another tenant than your "
                      "partner tenant, so nothing was connected. Sign in to the consent page as an administrator of "
                      f"your partner tenant ({account.partner_tenant_id}).", form=None), 400
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        session.pop(STATE, None)
        record_consent(account, actor=current_user._get_current_object(), origin=request_origin())
        db.session.commit()
        flash("Your partner tenant is connected for GDAP: delegated admin you request at checkout is now yours.",
              "success")
        return redirect(url_for("programs.gdap"), code=303)
    return render("programs/gdap_connected.html", problem=None, form=form, tenant=tenant,
                  state=request.values.get("state"))


@bp.route("/programs/gdap/relationships/<rel_id>/<action>", methods=["POST"])
@allow(Permission.GDAP_PARTNER)
@form_on("programs.gdap")
def gdap_answer(rel_id, action):
    """Approve or Reject a relationship the distributor created for this reseller."""
    account = _reseller()
    if action not in ("approve", "reject") or not FlaskForm().validate_on_submit():
        abort(404 if action not in ("approve", "reject") else 400)
    consent = consent_for(account)
    if consent is None:
        abort(404)  # not connected: no relationship of this account can be named
    try:
        client = _client(consent)
        (client.approve_reseller_relationship if action == "approve" else client.reject_reseller_relationship)(rel_id)
    except (TooFast, PartnerCenterError) as error:
        if isinstance(error, PartnerCenterError) and error.status == 404:
            abort(404)  # Graph knows no such relationship of this tenant: another reseller's, or none
        flash(graph_problem(error), "error")
        return redirect(url_for("programs.gdap"), code=303)
    audit.record(f"gdap_reseller_relationship_{action}d", actor=current_user._get_current_object(), account=account,
                 subject=rel_id, details={"tenant": consent.tenant_id}, origin=request_origin())
    db.session.commit()
    flash("Approved: the customer's global administrator now approves it at its link." if action == "approve"
          else "Rejected: the relationship was ended.", "success")
    return redirect(url_for("programs.gdap"), code=303)
