"""Reseller A's objects (Adatum IT Services, reseller@example.com), for the isolation and role tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.accounts.models import Licensee, User
from app.auth.models import Invitation
from app.time import utcnow
from tests.factories import (AgreementFactory, DraftFactory, NotificationFactory, OrderFactory,
                             SubscriptionFactory)

SECRET = "Isolation Secret Sp. z o.o."


@dataclass
class Scene:
    order_number: str
    agreement_number: str
    sub_id: int
    line_id: int
    sync_id: int
    notification_id: int
    etag: str
    account_id: int = 0  # reseller A's account (admin > Accounts)
    licensee_id: int = 0  # Fabrikam, reseller A's licensee (settings > Licensees)
    member_id: int = 0  # reseller A's member (settings > Users)
    invitation_id: int = 0  # reseller A's pending invitation (settings > Users)
    certificate_id: int = 0  # reseller A's CSP Partner Program certificate (Programs)
    partner_request_id: int = 0  # a "Become a partner" request (admin > Programs)
    archived_order_id: int = 0  # reseller A's order imported from the previous portal (Archive)
    archived_invoice_id: int = 0  # and its invoice, with its document
    reconciliation_run_id: int = 0  # a finished reconciliation run of the operator (admin > Tools)
    customer_import_run_id: int = 0  # a finished customer import of the operator (admin > Tools)
    import_candidate_id: int = 0  # and a customer it found


def build_scene(db) -> Scene:
    """An order that is querying, its agreement and subscription (inside its cancellation window), a
    placed checkout, a cart line and a notification, all of reseller A."""
    from app.catalog.models import Cart, CartLine, CatalogSync, Sku

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    domain = "isolationsecret.onmicrosoft.com"
    order = OrderFactory(number="ORD-ISOL-ATIO-N001", status="querying", user=rita, licensee=fabrikam,
                         company_name=SECRET, domain=domain, partner_id="1234567",
                         email="it@fabrikam.example.com", reason="Waiting for the isolation test.")
    agreement = AgreementFactory(number="AGR-ISOL-0001", account=rita.account, licensee=fabrikam,
                                 tenant_domain=domain, order_id=order.id)
    refundable_until = utcnow() + timedelta(days=5)
    sub = SubscriptionFactory(ms_subscription_id="isolation-sub-0001", order=order, agreement=agreement,
                              account=rita.account, customer_name=SECRET, tenant_domain=domain,
                              friendly_name=f"{SECRET} seats", quantity=10, etag="isolation-etag",
                              cancellation_allowed_until=refundable_until, refundable_quantity=10,
                              refundable_batches=[{"quantity": 10, "allowedUntil": refundable_until.isoformat()}])
    DraftFactory(user=rita, status="placed", order_number=order.number, licensee=fabrikam)
    cart = Cart(user_id=rita.id)
    db.session.add(cart)
    db.session.flush()
    sku = db.session.scalars(db.select(Sku).order_by(Sku.id)).first()
    line = CartLine(cart_id=cart.id, sku_pk=sku.id, term_duration="P1Y", billing_plan="monthly", quantity=3)
    db.session.add(line)
    notification = NotificationFactory(user=rita, title=f"Order for {SECRET} needs action", body=SECRET)
    sync = db.session.scalars(db.select(CatalogSync).order_by(CatalogSync.id)).first()
    member = db.session.scalar(db.select(User).where(User.email == "reseller-member@example.com"))
    invitation = Invitation(account_id=rita.account_id, email="invited@adatum.example.com", first_name="Ina",
                            last_name="Invited", role="member", invited_by_id=rita.id, secret_hash="isolation",
                            expires_at=utcnow() + timedelta(days=7))
    db.session.add(invitation)
    from app.programs.models import Certificate, PartnerRequest

    certificate = db.session.scalar(db.select(Certificate).where(Certificate.account_id == rita.account_id))
    partner_request = PartnerRequest(company=SECRET, name="Isa Isolation", email="isa@isolation.example.com",
                                     country="PL")
    db.session.add(partner_request)
    archived_order, archived_invoice = _archive(db, rita.account_id)
    from app.tools.models import ReconciliationFinding, ReconciliationRun

    run = ReconciliationRun(status="finished", scope="all", scope_label="All subscriptions", problems=[])
    db.session.add(run)
    db.session.add(ReconciliationFinding(run=run, kind="quantity", subscription_id=sub.id, account_id=rita.account_id,
                                         tenant_id=sub.tenant_id, ms_subscription_id=sub.ms_subscription_id,
                                         customer_name=SECRET, storefront_value="10", partner_center_value="12"))
    from app.tools.models import CustomerImportRun, ImportCandidate

    reading = CustomerImportRun(status="finished", problems=[])
    found = ImportCandidate(run=reading, tenant_id="99999999-8888-4777-8666-555555555555", domain=domain,
                            company_name=SECRET, subscriptions=[])
    db.session.add_all([reading, found])
    db.session.commit()
    return Scene(order.number, agreement.number, sub.id, line.id, sync.id, notification.id, sub.etag,
                 account_id=rita.account_id, licensee_id=fabrikam.id, member_id=member.id,
                 invitation_id=invitation.id, archived_order_id=archived_order.id,
                 archived_invoice_id=archived_invoice.id, certificate_id=certificate.id,
                 partner_request_id=partner_request.id, reconciliation_run_id=run.id,
                 customer_import_run_id=reading.id, import_candidate_id=found.id)


def _archive(db, account_id: int):
    """An order and an invoice of reseller A imported from the previous portal (app/migration)."""
    from datetime import date
    from decimal import Decimal

    from app.migration.models import ArchivedInvoice, ArchivedOrder

    order = ArchivedOrder(legacy_id="isolation-order", account_id=account_id, number="PO-ISOLATION",
                          placed_on=date(2025, 9, 1), status="Completed", customer_name=SECRET, currency="USD",
                          total=Decimal("10.00"), lines=[{"product": SECRET, "quantity": 1}])
    invoice = ArchivedInvoice(legacy_id="isolation-invoice", account_id=account_id, number="INV-ISOLATION",
                              issued_on=date(2025, 9, 2), status="Paid", currency="USD", total=Decimal("10.00"),
                              order_numbers=["PO-ISOLATION"], document=SECRET.encode(),
                              document_name="INV-ISOLATION.txt", document_type="text/plain")
    db.session.add_all([order, invoice])
    db.session.flush()
    return order, invoice
