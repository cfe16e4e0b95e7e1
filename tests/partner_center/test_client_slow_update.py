"""A subscription update that takes longer than expected: 202 with a Location, polled to the end.

Microsoft: "When the patch operation takes longer than the expected time, the Partner Center sends
an HTTP status 202 status code and a location header that points to where to retrieve the
subscription" (https://learn.microsoft.com/partner-center/developer/change-the-quantity-of-a-subscription).
The sandbox does it when told through its fault control API (kind ``accepted``), so the client's
polling is exercised over HTTP against the sandbox, never by patching the client.
"""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.partner_center import HostRewriteTransport, MsalHttpClient, PartnerCenterClient
from tests.partner_center.pc_support import instance
from tests.partner_center.test_client_orders import place_order


@pytest.fixture
def waits():
    return []


@pytest.fixture
def patient_client(sbx_url, sbx_store, waits):
    """A client whose waits are recorded and move the sandbox clock instead of sleeping."""

    def sleep(seconds):
        waits.append(seconds)
        sbx_store.advance_clock(timedelta(seconds=seconds))

    client = PartnerCenterClient(instance(), transport=HostRewriteTransport(sbx_url),
                                 msal_http_client=MsalHttpClient(HostRewriteTransport(sbx_url)), sleep=sleep)
    yield client
    client.close()


def _tell_the_sandbox(sbx_url, **fault):
    answer = httpx.post(f"{sbx_url}/_sandbox/faults", json=fault)
    assert answer.status_code == 201, answer.text


def test_a_slow_update_answers_202_and_the_client_polls_the_location_honouring_retry_after(
        patient_client, sbx_url, sbx_store, waits):
    customer, _, sub = place_order(patient_client, sbx_store, quantity=5)
    path = f"/v1/customers/{customer.id}/subscriptions/{sub.id}"
    _tell_the_sandbox(sbx_url, method="PATCH", pathPrefix="/v1/customers/", kind="accepted", retryAfter=4, delay=10)
    waits.clear()
    sbx_store.clear_calls()

    updated = patient_client.set_subscription_quantity(customer.id, sub.id, 8)

    assert updated.quantity == 8 and updated.etag != sub.etag
    [patch] = sbx_store.calls(method="PATCH", path=path)
    assert patch["status"] == 202
    polls = [c for c in sbx_store.calls(method="GET", path=path) if c["id"] > patch["id"]]
    assert [c["status"] for c in polls] == [200, 200, 200]  # at 4 s and 8 s the change has not landed yet
    assert waits == [4.0, 4.0, 4.0]  # what Retry-After said, each time
    assert patient_client.get_subscription(customer.id, sub.id).quantity == 8


def test_the_202_names_the_subscription_and_the_change_lands_later(pc_client, sbx_url, sbx_store):
    customer, _, sub = place_order(pc_client, sbx_store, quantity=5)
    path = f"/v1/customers/{customer.id}/subscriptions/{sub.id}"
    _tell_the_sandbox(sbx_url, method="PATCH", pathPrefix=path, kind="accepted", retryAfter=3, delay=30)
    token = pc_client.tokens.get_token()
    headers = {"Authorization": f"Bearer {token}", "If-Match": f'"{sub.etag}"'}
    body = {**sub.raw, "quantity": 7}

    accepted = httpx.patch(f"{sbx_url}{path}", json=body, headers=headers)

    assert accepted.status_code == 202 and accepted.content == b""
    assert accepted.headers["Location"] == f"/customers/{customer.id}/subscriptions/{sub.id}"  # relative, no /v1
    assert accepted.headers["Retry-After"] == "3"
    assert pc_client.get_subscription(customer.id, sub.id).quantity == 5  # not yet
    again = httpx.patch(f"{sbx_url}{path}", json={**body, "quantity": 9}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == 800082  # "not ready to be updated"
    sbx_store.advance_clock(timedelta(seconds=31))
    landed = pc_client.get_subscription(customer.id, sub.id)
    assert landed.quantity == 7 and landed.etag != sub.etag
