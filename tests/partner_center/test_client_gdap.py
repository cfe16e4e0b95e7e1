"""GDAP over HTTP: the client creates a least-privilege delegated admin relationship on Microsoft
Graph (the sandbox's), locks it for approval, the customer approves it on the simulated admin
center, and the client reads it active; Graph tokens have their own audience."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from app.partner_center import APP, PartnerCenterError
from app.partner_center.clouds import PARTNER_CENTER_SCOPE
from app.partner_center.gdap import DEFAULT_ROLES, approval_url
from app.partner_center.operations import GRAPH, operation_for
from tests.partner_center.pc_support import new_customer


def _approve_on_admin_center(sbx_url: str, relationship_id: str) -> httpx.Response:
    with httpx.Client(base_url=sbx_url, timeout=10) as browser:
        page = browser.get("/AdminPortal/Home")
        assert relationship_id in page.text
        token = re.search(r'name="sandbox_csrf" value="([^"]+)"', page.text).group(1)
        return browser.post("/AdminPortal/Home", data={"sandbox_csrf": token, "relationshipId": relationship_id})


def test_create_lock_approve_and_read_a_gdap_relationship(pc_client, sbx_url):
    customer = new_customer(pc_client)
    created = pc_client.create_admin_relationship(
        display_name=f"Storefront {customer.id[:8]}", customer_tenant_id=customer.id, duration="P730D")
    assert created.status == "created"
    assert set(created.role_ids) == set(DEFAULT_ROLES)
    assert created.auto_extend_duration == "PT0S"

    pc_client.lock_for_approval(created.id)
    assert pc_client.get_admin_relationship(created.id).status == "approvalPending"
    link = pc_client.gdap_approval_url(created.id)
    assert link == ("https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/"
                    f"granularAdminRelationships/{created.id}")

    approved = _approve_on_admin_center(sbx_url, created.id)
    assert approved.status_code == 200 and "approved" in approved.text
    active = pc_client.get_admin_relationship(created.id)
    assert active.status == "active" and active.ends is not None
    assert (active.ends - active.activated) == timedelta(days=730)


def test_the_sandbox_refuses_what_graph_refuses(pc_client):
    customer = new_customer(pc_client)
    with pytest.raises(PartnerCenterError, match="P1D and P2Y"):
        pc_client.create_admin_relationship(display_name="too long", customer_tenant_id=customer.id,
                                            duration="P731D")
    with pytest.raises(PartnerCenterError, match="autoExtendDuration"):
        pc_client.create_admin_relationship(display_name="odd extension", customer_tenant_id=customer.id,
                                            auto_extend_duration="P90D")
    first = pc_client.create_admin_relationship(display_name="same name", customer_tenant_id=customer.id)
    with pytest.raises(PartnerCenterError, match="already exists"):
        pc_client.create_admin_relationship(display_name="same name", customer_tenant_id=customer.id)
    pc_client.lock_for_approval(first.id)
    with pytest.raises(PartnerCenterError, match="status created"):
        pc_client.lock_for_approval(first.id)  # only once, from created


def test_an_unapproved_request_expires_after_90_days(pc_client, sbx_store):
    customer = new_customer(pc_client)
    rel = pc_client.create_admin_relationship(display_name="waits", customer_tenant_id=customer.id)
    pc_client.lock_for_approval(rel.id)
    sbx_store.advance_clock(timedelta(days=91))
    assert pc_client.get_admin_relationship(rel.id).status == "expired"


def test_graph_calls_carry_a_graph_token(pc_client, sbx_url):
    assert operation_for("POST", "/v1.0/tenantRelationships/delegatedAdminRelationships").audience == GRAPH
    partner_center_token = pc_client.tokens.get_token(APP, PARTNER_CENTER_SCOPE)
    with httpx.Client(base_url=sbx_url, timeout=10) as http:
        refused = http.get("/v1.0/tenantRelationships/delegatedAdminRelationships/x",
                           headers={"Authorization": f"Bearer {partner_center_token}"})
    assert refused.status_code == 401


def test_the_approval_link_is_microsofts_template_on_the_configured_admin_center():
    assert approval_url("abc", "http://127.0.0.1:5000/sandbox").startswith(
        "http://127.0.0.1:5000/sandbox/AdminPortal/Home#/partners/invitation/granularAdminRelationships/abc")
