"""The indirect-reseller variant of GDAP: a ``resellerDelegatedAdminRelationship``, which an indirect
provider creates for one of its resellers in a customer tenant
(https://learn.microsoft.com/en-us/graph/api/resources/resellerdelegatedadminrelationship).

Microsoft documents no Graph call for the provider to create one (the provider does it in Partner
Center's pages), so the sandbox plays that part with a control: ``/_sandbox/gdap`` (a form) and
``POST /_sandbox/gdap/reseller-relationships`` (JSON). The relationship belongs to the reseller's tenant:
it is listed, read and acted on with a token of that tenant (gdap.py), carries
``indirectProviderTenantId`` (the operator's tenant) and ``isPartnerConsentPending`` (true until the
reseller approves or rejects it, ``POST .../{id}/requests``,
https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests).

UNCONFIRMED (Microsoft does not publish the life cycle of this variant): while the reseller has not
answered, the status is ``created``; its approval locks it for the customer's approval
(``approvalPending``, approved at the usual link); its rejection terminates it.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for

from . import csrf
from .store import iso
from .web import json_response, setting, store

RESELLER_TYPE = "#microsoft.graph.resellerDelegatedAdminRelationship"
OWNER = "_partnerTenantId"  # whose relationship it is (the partner tenant that lists and acts on it)
# Directory Readers, Service Support Administrator, License Administrator (the storefront's safe default).
DEFAULT_ROLES = ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "f023fd81-a637-4b56-95fd-791ac0226033",
                 "4d6ac14f-3453-41d0-bef9-a3e0c569773a")

bp = Blueprint("sandbox_gdap_reseller", __name__)


def reseller_relationship(*, reseller_tenant_id: str, provider_tenant_id: str, customer: dict, display_name: str,
                          now: str, role_ids=DEFAULT_ROLES, duration: str = "P730D") -> dict:
    """A relationship the provider created for a reseller, awaiting the reseller's answer. ``customer`` is
    a tenant document of the store; ``now`` an ISO time."""
    return {
        "@odata.type": RESELLER_TYPE,
        "id": f"{uuid.uuid4()}-{uuid.uuid4()}",
        "displayName": display_name[:50], "duration": duration, "status": "created", "autoExtendDuration": "PT0S",
        "createdDateTime": now, "lastModifiedDateTime": now, "activatedDateTime": None, "endDateTime": None,
        "customer": {"tenantId": customer["id"], "displayName": customer.get("companyName")},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in role_ids]},
        "indirectProviderTenantId": provider_tenant_id,
        "isPartnerConsentPending": True,
        OWNER: reseller_tenant_id.lower(),
    }


def answer(rel: dict, action: str, now: datetime) -> str | None:
    """The reseller's approve or reject; what is wrong with it, or None (``rel`` is changed)."""
    if rel.get("@odata.type") != RESELLER_TYPE:
        return "approve and reject are for a relationship an indirect provider created for you."
    if not rel.get("isPartnerConsentPending"):
        return "This relationship was already approved or rejected."
    rel["isPartnerConsentPending"] = False
    rel["lastModifiedDateTime"] = iso(now)
    if action == "approve":
        rel["status"] = "approvalPending"
    else:
        rel["status"], rel["endDateTime"] = "terminated", iso(now)
    return None


def _free_name(name: str, taken: set) -> str:
    """`name`, or `name 2`, `name 3`... the first that no relationship of the partner has (50 characters at most)."""
    number, free = 1, name[:50]
    while free in taken:
        number += 1
        free = f"{name[:45]} {number}"
    return free


def create(tx, *, reseller: str, customer: str, display_name: str = "") -> dict:
    """Create one for a reseller (its tenant id or partner ID) on a customer tenant (its id or domain);
    ValueError names what is unknown."""
    resellers = tx.list("reseller")
    found = next((r for r in resellers if reseller.strip().lower() in (str(r.get("tenantId", "")).lower(),
                                                                     str(r.get("mpnId", "")))), None)
    if found is None:
        raise ValueError(f"No reseller of the network has the tenant ID or partner ID {reseller!r}.")
    tenant = next((t for t in tx.list("tenant") if customer.strip().lower() in (t["id"].lower(),
                                                                               str(t.get("domain", "")).lower())), None)
    if tenant is None:
        raise ValueError(f"No customer tenant has the ID or domain {customer!r}.")
    # Graph wants the display name unique among the partner's relationships: a name given twice is refused, a
    # made-up one is numbered (the form's Create on a pair that has one already).
    taken = {r.get("displayName") for r in tx.list("gdap") if r.get(OWNER) == found["tenantId"].lower()}
    if display_name and display_name[:50] in taken:
        raise ValueError(f"{found['name']} already has a relationship named {display_name[:50]!r}: give another name.")
    name = display_name or _free_name(f"{found['name']} {tenant['domain'].split('.')[0]}", taken)
    rel = reseller_relationship(reseller_tenant_id=found["tenantId"], provider_tenant_id=setting("SANDBOX_TENANT_ID"),
                                customer=tenant, now=iso(tx.now()), display_name=name)
    tx.put("gdap", rel["id"], rel)
    return rel


@bp.post("/_sandbox/gdap/reseller-relationships")
def create_json():
    """JSON ``{"reseller": tenant id or partner ID, "customer": tenant id or domain, "displayName"?}`` -> 201."""
    data = request.get_json(silent=True) or {}
    try:
        with store().tx() as tx:
            rel = create(tx, reseller=str(data.get("reseller", "")), customer=str(data.get("customer", "")),
                         display_name=str(data.get("displayName", "")))
    except ValueError as error:
        return json_response({"error": str(error)}, 400)
    return json_response(rel, 201)


@bp.route("/_sandbox/gdap", methods=["GET", "POST"])
@csrf.protect
def page():
    """The provider's side in Partner Center (simulated): create a relationship for a reseller."""
    problem = None
    if request.method == "POST":
        try:
            with store().tx() as tx:
                rel = create(tx, reseller=request.form.get("reseller", ""), customer=request.form.get("customer", ""))
            return redirect(url_for("sandbox_gdap_reseller.page", made=rel["id"]), code=303)
        except ValueError as error:
            problem = str(error)
    rels = [r for r in store().documents("gdap") if r.get("@odata.type") == RESELLER_TYPE]
    names = {str(r.get("tenantId", "")).lower(): r["name"] for r in store().documents("reseller")}
    return render_template("sandbox/gdap_reseller.html", rels=rels, names=names, problem=problem,
                           resellers=store().documents("reseller"), tenants=store().documents("tenant"),
                           made=request.args.get("made")), (400 if problem else 200)
