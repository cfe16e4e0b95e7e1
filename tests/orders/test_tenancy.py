"""One tenant, one account: placing under a lock, the buyer's own partner ID and agreements, and
orders that cannot be re-pointed to a tenant without its authorization."""
from __future__ import annotations

import threading

import pytest

from app.accounts.models import Account, DomainReservation
from app.audit.models import AuditEvent
from app.orders.models import Order
from app.subscriptions.models import Agreement
from app.orders.placing import DomainInUse, NotAuthorized, place_order
from tests.support.sandbox import accept_relationship
from tests.factories import DraftFactory
from tests.helpers import soup, text_of
from tests.support.orders import (ADATUM_TENANT, customer_request, existing_customer, licensee, place,
                                   reseller_request, run_job, user)

LITWARE_TENANT = "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"
FABRIKAM_TENANT = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"


def _reload(db, order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def litware_request(db, **overrides):
    coho = licensee(db, "Coho Winery")
    lidia = user(db, "reseller2@example.com")
    fields = dict(account_id=lidia.account_id, user_id=lidia.id, draft_id=3, licensee_id=coho.id,
                  company_name="Coho Winery", country="PL", contact_first_name="Jan", contact_last_name="Kowalski",
                  email="it@cohowinery.example.com", partner_id="2345678", reseller_tenant_id=LITWARE_TENANT)
    fields.update(overrides)
    return reseller_request(db, **fields)


# Two threads race on the database: each sees only what the other committed.
@pytest.mark.commits
def test_two_accounts_placing_into_one_tenant_at_once_end_with_one_order(demo, db, app):
    """Both pass their checks at the same moment; the tenant's lock lets exactly one order through.

    The rendezvous inside the lock would let both proceed if the lock were missing (they would both
    have read "nobody uses this tenant" before either wrote its order)."""
    barrier = threading.Barrier(2)

    def rendezvous():
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other one is waiting for the lock: as it should
        return None

    requests = {
        "adatum": reseller_request(db, domain="fabrikam.onmicrosoft.com", tenant_mode="existing",
                                   tenant_id=FABRIKAM_TENANT, recheck=rendezvous),
        "litware": litware_request(db, domain="fabrikam.onmicrosoft.com", tenant_mode="existing",
                                   tenant_id=FABRIKAM_TENANT, recheck=rendezvous),
    }
    outcome: dict[str, str] = {}

    def place_as(name):
        from app.audit.services import Origin
        from app.extensions import db as _db

        with app.app_context():
            request = requests[name]
            actor = _db.session.get(type(user(_db, "reseller@example.com")), request.user_id)
            try:
                place_order(request, actor=actor, origin=Origin("127.0.0.1", "pytest"))
                outcome[name] = "placed"
            except DomainInUse as refused:
                outcome[name] = refused.message
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=place_as, args=(name,)) for name in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.session.expire_all()
    assert sorted(outcome.values())[-1] == "placed"
    assert list(outcome.values()).count("placed") == 1, outcome
    assert "another organisation has an order in progress" in [v for v in outcome.values() if v != "placed"][0]
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1


def test_placing_asks_the_gate_again_under_the_lock(demo, db):
    request = reseller_request(db, domain="fabrikam.onmicrosoft.com", tenant_mode="existing", tenant_id=FABRIKAM_TENANT,
                               recheck=lambda: "The customer's authorization of this tenant is not verified.")
    with pytest.raises(NotAuthorized) as refused:
        place(db, request)
    assert refused.value.message == "The customer's authorization of this tenant is not verified."
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_an_order_carries_only_the_resellers_own_partner_id(demo, db):
    with pytest.raises(NotAuthorized) as refused:
        place(db, reseller_request(db, partner_id="2345678"))
    assert refused.value.message == ("2345678 is not the partner ID of Adatum IT Services. Orders of Adatum IT "
                                     "Services carry its own partner ID, 1234567.")
    with pytest.raises(NotAuthorized):
        place(db, reseller_request(db, reseller_tenant_id=LITWARE_TENANT))
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_only_an_own_agreement_can_be_added_to(demo, db):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    theirs = Agreement(number="AGR-ADAT-UM01", account_id=adatum.id, licensee_id=licensee(db).id,
                       tenant_domain="fabrikamnew.onmicrosoft.com", family="Microsoft 365")
    db.session.add(theirs)
    db.session.commit()
    # Litware names Adatum's agreement: it is not Litware's, so it counts as no choice at all.
    order = place(db, litware_request(db, domain="cohonew.onmicrosoft.com", add_to_agreement_id=theirs.id))
    assert order.add_to_agreement_id is None
    # Adatum names its own agreement (same licensee, same tenant): it is kept.
    own = place(db, reseller_request(db, draft_id=9, add_to_agreement_id=theirs.id))
    assert own.add_to_agreement_id == theirs.id


def _querying_existing_order(db, sandbox_store, pc_client):
    """Adatum's order into an existing tenant, stopped while Microsoft reviews the customer."""
    tenant_id = existing_customer(pc_client, "reviewme")
    sandbox_store.set_under_review(tenant_id, True)
    # The checkout it came from is a real row: a made-up draft id could be the id PostgreSQL's sequence
    # gives another test's draft, which the order's own-draft exclusion would then wave through.
    own_draft = DraftFactory(user=user(db, "reseller@example.com"))
    order = place(db, reseller_request(db, domain="reviewme.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id, draft_id=own_draft.id))
    assert run_job(order.id) == "querying"
    return order


def _edit(c, order, **fields):
    data = {"domain": "", "tenant_id": "", "registration_id": "", "phone": "", **fields}
    return c.post(f"/orders/{order.number}/parameters", data)


def test_moving_an_order_to_another_tenant_goes_through_the_gate(demo, db, app, redis, sandbox_store, pc_client,
                                                                   reseller_client):
    order = _querying_existing_order(db, sandbox_store, pc_client)
    assert _edit(reseller_client, order, domain="wingtiptoys.onmicrosoft.com").status_code == 303
    order = _reload(db, order)
    assert order.domain == "wingtiptoys.onmicrosoft.com" and order.needs_authorization
    page = soup(reseller_client.get(f"/orders/{order.number}"))
    link = page.select_one("#order-authorization-link")["value"]
    assert "invType=IndirectResellerRelationship" in link and ADATUM_TENANT in link

    # Wingtip Toys has not accepted Adatum: Process is refused, the order stays querying.
    refused = reseller_client.post(f"/orders/{order.number}/process", {})
    assert refused.status_code == 422
    assert "wingtiptoys.onmicrosoft.com has not accepted Adatum IT Services as its reseller yet" in text_of(refused)
    assert _reload(db, order).status == "querying"

    # Its global administrator accepts Adatum's link: Process goes on with Microsoft's tenant id.
    wingtip = accept_relationship(app, link, "wingtiptoys.onmicrosoft.com")
    assert reseller_client.post(f"/orders/{order.number}/process", {}).status_code == 303
    order = _reload(db, order)
    assert order.status == "processing" and order.tenant_id == wingtip and not order.needs_authorization


def test_a_typed_tenant_id_must_be_the_domains_own(demo, db, app, sandbox_store, pc_client, reseller_client):
    order = _querying_existing_order(db, sandbox_store, pc_client)
    link = pc_client.get_relationship_request(indirect_reseller_id=ADATUM_TENANT).url
    accept_relationship(app, link, "wingtiptoys.onmicrosoft.com")
    _edit(reseller_client, order, domain="wingtiptoys.onmicrosoft.com", tenant_id=FABRIKAM_TENANT)
    refused = reseller_client.post(f"/orders/{order.number}/process", {})
    assert refused.status_code == 422
    assert f"Tenant ID {FABRIKAM_TENANT} is not the tenant of wingtiptoys.onmicrosoft.com" in text_of(refused)


def test_an_order_cannot_move_to_a_domain_another_checkout_holds(demo, db, sandbox_store, pc_client, reseller_client):
    from app.checkout.models import CheckoutDraft

    order = _querying_existing_order(db, sandbox_store, pc_client)
    carl = user(db, "customer@example.com")
    draft = CheckoutDraft(user_id=carl.id, account_id=carl.account_id, completed_steps=[])
    db.session.add(draft)
    db.session.flush()
    db.session.add(DomainReservation(domain="heldelsewhere.onmicrosoft.com", draft_id=draft.id,
                                     account_id=carl.account_id))
    db.session.commit()
    refused = _edit(reseller_client, order, domain="heldelsewhere.onmicrosoft.com")
    assert refused.status_code == 422
    assert "This domain is already in use" in soup(refused).select_one("#domain-error").get_text()
    assert _reload(db, order).domain == "reviewme.onmicrosoft.com"


def test_the_operator_corrects_parameters_and_it_is_audited(demo, db, sandbox_store, pc_client, operator_client):
    order = _querying_existing_order(db, sandbox_store, pc_client)
    assert _edit(operator_client, order, domain="reviewme.onmicrosoft.com", phone="+1 206 555 0100").status_code == 303
    assert _edit(operator_client, order, domain="wingtiptoys.onmicrosoft.com").status_code == 303
    order = _reload(db, order)
    assert order.domain == "wingtiptoys.onmicrosoft.com" and not order.needs_authorization
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "order_parameters_changed")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["by_operator"] is True and event.details["domain"]["to"] == "wingtiptoys.onmicrosoft.com"
    assert event.actor_id == user(db, "admin@example.com").id


def test_a_direct_customers_order_keeps_the_direct_rule(demo, db, app, sandbox_store, pc_client, customer_client):
    tenant_id = existing_customer(pc_client, "tailspinold", reseller=False)
    sandbox_store.set_under_review(tenant_id, True)
    order = place(db, customer_request(db, domain="tailspinold.onmicrosoft.com", tenant_id=tenant_id))
    assert run_job(order.id) == "querying"
    # Moved to a tenant the operator serves through Adatum: refused for a direct customer.
    adatums = existing_customer(pc_client, "adatumsown")
    _edit(customer_client, order, domain="adatumsown.onmicrosoft.com")
    refused = customer_client.post(f"/orders/{order.number}/process", {})
    assert refused.status_code == 422 and "through an indirect reseller" in text_of(refused)
    assert _reload(db, order).tenant_id is None or _reload(db, order).tenant_id != adatums


def test_an_operator_member_reads_an_order_but_cannot_act_on_it(demo, db, sandbox_store, pc_client,
                                                                 operator_member_client):
    from app.orders.queries import can_act

    order = _querying_existing_order(db, sandbox_store, pc_client)
    page = soup(operator_member_client.get(f"/orders/{order.number}?tab=parameters"))
    assert page.select_one("#param-domain").get_text() == "reviewme.onmicrosoft.com"
    assert page.select_one("#edit-ordering") is None
    assert not can_act(user(db, "operator-member@example.com"), order)
    assert can_act(user(db, "admin@example.com"), order) and can_act(user(db, "reseller-member@example.com"), order)
