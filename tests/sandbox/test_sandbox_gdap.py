"""The sandbox's Microsoft Graph GDAP endpoints, called as the Graph docs show, and its admin
center approval page."""

from __future__ import annotations

import re

from tests.sandbox.sandbox_support import FABRIKAM, PartnerCenter, fetch_token

GRAPH = "https://graph.microsoft.com"
BASE = "/v1.0/tenantRelationships/delegatedAdminRelationships"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _graph(http) -> PartnerCenter:
    return PartnerCenter(http, fetch_token(http, app_user=False, scope=f"{GRAPH}/.default"), base=GRAPH)


def _body(**changes):
    body = {"displayName": "Contoso GDAP", "duration": "P730D", "customer": {"tenantId": FABRIKAM},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}]},
            "autoExtendDuration": "PT0S"}
    body.update(changes)
    return body


def test_create_answers_201_created_with_the_customer_and_roles(http):
    graph = _graph(http)
    created = graph.call("POST", BASE, json=_body())
    assert created.status_code == 201, created.text
    rel = created.json()
    assert rel["status"] == "created" and rel["customer"]["tenantId"] == FABRIKAM
    assert rel["accessDetails"]["unifiedRoles"] == [{"roleDefinitionId": DIRECTORY_READERS}]
    assert graph.get(f"{BASE}/{rel['id']}").json()["status"] == "created"


def test_graph_errors_have_graphs_shape(http):
    graph = _graph(http)
    too_long = graph.call("POST", BASE, json=_body(duration="P3Y"))
    assert too_long.status_code == 400
    assert "P2Y" in too_long.json()["error"]["message"]
    assert graph.call("POST", BASE, json=_body(accessDetails={"unifiedRoles": []})).status_code == 400
    global_extended = graph.call("POST", BASE, json=_body(
        displayName="GA", autoExtendDuration="P180D",
        accessDetails={"unifiedRoles": [{"roleDefinitionId": GLOBAL_ADMIN}]}))
    assert global_extended.status_code == 400
    assert graph.get(f"{BASE}/nope").json()["error"]["code"] == "Request_ResourceNotFound"


def test_a_partner_center_token_is_refused_on_graph(http, pc):
    refused = PartnerCenter(http, pc.token, base=GRAPH).call("POST", BASE, json=_body())
    assert refused.status_code == 401


def test_lock_for_approval_then_the_customer_approves_on_the_admin_center(http):
    graph = _graph(http)
    rel = graph.call("POST", BASE, json=_body()).json()
    assert graph.call("POST", f"{BASE}/{rel['id']}/requests", json={"action": "lockForApproval"}).status_code == 201
    assert graph.get(f"{BASE}/{rel['id']}").json()["status"] == "approvalPending"
    overview = http.get("http://127.0.0.1:5050/").text
    assert "Granular admin relationships" in overview and rel["id"] in overview

    page = http.get("http://127.0.0.1:5050/AdminPortal/Home")
    assert "Contoso GDAP" in page.text
    # The administrator approves roles by their names, as the admin center shows them.
    roles = re.findall(r'<ul class="gdap-roles">\s*<li>([^<]+)<code', page.text)
    assert [r.strip() for r in roles] == ["Directory Readers"]
    token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.text).group(1)
    approved = http.post("http://127.0.0.1:5050/AdminPortal/Home",
                         data={"sandbox_csrf": token, "relationshipId": rel["id"]})
    assert approved.status_code == 200 and "approved" in approved.text
    assert graph.get(f"{BASE}/{rel['id']}").json()["status"] == "active"
    again = http.post("http://127.0.0.1:5050/AdminPortal/Home",
                      data={"sandbox_csrf": token, "relationshipId": rel["id"]})
    assert again.status_code == 400 and "no longer awaiting approval" in again.text


def test_a_request_without_a_customer_becomes_the_approving_tenants(http):
    graph = _graph(http)
    body = _body(displayName="Any tenant")
    del body["customer"]
    rel = graph.call("POST", BASE, json=body).json()
    graph.call("POST", f"{BASE}/{rel['id']}/requests", json={"action": "lockForApproval"})
    page = http.get("http://127.0.0.1:5050/AdminPortal/Home")
    token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.text).group(1)
    assert f'id="tenant-{rel["id"]}"' in page.text
    http.post("http://127.0.0.1:5050/AdminPortal/Home",
              data={"sandbox_csrf": token, "relationshipId": rel["id"], "tenantId": FABRIKAM})
    active = graph.get(f"{BASE}/{rel['id']}").json()
    assert active["status"] == "active" and active["customer"]["tenantId"] == FABRIKAM
