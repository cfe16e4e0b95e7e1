"""HTML pages a person sees: the overview of what "Microsoft" received, and
the Microsoft 365 admin center stand-in where a customer's global
administrator accepts a reseller relationship request."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from . import csrf
from .gdap import KIND as GDAP
from .gdap import current as gdap_current
from .resources import reseller_by_tenant, settle, subscription_json
from .seed import OPERATOR
from .store import iso, parse_iso
from .web import setting, store
from .webhooks import INDIRECT_RELATIONSHIP_ACCEPTED, RELATIONSHIP_ACCEPTED, emit
from .webhooks import deliveries as webhook_deliveries
from .webhooks import registration as webhook_registration

bp = Blueprint("sandbox_pages", __name__)

# Where the server that mounts the sandbox says who may open which page (a WSGI environ key):
# a callable taking a page's path below the mount. The storefront's gate (app/serving.py) gives it.
MAY_OPEN = "sandbox.may_open"


def may_open(endpoint: str, **values) -> bool:
    """Whether the person at the browser may open the page `endpoint`, so a page links only to what
    opens for them (behind the storefront, an operator member is refused the controls). The sandbox has
    no sign-in of its own: without a mounting server that says, every page opens."""
    check = request.environ.get(MAY_OPEN)
    if check is None:
        return True
    return bool(check(url_for(endpoint, **values)[len(request.script_root):]))


@bp.get("/")
def overview():
    st = store()
    delay = setting("SANDBOX_ORDER_DELAY_SECONDS")
    with st.tx() as tx:
        tenants = tx.list("tenant")
        for tenant in tenants:
            settle(tx, tenant["id"], delay)
        now = tx.now()
        resellers = tx.list("reseller")
        names = {r["tenantId"]: r["name"] for r in resellers}
        rows = []
        for tenant in tenants:
            rows.append({
                "tenant": tenant,
                "resellers": [names.get(r, r) for r in tenant.get("indirectResellers", [])],
                "agreements": tx.list("agreement", tenant["id"]),
                "orders": tx.list("order", tenant["id"]),
                "subscriptions": [subscription_json(s, now) for s in tx.list("subscription", tenant["id"])],
            })
        gdap = [gdap_current(r, now) for r in tx.list(GDAP)]  # as of the sandbox clock; shown, not stored
        registration = webhook_registration(tx.conn, setting("SANDBOX_TENANT_ID"))
    return render_template("sandbox/overview.html", rows=rows, resellers=resellers, operator=OPERATOR, gdap=gdap,
                           tenant_id=setting("SANDBOX_TENANT_ID"), now=iso(now), webhook_registration=registration,
                           webhook_deliveries=webhook_deliveries(st))


def _invitation(args) -> tuple[dict | None, str | None]:
    """Describe the relationship request in the query, or say why it is invalid."""
    operator_id = setting("SANDBOX_TENANT_ID")
    inv_type = args.get("invType", "")
    partner_id = (args.get("partnerId") or "").lower()
    if inv_type == "ResellerRelationship":
        if partner_id != operator_id:
            return None, "The partner in this invitation is unknown."
        return {"kind": "direct", "partner": OPERATOR["name"], "reseller": None}, None
    if inv_type == "IndirectResellerRelationship":
        if (args.get("indirectCSPId") or "").lower() != operator_id:
            return None, "The indirect provider in this invitation is unknown."
        with store().tx(write=False) as tx:
            reseller = reseller_by_tenant(tx, partner_id)
        if reseller is None or not reseller["inNetwork"] or args.get("msppId") != reseller["mpnId"]:
            return None, "The reseller in this invitation is unknown."
        return {"kind": "indirect", "partner": OPERATOR["name"], "reseller": reseller}, None
    return None, "This invitation link is not valid (unknown invType)."


@bp.route("/Adminportal/Home", methods=["GET", "POST"])
@csrf.protect
def relationship_request():
    invitation, problem = _invitation(request.args)
    tenants = store().documents("tenant")
    action = url_for("sandbox_pages.relationship_request", **request.args.to_dict())
    if problem:
        return render_template("sandbox/relationship.html", problem=problem, tenants=[], action=action,
                               invitation=None, accepted=None), 400
    if request.method == "GET":
        return render_template("sandbox/relationship.html", invitation=invitation, tenants=tenants,
                               action=action, problem=None, accepted=None)
    tenant_id = (request.form.get("tenantId") or "").lower()
    with store().tx() as tx:
        tenant = tx.get("tenant", tenant_id)
        if tenant is not None:
            _accept(tx, tenant, invitation)
    # Rendered once the transaction is over: the page's header asks the mounting server who may open
    # what (may_open), which may wait on its own database while this one's write lock would be held.
    if tenant is None:
        return render_template("sandbox/relationship.html", invitation=invitation, tenants=tenants,
                               action=action, problem="Choose the tenant you administer.", accepted=None), 400
    return render_template("sandbox/relationship.html", invitation=invitation, tenants=tenants,
                           action=action, problem=None, accepted=tenant)


def _accept(tx, tenant: dict, invitation: dict) -> None:
    changed = not tenant.get("relationship")
    if changed:
        tenant["relationship"] = {"type": "reseller", "since": iso(tx.now()), "via": "link"}
    if invitation["reseller"]:
        reseller_tenant = invitation["reseller"]["tenantId"]
        if reseller_tenant not in tenant.setdefault("indirectResellers", []):
            tenant["indirectResellers"].append(reseller_tenant)
            changed = True
    tx.put("tenant", tenant["id"], tenant)
    if changed:  # Partner Center's webhook event for the acceptance (sent after this transaction)
        emit(tx, INDIRECT_RELATIONSHIP_ACCEPTED if invitation["reseller"] else RELATIONSHIP_ACCEPTED,
             f"/customers/{tenant['id']}", "customer")


@bp.app_template_filter("when")
def when(value: str | None) -> str:
    if not value:
        return ""
    return parse_iso(value).strftime("%Y-%m-%d %H:%M UTC")
