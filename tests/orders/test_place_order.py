"""Placing orders: number, idempotency per draft, written before enqueuing, domain and agreement rules."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
import redis as redis_lib
from rq.job import Job

from app.audit.models import AuditEvent
from app.jobs import get_queue
from app.orders import placing as svc
from app.orders.sweep import sweep_orders
from app.orders.models import Order
from app.subscriptions.agreements import AgreementExists
from app.subscriptions.models import Agreement, Subscription
from tests.support.orders import (EXCHANGE, ORDER_NUMBER_RE, customer_request, line, place, reseller_request,
                                   run_job, work)


def provisioning_jobs() -> list[str]:
    """The queued provisioning jobs (placing an order also queues the buyer's "order placed" mail)."""
    return [job_id for job_id in get_queue().job_ids if job_id.startswith("provision-order-")]


def test_placing_writes_a_processing_order_and_enqueues_its_job(demo, db, redis):
    order = place(db, reseller_request(db, lines=[line(quantity=5), line(**EXCHANGE, quantity=2)]))
    assert re.match(ORDER_NUMBER_RE, order.number)
    assert order.status == "processing" and order.type == "purchase"
    assert order.total == Decimal("38.00") and order.currency == "USD"
    assert [s.name for s in order.steps] == ["create_customer", "attest_mca", "create_cart", "checkout",
                                             "wait_fulfillment", "record_subscriptions"]
    # Every step has its MS-RequestId before any call goes out.
    assert all(s.ms_request_id for s in order.steps)
    job = Job.fetch(f"provision-order-{order.id}", connection=redis)
    assert job.get_status() == "queued" and job.args == (order.id,)
    assert provisioning_jobs() == [f"provision-order-{order.id}"]
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "order_placed")).subject == order.number


def test_a_double_click_or_a_resubmitted_form_gives_one_order(demo, db, redis):
    first = place(db, reseller_request(db, draft_id=41))
    second = place(db, reseller_request(db, draft_id=41))
    assert first.id == second.id and first.number == second.number
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1
    assert provisioning_jobs() == [f"provision-order-{first.id}"]
    assert svc.order_for_draft(41).number == first.number


def test_existing_tenants_skip_customer_creation_and_orders_without_mca_skip_attestation(demo, db):
    order = place(db, customer_request(db, domain="tailspin.onmicrosoft.com", tenant_id="0E8D7C6B-5A4F-4E3D-8C2B-1A0F9E8D7C6B",
                                       mca=None))
    statuses = {s.name: s.status for s in order.steps}
    assert statuses["create_customer"] == "skipped" and statuses["attest_mca"] == "skipped"
    assert order.tenant_id == "0e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def test_the_order_waits_in_processing_while_redis_is_down_and_the_sweep_picks_it_up(demo, db, redis, monkeypatch,
                                                                                      sandbox_store):
    import app.jobs

    def redis_down(*args, **kwargs):
        raise redis_lib.ConnectionError("Connection refused")

    monkeypatch.setattr(app.jobs, "enqueue", redis_down)
    order = place(db, reseller_request(db))
    assert order.status == "processing"  # written and committed, nothing lost
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "processing"
    assert provisioning_jobs() == []
    monkeypatch.undo()  # Redis is back
    assert sweep_orders() == [order.number]
    assert sweep_orders() == []  # queued now: not enqueued twice
    work(redis)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"


def test_a_domain_used_in_another_accounts_agreement_is_refused(demo, db):
    first = place(db, reseller_request(db, domain="sharedname.onmicrosoft.com"))
    assert run_job(first.id) == "completed"
    request = customer_request(db, domain="sharedname.onmicrosoft.com", tenant_id=first.tenant_id)
    with pytest.raises(svc.DomainInUse) as refused:
        svc.check_order_rules(request)
    assert refused.value.message.startswith("This domain is already in use: ")
    with pytest.raises(svc.DomainInUse):
        place(db, request)
    # The tenant id alone (another domain spelling) is recognised too.
    with pytest.raises(svc.DomainInUse):
        svc.check_order_rules(customer_request(db, domain="other.onmicrosoft.com", tenant_id=first.tenant_id))
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1


def test_a_domain_with_another_accounts_order_in_progress_is_refused(demo, db):
    place(db, reseller_request(db, domain="racing.onmicrosoft.com"))
    with pytest.raises(svc.DomainInUse):
        svc.check_order_rules(customer_request(db, domain="racing.onmicrosoft.com", tenant_mode="new"))


def test_a_second_agreement_for_the_same_tenant_product_and_licensee_is_refused_with_an_offer(demo, db, redis):
    first = place(db, reseller_request(db, domain="fabrikamtwo.onmicrosoft.com", draft_id=1))
    assert run_job(first.id) == "completed"
    agreement = db.session.scalar(db.select(Agreement))
    assert agreement.family == "Microsoft 365" and agreement.tenant_id == first.tenant_id
    again = reseller_request(db, domain="fabrikamtwo.onmicrosoft.com", tenant_mode="existing", tenant_id=first.tenant_id,
                             draft_id=2, lines=[line(product_id="CFQ7TTC0LDPB", title="Microsoft 365 Business Standard")])
    with pytest.raises(AgreementExists) as offered:
        place(db, again)
    assert offered.value.agreement.id == agreement.id
    assert "Add the subscriptions to that agreement" in offered.value.message
    # Another product line on the same tenant is a new agreement: no offer needed.
    svc.check_order_rules(reseller_request(db, domain="fabrikamtwo.onmicrosoft.com", tenant_mode="existing",
                                           tenant_id=first.tenant_id, draft_id=3, lines=[line(**EXCHANGE)]))
    # The buyer accepts "add to the existing agreement".
    again.add_to_agreement_id = agreement.id
    second = place(db, again)
    assert run_job(second.id) == "completed"
    assert db.session.scalar(db.select(db.func.count(Agreement.id))) == 1
    subs = db.session.scalars(db.select(Subscription).order_by(Subscription.id)).all()
    assert [s.agreement_id for s in subs] == [agreement.id, agreement.id]
    assert [s.product_title for s in subs] == ["Microsoft 365 Business Basic", "Microsoft 365 Business Standard"]


def test_the_tenant_of_another_licensee_of_the_same_reseller_is_refused(demo, db):
    first = place(db, reseller_request(db, domain="onlyfabrikam.onmicrosoft.com"))
    assert run_job(first.id) == "completed"
    from tests.support.orders import licensee

    litware = licensee(db, "Litware, Inc.")
    with pytest.raises(svc.DomainInUse) as refused:
        svc.check_order_rules(reseller_request(db, domain="onlyfabrikam.onmicrosoft.com", tenant_mode="existing",
                                               tenant_id=first.tenant_id, licensee_id=litware.id, draft_id=9))
    assert "Fabrikam" in refused.value.message


def test_the_notifications_of_an_order_for_fabrikam_inc_end_with_one_full_stop(demo, db):
    """'Fabrikam, Inc.' ends its own sentence: "1 product for Fabrikam, Inc. Provisioning has started", not "Inc..";
    and a reseller name ending in a full stop ('Sp. z o.o.') gets none added after it in the partner ID rule."""
    from app.accounts.models import Account, Notification

    order = place(db, reseller_request(db))
    assert run_job(order.id) == "completed"
    bodies = db.session.scalars(db.select(Notification.body).order_by(Notification.id)).all()
    assert bodies == ["1 product for Fabrikam, Inc. Provisioning has started; you will be told when the order "
                      "completes or needs someone to act.", "1 subscription created for Fabrikam, Inc."]
    litware = db.session.scalar(db.select(Account).where(Account.name == "Litware Systems Sp. z o.o."))
    request = reseller_request(db, draft_id=2)
    request.account_id, request.partner_id = litware.id, "1234567"
    assert svc.partner_id_problem(request) == (
        "1234567 is not the partner ID of Litware Systems Sp. z o.o. Orders of Litware Systems Sp. z o.o. carry "
        "its own partner ID, 2345678.")
