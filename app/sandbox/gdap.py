"""Microsoft Graph's GDAP endpoints and the admin center page where a customer approves.

Served under ``/v1.0/tenantRelationships/...`` (the Graph host; the gate asks for a Graph token,
token_rules.audience_for). Each rule follows its Graph page:

* create (https://learn.microsoft.com/en-us/graph/api/tenantrelationship-post-delegatedadminrelationships
  and the resource page https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship):
  displayName required, unique among the partner's relationships, at most 50 characters; duration
  ISO 8601 between P1D and P2Y inclusive; autoExtendDuration PT0S, P0D or P180D (default PT0S);
  at least one role; a relationship with Global Administrator cannot auto-extend
  (https://learn.microsoft.com/en-us/partner-center/customers/gdap-faq); -> 201, status created;
* requests (https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests):
  lockForApproval only from created -> approvalPending; approve and terminate are not the partner's
  to send here, except terminate on an active relationship;
* get (https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-get): an active one
  past its endDateTime (sandbox clock) reads expired; an approvalPending one older than 90 days
  reads expired too (GDAP FAQ: "GDAP relationship requests expire after 90 days").

Whose relationship it is: the partner tenant of the token that created it (a reseller's tenant for
the indirect-reseller variant, gdap_reseller.py). Only that tenant's tokens list it (``GET
.../delegatedAdminRelationships``,
https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships),
read it or act on it; another partner's id answers 404 as an unknown one.

Errors have Graph's shape, ``{"error": {"code", "message"}}``
(https://learn.microsoft.com/en-us/graph/errors).

The approval page, ``/AdminPortal/Home``: Microsoft's link carries the relationship id after a
``#``, which a browser never sends; the page lists the requests awaiting approval, as the admin
center's partner invitations do, and approves the one chosen.
"""

from __future__ import annotations

import functools
import json
import os
import re
import uuid
from datetime import timedelta

from flask import Blueprint, g, render_template, request, url_for

from . import csrf, gdap_reseller
from .gdap_reseller import OWNER
from .store import iso, parse_iso
from .web import json_response, setting, store

bp = Blueprint("sandbox_gdap", __name__)

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
AUTO_EXTEND = {"PT0S": "PT0S", "P0D": "PT0S", "P180D": "P180D"}
MAX_DAYS = 730
REQUEST_LIFETIME = timedelta(days=90)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")
_BASE = "/v1.0/tenantRelationships/delegatedAdminRelationships"


@functools.cache
def directory_role_names() -> dict[str, str]:
    """The names the customer's directory gives the roles a request asks for, as the admin center
    shows them (an administrator approves "License Administrator", not a template id)."""
    with open(os.path.join(os.path.dirname(__file__), "directory_roles.json"), encoding="utf-8") as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


KIND = "gdap"


def graph_error(status: int, code: str, message: str):
    return json_response({"error": {"code": code, "message": message,
                                    "innerError": {"request-id": str(uuid.uuid4())}}}, status)


def _days(duration: str) -> int | None:
    m = _DURATION.fullmatch(duration or "")
    if not m or not any(m.groups()):
        return None
    years, months, days = (int(x or 0) for x in m.groups())
    return years * 365 + months * 30 + days


def current(rel: dict, now) -> dict:
    """The relationship as of the sandbox clock: an active one past its end, or a request nobody
    approved within 90 days, has expired."""
    if rel["status"] == "active" and rel.get("endDateTime") and parse_iso(rel["endDateTime"]) <= now:
        if rel["autoExtendDuration"] == "P180D":
            rel["endDateTime"] = iso(parse_iso(rel["endDateTime"]) + timedelta(days=180))
        else:
            rel["status"] = "expired"
    if rel["status"] == "approvalPending" and parse_iso(rel["lastModifiedDateTime"]) + REQUEST_LIFETIME <= now:
        rel["status"] = "expired"
        rel["endDateTime"] = iso(now)
    return rel


def owner(rel: dict) -> str:
    return str(rel.get(OWNER) or setting("SANDBOX_TENANT_ID")).lower()


def public(rel: dict) -> dict:
    """The relationship as Graph shows it (without the sandbox's own bookkeeping)."""
    return {k: v for k, v in rel.items() if not k.startswith("_")}


def _mine(tx, rel_id: str) -> dict | None:
    rel = tx.get(KIND, rel_id)
    return rel if rel is not None and owner(rel) == g.claims.tenant_id.lower() else None


def _not_found(rel_id: str):
    return graph_error(404, "Request_ResourceNotFound", f"The relationship '{rel_id}' does not exist.")


@bp.get(_BASE)
def list_relationships():
    with store().tx() as tx:
        now = tx.now()
        mine = [current(r, now) for r in tx.list(KIND) if owner(r) == g.claims.tenant_id.lower()]
        for rel in mine:
            tx.put(KIND, rel["id"], rel)
    return json_response({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/"
                                            "delegatedAdminRelationships", "value": [public(r) for r in mine]})


@bp.post(_BASE)
def create():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return graph_error(400, "Request_BadRequest", "The request body must be a JSON object.")
    name = str(body.get("displayName") or "").strip()
    duration = str(body.get("duration") or "")
    auto = AUTO_EXTEND.get(str(body.get("autoExtendDuration") or "PT0S"))
    roles = ((body.get("accessDetails") or {}).get("unifiedRoles")) or []
    role_ids = [str(r.get("roleDefinitionId", "")) for r in roles if isinstance(r, dict)]
    customer = body.get("customer") or {}
    days = _days(duration)
    if not name or len(name) > 50:
        return graph_error(400, "Request_BadRequest", "displayName is required and must be at most 50 characters.")
    if days is None or not 1 <= days <= MAX_DAYS:
        return graph_error(400, "Request_BadRequest", "duration must be an ISO 8601 duration between P1D and P2Y.")
    if auto is None:
        return graph_error(400, "Request_BadRequest", "autoExtendDuration must be PT0S, P0D or P180D.")
    if not role_ids or not all(_GUID.match(r) for r in role_ids):
        return graph_error(400, "Request_BadRequest", "accessDetails.unifiedRoles needs at least one roleDefinitionId.")
    if GLOBAL_ADMINISTRATOR in role_ids and auto != "PT0S":
        return graph_error(400, "Request_BadRequest",
                           "A relationship with the Global Administrator role cannot be auto-extended.")
    if customer.get("tenantId") and not _GUID.match(str(customer["tenantId"])):
        return graph_error(400, "Request_BadRequest", "customer.tenantId must be a tenant id.")
    with store().tx() as tx:
        taken = {r["displayName"].lower() for r in tx.list(KIND) if owner(r) == g.claims.tenant_id.lower()}
        if name.lower() in taken:  # unique among this partner's relationships
            return graph_error(409, "Conflict", f"A relationship with the display name '{name}' already exists.")
        now = iso(tx.now())
        tenant = tx.get("tenant", str(customer.get("tenantId", "")).lower()) if customer.get("tenantId") else None
        rel = {
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
            "id": f"{uuid.uuid4()}-{uuid.uuid4()}",  # Microsoft's ids are two GUIDs joined
            "displayName": name, "duration": duration, "status": "created", "autoExtendDuration": auto,
            "createdDateTime": now, "lastModifiedDateTime": now, "activatedDateTime": None, "endDateTime": None,
            "customer": {"tenantId": customer.get("tenantId"),
                         "displayName": customer.get("displayName") or (tenant or {}).get("companyName")},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in role_ids]},
            OWNER: g.claims.tenant_id.lower(),
        }
        tx.put(KIND, rel["id"], rel)
    return json_response(public(rel), 201, {"Location": f"https://graph.microsoft.com{_BASE}/{rel['id']}"})


@bp.get(f"{_BASE}/<rel_id>")
def get(rel_id):
    with store().tx() as tx:
        rel = _mine(tx, rel_id)
        if rel is None:
            return _not_found(rel_id)
        rel = current(rel, tx.now())
        tx.put(KIND, rel_id, rel)
    return json_response(public(rel))


@bp.post(f"{_BASE}/<rel_id>/requests")
def requests(rel_id):
    action = str((request.get_json(silent=True) or {}).get("action") or "")
    with store().tx() as tx:
        rel = _mine(tx, rel_id)
        if rel is None:
            return _not_found(rel_id)
        rel = current(rel, tx.now())
        now = tx.now()
        if action in ("approve", "reject"):  # the indirect reseller's answer (gdap_reseller.py)
            # "reject" is an evolvable enum member: Graph takes it only with this Prefer header (the
            # delegatedAdminRelationshipRequest page). UNCONFIRMED: the exact error without it.
            if action == "reject" and "include-unknown-enum-members" not in request.headers.get("Prefer", ""):
                return graph_error(400, "Request_BadRequest", "Invalid value 'reject' for action: send "
                                   "'Prefer: include-unknown-enum-members' to use it.")
            problem = gdap_reseller.answer(rel, action, now)
            if problem:
                return graph_error(400, "Request_BadRequest", problem)
            tx.put(KIND, rel_id, rel)
            return json_response({"id": str(uuid.uuid4()), "action": action, "status": "succeeded",
                                  "createdDateTime": iso(now), "lastModifiedDateTime": iso(now)}, 201)
        wanted = {"lockForApproval": ("created", "approvalPending"), "terminate": ("active", "terminated")}
        if action not in wanted:
            return graph_error(400, "Request_BadRequest",
                               "action must be lockForApproval, approve, reject or terminate.")
        if rel.get("isPartnerConsentPending"):
            return graph_error(400, "Request_BadRequest", "The relationship awaits the reseller's approval.")
        before, after = wanted[action]
        if rel["status"] != before:
            return graph_error(400, "Request_BadRequest",
                               f"A {action} request needs a relationship in status {before}, not {rel['status']}.")
        rel["status"], rel["lastModifiedDateTime"] = after, iso(now)
        if after == "terminated":
            rel["endDateTime"] = iso(now)
        tx.put(KIND, rel_id, rel)
    return json_response({"id": str(uuid.uuid4()), "action": action, "status": "succeeded",
                          "createdDateTime": iso(now), "lastModifiedDateTime": iso(now)}, 201)


def approve(rel_id: str, tenant_id: str = "") -> dict | None:
    """The customer's approval: approvalPending -> active, from now for its duration. A request
    created without a customer becomes the approving tenant's."""
    with store().tx() as tx:
        rel = tx.get(KIND, rel_id)
        if rel is None or current(rel, tx.now())["status"] != "approvalPending":
            return None
        if not (rel.get("customer") or {}).get("tenantId"):
            tenant = tx.get("tenant", tenant_id.lower())
            if tenant is None:
                return None
            rel["customer"] = {"tenantId": tenant["id"], "displayName": tenant.get("companyName")}
        now = tx.now()
        rel.update(status="active", activatedDateTime=iso(now), lastModifiedDateTime=iso(now),
                   endDateTime=iso(now + timedelta(days=_days(rel["duration"]) or 0)))
        tx.put(KIND, rel_id, rel)
    return rel


@bp.route("/AdminPortal/Home", methods=["GET", "POST"])
@csrf.protect
def approval_page():
    approved = None
    problem = None
    if request.method == "POST":
        approved = approve(request.form.get("relationshipId", ""), request.form.get("tenantId", ""))
        if approved is None:
            problem = "This request is no longer awaiting approval, or no tenant was chosen."
    with store().tx() as tx:
        now = tx.now()
        pending = [r for r in (current(x, now) for x in tx.list(KIND)) if r["status"] == "approvalPending"]
    tenants = store().documents("tenant")
    partners = {str(r.get("tenantId", "")).lower(): r.get("name") for r in store().documents("reseller")}
    operator = store().document("partner", str(setting("SANDBOX_TENANT_ID")).lower()) or {}
    partners[str(setting("SANDBOX_TENANT_ID")).lower()] = operator.get("name") or "the indirect provider"
    for rel in pending:
        rel["partnerName"] = partners.get(owner(rel), owner(rel))
    return render_template("sandbox/gdap.html", pending=pending, approved=approved, problem=problem, tenants=tenants,
                           role_names=directory_role_names(),
                           action=url_for("sandbox_gdap.approval_page")), (400 if problem else 200)
