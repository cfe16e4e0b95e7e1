"""Reseller A's objects, for the isolation and role tests of this folder."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from app.accounts.models import Licensee, User, utcnow

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


@pytest.fixture
def scene(demo, db) -> Scene:
    """Reseller A's objects, written directly: an order, its agreement and subscription, a placed
    checkout, a cart line and a notification."""
    from app.catalog.models import Cart, CartLine, CatalogSync, Sku
    from app.checkout.models import CheckoutDraft
    from app.orders.models import Agreement, Notification, Order, Subscription

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    adatum = rita.account
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    order = Order(number="ORD-ISOL-ATIO-N001", type="purchase", status="querying", account_id=adatum.id,
                  user_id=rita.id, licensee_id=fabrikam.id, company_name=SECRET, country="US",
                  contact_first_name="Frank", contact_last_name="Miller", email="it@fabrikam.example.com",
                  tenant_mode="new", domain="isolationsecret.onmicrosoft.com", partner_id="1234567",
                  reason="Waiting for the isolation test.")
    db.session.add(order)
    db.session.flush()
    agreement = Agreement(number="AGR-ISOL-0001", account_id=adatum.id, licensee_id=fabrikam.id,
                          tenant_domain="isolationsecret.onmicrosoft.com", family="Microsoft 365", order_id=order.id)
    db.session.add(agreement)
    db.session.flush()
    now = utcnow()
    sub = Subscription(ms_subscription_id="isolation-sub-0001", order_id=order.id, agreement_id=agreement.id,
                       account_id=adatum.id, tenant_id="11111111-2222-4333-8444-555555555555",
                       offer_id="CFQ7TTC0LH18:0001:P1Y", product_title="Microsoft 365 Business Basic",
                       sku_title="Microsoft 365 Business Basic", friendly_name=f"{SECRET} seats", quantity=10,
                       term_duration="P1Y", billing_plan="monthly", status="active", auto_renew=True,
                       commitment_end_date=now + timedelta(days=300), cancellation_allowed_until=now + timedelta(days=5),
                       effective_start_date=now - timedelta(days=2), customer_name=SECRET,
                       tenant_domain="isolationsecret.onmicrosoft.com", unit_price=Decimal("6.00"), currency="USD",
                       refundable_batches=[{"quantity": 10, "allowedUntil": (now + timedelta(days=5)).isoformat()}],
                       refundable_quantity=10, etag="isolation-etag")
    db.session.add(sub)
    db.session.add(CheckoutDraft(user_id=rita.id, account_id=adatum.id, status="placed", order_number=order.number,
                                 licensee_id=fabrikam.id))
    cart = Cart(user_id=rita.id)
    db.session.add(cart)
    db.session.flush()
    sku = db.session.scalars(db.select(Sku).order_by(Sku.id)).first()
    line = CartLine(cart_id=cart.id, sku_pk=sku.id, term_duration="P1Y", billing_plan="monthly", quantity=3)
    db.session.add(line)
    notification = Notification(user_id=rita.id, title=f"Order for {SECRET} needs action", body=SECRET)
    db.session.add(notification)
    sync = db.session.scalars(db.select(CatalogSync).order_by(CatalogSync.id)).first()
    db.session.commit()
    return Scene(order.number, agreement.number, sub.id, line.id, sync.id, notification.id, sub.etag)
