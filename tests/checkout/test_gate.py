"""The authorization gate trusts only the relationship that was asked for, per draft and account.

Adatum (reseller, tenant ADATUM) and Litware (reseller, tenant LITWARE) are both in the operator's
reseller network; Tailspin Toys is a direct customer. Each waits on existing tenants of the sandbox.
"""
from __future__ import annotations

from app.accounts.models import Account, Licensee, Tenant
from app.checkout.jobs import poll_authorizations
from app.checkout.models import AuthorizationWatch, CheckoutDraft
from app.orders.tenancy import OTHER_PARTNER
from tests.factories import OrderFactory
from tests.helpers import soup, text_of
from tests.support.sandbox import accept_relationship

ADATUM_TENANT = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
LITWARE_TENANT = "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"
FABRIKAM_TENANT = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"


def _licensee(db, name):
    return db.session.scalar(db.select(Licensee).where(Licensee.company_name == name))


def _account(db, name):
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _draft_of(db, email):
    from app.accounts.models import User

    user = db.session.scalar(db.select(User).where(User.email == email))
    db.session.expire_all()
    return db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.user_id == user.id,
                                                            CheckoutDraft.status == "open"))


def _reseller_waits(c, db, licensee, prefix, partner_id):
    c.post("/checkout/customer", {"licensee": str(_licensee(db, licensee).id)})
    c.post("/checkout/service/partner-id", {"partner_id": partner_id}, htmx=True)
    assert c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": prefix,
                                                    "partner_id": partner_id}, htmx=True).status_code == 200


def _adatum_waits(c, db, prefix="fabrikam"):
    _reseller_waits(c, db, "Fabrikam, Inc.", prefix, "1234567")


def _litware_waits(c, db, prefix="fabrikam"):
    _reseller_waits(c, db, "Coho Winery", prefix, "2345678")


def _customer_waits(c, prefix="fabrikam"):
    c.post("/checkout/customer", {})
    assert c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": prefix},
                  htmx=True).status_code == 200


def _link_for(pc_client, reseller_tenant=None):
    if reseller_tenant:
        return pc_client.get_relationship_request(indirect_reseller_id=reseller_tenant).url
    return pc_client.get_relationship_request().url


def _run_watch(db):
    """Make every watch due and run the job once."""
    for watch in db.session.scalars(db.select(AuthorizationWatch)):
        watch.next_check_at = watch.started_at
    db.session.commit()
    return poll_authorizations()


def test_the_customer_accepting_another_resellers_link_does_not_verify(reseller_client, db, app, pc_client):
    _adatum_waits(reseller_client, db)
    # The customer's admin accepts Litware's request (also in the operator's network), not Adatum's.
    accept_relationship(app, _link_for(pc_client, LITWARE_TENANT), "fabrikam.onmicrosoft.com")
    _run_watch(db)
    assert _draft_of(db, "reseller@example.com").authorization_status == "waiting"
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#checkout-button").has_attr("disabled")
    # Adatum's own request accepted: now, and only now, Adatum's checkout is verified.
    accept_relationship(app, _draft_of(db, "reseller@example.com").authorization_link, "fabrikam.onmicrosoft.com")
    _run_watch(db)
    draft = _draft_of(db, "reseller@example.com")
    assert draft.authorization_status == "verified" and draft.tenant_id == FABRIKAM_TENANT
    assert not soup(reseller_client.get("/checkout/service")).select_one("#checkout-button").has_attr("disabled")


def test_one_acceptance_verifies_only_the_account_it_was_for(reseller_client, reseller2_client, customer_client, db,
                                                              app, sandbox_store):
    _adatum_waits(reseller_client, db)
    _litware_waits(reseller2_client, db)
    _customer_waits(customer_client)
    accept_relationship(app, _draft_of(db, "reseller@example.com").authorization_link, "fabrikam.onmicrosoft.com")
    sandbox_store.clear_calls()
    summary = _run_watch(db)
    assert _draft_of(db, "reseller@example.com").authorization_status == "verified"
    assert _draft_of(db, "reseller2@example.com").authorization_status == "waiting"
    # The direct customer cannot buy directly into a tenant the operator serves through a reseller.
    direct = _draft_of(db, "customer@example.com")
    assert direct.authorization_status == "refused"
    assert "through an indirect reseller" in direct.authorization_problem
    assert summary["verified"] == 1 and summary["refused"] == 1
    # Still one watch, and one look at the tenant for the three drafts (the customer, its relationships).
    assert db.session.scalar(db.select(db.func.count(AuthorizationWatch.id))) == 1
    assert len(sandbox_store.calls(method="GET", path_prefix="/v1/customers")) == 2
    refused = soup(customer_client.get("/checkout/service"))
    assert refused.select_one("#checkout-button").has_attr("disabled")
    assert "through an indirect reseller" in refused.select_one("#checkout-reason").get_text()


def test_a_direct_customer_is_verified_by_the_operators_own_relationship(customer_client, db, app):
    _customer_waits(customer_client, "wingtiptoys")
    link = _draft_of(db, "customer@example.com").authorization_link
    assert "invType=ResellerRelationship" in link
    accept_relationship(app, link, "wingtiptoys.onmicrosoft.com")
    _run_watch(db)
    assert _draft_of(db, "customer@example.com").authorization_status == "verified"


def test_a_tenant_another_account_owns_is_refused_at_once(reseller_client, db):
    db.session.add(Tenant(domain="fabrikam.onmicrosoft.com", tenant_id=FABRIKAM_TENANT,
                          account_id=_account(db, "Litware Systems Sp. z o.o.").id))
    db.session.commit()
    _adatum_waits(reseller_client, db)
    draft = _draft_of(db, "reseller@example.com")
    assert draft.authorization_status == "refused"
    assert draft.authorization_problem == OTHER_PARTNER + "."
    assert OTHER_PARTNER == "This tenant is already served through another partner in this storefront"
    assert db.session.scalar(db.select(AuthorizationWatch)) is None  # never watched
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#checkout-button").has_attr("disabled")
    assert OTHER_PARTNER in page.select_one("#checkout-reason").get_text()
    assert OTHER_PARTNER in page.select_one("#authorization-refused").get_text()
    # Sending the form anyway does not get past the step.
    response = reseller_client.post("/checkout/service", {"existing_tenant": "y", "domain_prefix": "fabrikam",
                                                          "partner_id": "1234567"})
    assert response.status_code == 422 and "service" not in _draft_of(db, "reseller@example.com").completed_steps


def test_a_tenant_with_another_accounts_order_in_progress_is_refused(reseller_client, reseller2_client, db, app):
    # Litware is verified on fabrikam and its order is on its way.
    _litware_waits(reseller2_client, db)
    accept_relationship(app, _draft_of(db, "reseller2@example.com").authorization_link, "fabrikam.onmicrosoft.com")
    _run_watch(db)
    litware = _account(db, "Litware Systems Sp. z o.o.")
    OrderFactory(user=litware.users[0], status="processing", company_name="Coho Winery", country="PL",
                 tenant_mode="existing", domain="fabrikam.onmicrosoft.com", tenant_id=FABRIKAM_TENANT)
    _adatum_waits(reseller_client, db)
    assert _draft_of(db, "reseller@example.com").authorization_problem == OTHER_PARTNER + "."


def test_verify_authorization_applies_the_same_rule(reseller_client, db, app, pc_client):
    _adatum_waits(reseller_client, db)
    accept_relationship(app, _link_for(pc_client, LITWARE_TENANT), "fabrikam.onmicrosoft.com")
    response = reseller_client.post("/checkout/service/verify", {"default_domain": "fabrikam.com"})
    assert "has not accepted Adatum IT Services as its reseller yet" in text_of(response)
    assert _draft_of(db, "reseller@example.com").authorization_status == "waiting"


def test_changing_the_customer_drops_the_tenant_and_its_watch(reseller_client, db, app):
    _adatum_waits(reseller_client, db)
    accept_relationship(app, _draft_of(db, "reseller@example.com").authorization_link, "fabrikam.onmicrosoft.com")
    _run_watch(db)
    assert _draft_of(db, "reseller@example.com").authorization_status == "verified"
    reseller_client.post("/checkout/customer", {"licensee": str(_licensee(db, "Litware, Inc.").id)})
    draft = _draft_of(db, "reseller@example.com")
    assert draft.tenant_id is None and draft.domain_prefix is None and draft.authorization_status == "not_started"
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#domain_prefix")["value"] == ""
    assert "fabrikam" not in page.select_one("#service-form").get_text()
    assert page.select_one("#existing_tenant").has_attr("checked") is False


def test_unticking_the_box_drops_the_tenant_and_the_watch_stops(reseller_client, db):
    _adatum_waits(reseller_client, db)
    reseller_client.post("/checkout/service/tenant-mode", {"domain_prefix": "fabrikam", "partner_id": "1234567"},
                         htmx=True)
    draft = _draft_of(db, "reseller@example.com")
    assert draft.tenant_mode == "new" and draft.authorization_status == "not_started" and draft.tenant_id is None
    assert _run_watch(db)["stopped"] == 1
