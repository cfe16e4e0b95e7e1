"""Programs > Delegated admin (GDAP): a reseller's administrator connects its partner tenant for GDAP (admin
consent at Microsoft, the sandbox's simulated page), then answers the relationships the distributor created
for it in Partner Center (resellerDelegatedAdminRelationship) with Approve / Reject."""
from __future__ import annotations

from app.audit.models import AuditEvent
from app.connections.reseller_tenants import ResellerTenantConsent
from tests.helpers import soup
from tests.support.gdap import (ADATUM_TENANT, LITWARE_TENANT, back_path, connect, consent_at_microsoft, query_of,
                                reseller_relationships, start_connecting)


def _consents(db):
    db.session.expire_all()
    return db.session.scalars(db.select(ResellerTenantConsent)).all()


def test_not_connected_the_page_offers_to_connect(reseller_client, reseller_member_client):
    page = soup(reseller_client.get("/programs"))
    assert page.select_one(".programs-gdap a")["href"] == "/programs/gdap"
    page = soup(reseller_client.get("/programs/gdap"))
    assert page.select_one("#gdap-not-connected") is not None
    assert page.find("button", string="Connect your partner tenant for GDAP") is not None
    assert page.select_one("#gdap-relationships") is None
    # A member reads the page; connecting is for the account's administrators.
    page = soup(reseller_member_client.get("/programs/gdap"))
    assert page.find("button", string="Connect your partner tenant for GDAP") is None
    assert reseller_member_client.post("/programs/gdap/connect", {}).status_code == 403


def test_only_resellers_have_the_page(customer_client, operator_client):
    assert customer_client.get("/programs/gdap").status_code == 404
    assert customer_client.post("/programs/gdap/connect", {}).status_code == 404
    assert operator_client.get("/programs/gdap").status_code == 403


def test_connecting_goes_through_the_admin_consent_and_a_finish_button(app, db, reseller_client, sandbox_store):
    consent_url = start_connecting(reseller_client)
    query = query_of(consent_url)
    public = app.config["PUBLIC_URL"].rstrip("/")
    assert consent_url.startswith(f"{public}/sandbox/{ADATUM_TENANT}/adminconsent?")
    assert query["client_id"] == "00000000-0000-0000-0000-00000000c11e"  # the sandbox connection's app
    assert query["redirect_uri"] == f"{public}/programs/gdap/connected" and query["state"]

    back = consent_at_microsoft(app, consent_url)
    assert query_of(back) == {"admin_consent": "True", "tenant": ADATUM_TENANT, "state": query["state"]}
    page = soup(reseller_client.get(back_path(back)))
    assert page.find("button", string="Finish connecting") is not None
    assert _consents(db) == []  # the GET wrote nothing

    # The state is this session's: another one (or none) is refused, and nothing is recorded.
    assert reseller_client.post("/programs/gdap/connected", {"state": "forged", "admin_consent": "True",
                                                              "tenant": ADATUM_TENANT}).status_code == 400
    assert _consents(db) == []
    done = reseller_client.post("/programs/gdap/connected", {"state": query["state"], "admin_consent": "True",
                                                             "tenant": ADATUM_TENANT})
    assert done.status_code == 303 and done.headers["Location"].endswith("/programs/gdap")
    [row] = _consents(db)
    assert row.tenant_id == ADATUM_TENANT and row.connection == "default"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "gdap_partner_tenant_connected"))
    assert event is not None and event.subject == ADATUM_TENANT
    page = soup(reseller_client.get("/programs/gdap"))
    assert ADATUM_TENANT in page.select_one("#gdap-connected").get_text()
    # Used once: the same answer again is not this session's any more.
    assert reseller_client.get(back_path(back)).status_code == 400


def test_a_refused_consent_is_explained_and_connects_nothing(app, db, reseller_client):
    back = consent_at_microsoft(app, start_connecting(reseller_client), decision="cancel")
    assert query_of(back)["error"] == "access_denied"
    page = soup(reseller_client.get(back_path(back)))
    assert "The consent was not given, so your partner tenant is not connected." in \
        page.select_one("#consent-problem").get_text()
    assert page.find("button", string="Finish connecting") is None
    assert _consents(db) == []


def test_the_reseller_approves_a_relationship_the_distributor_created(app, db, reseller_client, sandbox_store):
    [seeded] = reseller_relationships(sandbox_store)
    connect(app, reseller_client)
    page = soup(reseller_client.get("/programs/gdap"))
    row = page.select_one(f"#rel-{seeded['id']}")
    assert "Adatum IT Services fabrikam" in row.get_text() and "Fabrikam, Inc." in row.get_text()
    assert row.find("button", string="Approve") is not None and row.find("button", string="Reject") is not None
    assert row.find("button", string="Approve")["aria-label"] == "Approve Adatum IT Services fabrikam"
    assert row.select_one(".relationship-status").get_text() == "waiting for your answer"

    answer = reseller_client.post(f"/programs/gdap/relationships/{seeded['id']}/approve", {})
    assert answer.status_code == 303
    [after] = reseller_relationships(sandbox_store)
    assert after["status"] == "approvalPending" and after["isPartnerConsentPending"] is False
    page = soup(reseller_client.get("/programs/gdap"))
    row = page.select_one(f"#rel-{seeded['id']}")
    assert row.find("button", string="Approve") is None and "Answered" in row.get_text()
    assert row.select_one(".relationship-status").get_text().startswith("approval pending · ")
    assert row.select_one("a")["href"].endswith(f"/sandbox/AdminPortal/Home#/partners/invitation/"
                                                f"granularAdminRelationships/{seeded['id']}")
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "gdap_reseller_relationship_approved", AuditEvent.subject == seeded["id"])) is not None
    # Answered once: a second answer is explained, not applied.
    again = reseller_client.post(f"/programs/gdap/relationships/{seeded['id']}/reject", {})
    assert again.status_code == 303
    assert "already approved or rejected" in reseller_client.get("/programs/gdap").get_data(as_text=True)
    assert reseller_relationships(sandbox_store)[0]["status"] == "approvalPending"


def test_the_reseller_rejects_one(app, db, reseller_client, sandbox_store):
    [seeded] = reseller_relationships(sandbox_store)
    connect(app, reseller_client)
    assert reseller_client.post(f"/programs/gdap/relationships/{seeded['id']}/reject", {}).status_code == 303
    [after] = reseller_relationships(sandbox_store)
    assert after["status"] == "terminated" and after["isPartnerConsentPending"] is False


def test_another_reseller_never_sees_or_answers_them(app, db, reseller2_client, sandbox_store):
    [seeded] = reseller_relationships(sandbox_store)
    url = f"/programs/gdap/relationships/{seeded['id']}/approve"
    assert reseller2_client.post(url, {}).status_code == 404  # not connected: nothing of its own to name
    connect(app, reseller2_client)
    page = reseller2_client.get("/programs/gdap").get_data(as_text=True)
    assert seeded["id"] not in page and "Your distributor has created no delegated admin relationship" in page
    assert reseller2_client.post(url, {}).status_code == 404  # Graph knows no such relationship of Litware's
    assert reseller_relationships(sandbox_store)[0]["isPartnerConsentPending"] is True
    assert [c.tenant_id for c in _consents(db)] == [LITWARE_TENANT]


def test_graph_down_and_a_missing_consent_are_said_in_plain_words(app, db, reseller_client, sandbox_store):
    connect(app, reseller_client)
    sandbox_store.inject_fault("GET", "/v1.0/tenantRelationships", "error", count=1)
    page = soup(reseller_client.get("/programs/gdap"))
    assert page.select_one("#gdap-problem").get_text().startswith("Microsoft Graph is not answering right now")

    # The tenant's administrator removed the app: Microsoft gives no token for it any more.
    app.extensions.pop("reseller_tenant_clients", None)  # a new process, without a cached token
    from app.connections.services import in_process_sandbox

    in_process_sandbox(app).test_client().delete(f"/_sandbox/consents/{ADATUM_TENANT}")
    page = soup(reseller_client.get("/programs/gdap"))
    assert page.select_one("#gdap-problem").get_text().startswith("Your partner tenant no longer lets the storefront in")


def test_without_a_partner_tenant_id_there_is_nothing_to_connect(db, reseller_client):
    from app.accounts.models import Account

    account = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    account.partner_tenant_id = None
    db.session.commit()
    page = soup(reseller_client.get("/programs/gdap"))
    assert "Your account has no partner tenant ID yet" in page.select_one("#gdap-connection").get_text()
    assert page.find("button", string="Connect your partner tenant for GDAP") is None
    assert reseller_client.post("/programs/gdap/connect", {}).status_code == 303
    assert _consents(db) == []


def test_the_reseller_disconnects_its_partner_tenant(app, db, reseller_client, reseller_member_client,
                                                      reseller2_client):
    connect(app, reseller_client)
    connect(app, reseller2_client)
    page = soup(reseller_client.get("/programs/gdap"))
    assert page.select_one("#gdap-connected") is not None
    # A member reads the page; disconnecting, like connecting, is for the account's administrators.
    assert soup(reseller_member_client.get("/programs/gdap")).find("button", string="Disconnect") is None
    assert reseller_member_client.post("/programs/gdap/disconnect", {}).status_code == 403
    assert len(_consents(db)) == 2

    form = page.find("button", string="Disconnect").find_parent("form")
    done = reseller_client.post(form["action"], {})
    assert done.status_code == 303
    page = soup(reseller_client.get(done.headers["Location"]))
    assert "Your partner tenant is disconnected" in page.get_text()
    assert page.select_one("#gdap-not-connected") is not None
    assert page.find("button", string="Connect your partner tenant for GDAP") is not None
    # Only Adatum's own connection ended; Litware's stays.
    assert [c.tenant_id for c in _consents(db)] == [LITWARE_TENANT]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "gdap_partner_tenant_disconnected"))
    assert event.subject == ADATUM_TENANT
    # Disconnected, nothing is left to disconnect: the page says nothing more.
    again = reseller_client.post("/programs/gdap/disconnect", {})
    assert again.status_code == 303 and "disconnected" not in reseller_client.get("/programs/gdap").get_data(as_text=True)
