"""Factories for setting up a test's rows (factory_boy on the app's SQLAlchemy session).

For set-up only: what a test asserts comes from the pages, the services or the sandbox, never from
a factory. Each factory commits, so the rows are there for the requests a test makes (and, in the
rolled-back tests, gone after it). Unless told otherwise the rows belong to a new reseller; pass
the demo's account or user (`account=adatum`) to put them in the demo organisations.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app import models
from app.extensions import db
from app.orders.models import OrderStatus, OrderType
from app.subscriptions.models import SubscriptionStatus
from app.time import utcnow

PASSWORD = "demo-password"


@cache
def _password_hash() -> str:
    # Hashing is slow on purpose: one hash for every factory-made user.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        # The session of the current test (tests/support/database.py swaps it per test).
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class AccountFactory(_Factory):
    class Meta:
        model = models.Account

    kind = "reseller"
    name = factory.Sequence(lambda n: f"Reseller {n} Ltd")
    country = "US"
    email = factory.Sequence(lambda n: f"sales{n}@reseller.example.com")


class _AccountRowFactory(_Factory):
    """A row that belongs to an account: a new reseller unless the test passes one."""

    class Meta:
        abstract = True

    account = factory.SubFactory(AccountFactory)


class UserFactory(_AccountRowFactory):
    """A user who signs in with the demo password."""

    class Meta:
        model = models.User

    name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = "admin"
    password_hash = factory.LazyFunction(_password_hash)


# A new customer's tenant, as checkout would have made it for an order and its agreement.
_TENANT_DOMAIN = factory.Sequence(lambda n: f"customer{n}.onmicrosoft.com")


class _CustomerFactory(_Factory):
    """The customer's company and contact of a licensee or an order (app.accounts.models.CustomerContact)."""

    class Meta:
        abstract = True

    company_name = factory.Sequence(lambda n: f"Customer {n}, Inc.")
    country = "US"
    contact_first_name = "Frank"
    contact_last_name = "Miller"


class LicenseeFactory(_CustomerFactory):
    """A reseller's customer."""

    class Meta:
        model = models.Licensee

    reseller = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"it@customer{n}.example.com")


class ProductFactory(_Factory):
    """A catalog product as a sync would have stored it (SKUs: SkuFactory; prices are the sync's)."""

    class Meta:
        model = models.Product

    product_id = factory.Sequence(lambda n: f"CFQ7TTC0T{n:03d}")
    title = factory.Sequence(lambda n: f"Test Product {n}")
    family = "Microsoft 365"


class SkuFactory(_Factory):
    class Meta:
        model = models.Sku

    product = factory.SubFactory(ProductFactory)
    sku_id = "0001"
    title = factory.SelfAttribute("product.title")


class _UserRowFactory(_Factory):
    """A row that a user made, for that user's account: a new reseller's admin unless the test passes one."""

    class Meta:
        abstract = True

    user = factory.SubFactory(UserFactory)
    account = factory.SelfAttribute("user.account")


class DraftFactory(_UserRowFactory):
    """An open checkout of a user, for that user's account."""

    class Meta:
        model = models.CheckoutDraft

    completed_steps = factory.LazyFunction(list)


class OrderFactory(_CustomerFactory, _UserRowFactory):
    """A processing order of a user's account for a new tenant; no lines or steps (an order placed
    through the orders service has those)."""

    class Meta:
        model = models.Order

    number = factory.Sequence(lambda n: f"ORD-TEST-{n // 10000:04d}-{n % 10000:04d}")
    type = OrderType.PURCHASE
    status = OrderStatus.PROCESSING
    email = "it@customer.example.com"
    tenant_mode = "new"
    domain = _TENANT_DOMAIN


class AgreementFactory(_AccountRowFactory):
    class Meta:
        model = models.Agreement

    number = factory.Sequence(lambda n: f"AGR-TEST-{n:04d}")
    tenant_domain = _TENANT_DOMAIN
    family = "Microsoft 365"


class SubscriptionFactory(_AccountRowFactory):
    """An active yearly subscription of 5 Business Basic seats, billed monthly, renewing in 300 days,
    still inside its 7-day cancellation window."""

    class Meta:
        model = models.Subscription

    ms_subscription_id = factory.Sequence(lambda n: f"00000000-0000-4000-8000-{n:012d}")
    tenant_id = "11111111-2222-4333-8444-555555555555"
    tenant_domain = "customer.onmicrosoft.com"
    customer_name = "Customer, Inc."
    offer_id = "CFQ7TTC0LH18:0001:P1Y"
    product_title = "Microsoft 365 Business Basic"
    sku_title = "Microsoft 365 Business Basic"
    friendly_name = factory.Sequence(lambda n: f"Seats {n}")
    quantity = 5
    term_duration = "P1Y"
    billing_plan = "monthly"
    status = SubscriptionStatus.ACTIVE
    auto_renew = True
    unit_price = Decimal("6.00")
    currency = "USD"
    etag = factory.Sequence(lambda n: f"etag-{n}")
    commitment_end_date = factory.LazyFunction(lambda: utcnow() + timedelta(days=300))
    cancellation_allowed_until = factory.LazyFunction(lambda: utcnow() + timedelta(days=5))
    effective_start_date = factory.LazyFunction(lambda: utcnow() - timedelta(days=2))


class NotificationFactory(_Factory):
    class Meta:
        model = models.Notification

    user = factory.SubFactory(UserFactory)
    category = "orders"
    title = factory.Sequence(lambda n: f"Notice {n}")
