"""Partner Center calls a person waits on: one attempt, no sleeping on Retry-After, a per-user
limit, and the reseller network read once in a while instead of on every blur."""
from __future__ import annotations

import pytest

from app.accounts.models import Licensee
from tests.helpers import soup


@pytest.fixture
def app_config():
    return {"PERSON_PC_CALLS_PER_MINUTE": 3}


def _domain_check(c, prefix):
    response = c.post("/checkout/service/domain", {"domain_prefix": prefix}, htmx=True)
    return soup(response).select_one("#domain-status").get_text(" ", strip=True)


def test_a_throttled_check_says_when_to_retry_at_once(customer_client, sandbox_store):
    customer_client.post("/checkout/customer", {})
    sandbox_store.clear_calls()
    sandbox_store.inject_fault("HEAD", "/v1/domains", "throttle", count=5, retry_after=30)
    text = _domain_check(customer_client, "busyprefix")
    assert text == "Microsoft is busy, try again in 30 seconds. Nothing you entered is lost."
    # One attempt: the web request did not sleep 30 seconds to try again.
    assert len(sandbox_store.calls(method="HEAD", path_prefix="/v1/domains")) == 1


def test_one_person_cannot_spend_the_quota(customer_client, sandbox_store):
    customer_client.post("/checkout/customer", {})
    sandbox_store.clear_calls()
    for prefix in ("first1", "second2", "third3"):
        assert _domain_check(customer_client, prefix).endswith("is available.")
    text = _domain_check(customer_client, "fourth4")
    assert text.startswith("You have made many checks in a short time. Wait ")
    assert text.endswith("seconds, then try again; nothing you entered is lost.")
    assert len(sandbox_store.calls(method="HEAD", path_prefix="/v1/domains")) == 3


def test_another_user_keeps_their_own_allowance(customer_client, customer_member_client, sandbox_store):
    customer_client.post("/checkout/customer", {})
    for prefix in ("first1", "second2", "third3", "fourth4"):
        _domain_check(customer_client, prefix)
    customer_member_client.post("/checkout/customer", {})
    assert _domain_check(customer_member_client, "member5").endswith("is available.")


def test_the_reseller_network_is_read_once_for_several_checks(reseller_client, db, sandbox_store, app):
    app.config["PERSON_PC_CALLS_PER_MINUTE"] = 30
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    reseller_client.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    sandbox_store.clear_calls()
    for _ in range(3):
        response = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
        assert soup(response).select_one("#readiness").get_text() == "READY"
    assert len(sandbox_store.calls(method="GET", path="/v1/relationships")) == 1
