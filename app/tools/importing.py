"""Bringing Partner Center's customers and subscriptions into the storefront (shared by the
reconciliation's "import" correction and the customer import tool): the tenant claimed for an account
(and a reseller's licensee), and a subscription recorded in the agreement of its product line, with
Partner Center's state as read. Writes flush; the caller commits.
"""
from __future__ import annotations

from app.accounts.models import Account, Licensee, Tenant
from app.catalog.models import Product, Sku
from app.connections.services import partner_center_now
from app.extensions import db
from app.subscriptions.agreements import existing_agreement, new_agreement_number
from app.subscriptions.models import Agreement, Subscription
from app.subscriptions.steps import seat_limits
from app.subscriptions.sync import apply_remote


class ImportRefused(Exception):
    pass


def tenant_of(tenant_id: str, domain: str | None) -> Tenant | None:
    return db.session.scalar(db.select(Tenant).where(db.or_(Tenant.tenant_id == tenant_id,
                                                            Tenant.domain == (domain or tenant_id))))


def claim_tenant(tenant_id: str, domain: str | None, instance: str, account: Account,
                 licensee: Licensee | None) -> Tenant:
    """The tenant as `account`'s (and `licensee`'s); refused when another account holds it."""
    tenant = tenant_of(tenant_id, domain)
    if tenant is not None and tenant.account_id not in (None, account.id):
        raise ImportRefused(f"The tenant {domain or tenant_id} belongs to {tenant.account.name} in the storefront: "
                            "import into that account.")
    if tenant is None:
        tenant = Tenant(domain=domain or tenant_id, tenant_id=tenant_id, partner_center_instance=instance)
        db.session.add(tenant)
    if tenant.account_id is None:
        tenant.account_id = account.id
    if tenant.licensee_id is None and licensee is not None:
        tenant.licensee_id = licensee.id
    tenant.tenant_id = tenant.tenant_id or tenant_id
    db.session.flush()
    return tenant


def licensee_named(reseller: Account, facts: dict, fallback: str) -> Licensee:
    """The reseller's licensee of the customer's name, created from Partner Center's billing profile
    when it has none."""
    name = (facts.get("companyName") or fallback)[:200]
    licensee = db.session.scalar(db.select(Licensee).where(Licensee.reseller_id == reseller.id,
                                                           db.func.lower(Licensee.company_name) == name.lower()))
    if licensee is None:
        licensee = Licensee(reseller_id=reseller.id, company_name=name,
                            country=(facts.get("country") or reseller.country or "US")[:2].upper(),
                            contact_first_name=(facts.get("firstName") or "Unknown")[:50],
                            contact_last_name=(facts.get("lastName") or "Unknown")[:50],
                            email=facts.get("email") or f"admin@{facts.get('domain') or 'unknown.example.com'}",
                            phone=facts.get("phone"), address_line1=facts.get("addressLine1"), city=facts.get("city"),
                            state=facts.get("state"), postal_code=facts.get("postalCode"))
        db.session.add(licensee)
        db.session.flush()
    return licensee


def new_direct_customer(facts: dict, fallback: str) -> Account:
    """A direct customer account named after Partner Center's customer (its users are invited later,
    from its page in Partners > Accounts)."""
    account = Account(kind="customer", name=(facts.get("companyName") or fallback)[:200],
                      country=(facts.get("country") or "US")[:2].upper(), email=facts.get("email"),
                      phone=facts.get("phone"), address_line1=facts.get("addressLine1"), city=facts.get("city"),
                      state=facts.get("state"), postal_code=facts.get("postalCode"))
    db.session.add(account)
    db.session.flush()
    return account


def _catalog_titles(offer_id: str) -> tuple[str | None, str | None, str | None]:
    product_id, _, rest = (offer_id or "").partition(":")
    row = db.session.execute(db.select(Product, Sku).join(Sku, Sku.product_pk == Product.id)
                             .where(Product.product_id == product_id, Sku.sku_id == rest.split(":")[0])).first()
    if row is None:
        return None, None, None
    product, sku = row
    return product.title, sku.title, product.family


def store_subscription(remote, tenant: Tenant, account: Account, licensee: Licensee | None,
                       instance: str) -> tuple[Subscription, bool]:
    """Partner Center's subscription (a partner_center Subscription) recorded in the agreement of its
    product line; (the row, whether it is new). One the storefront has already is left as it is."""
    existing = db.session.scalar(db.select(Subscription).where(Subscription.ms_subscription_id == remote.id.lower()))
    if existing is not None:
        return existing, False
    product_title, sku_title, family = _catalog_titles(remote.offer_id)
    family = family or "Other"
    licensee_id = licensee.id if licensee else None
    agreement = existing_agreement(account.id, licensee_id, tenant.domain, tenant.tenant_id, family)
    if agreement is None:
        agreement = Agreement(number=new_agreement_number(), account_id=account.id, licensee_id=licensee_id,
                              tenant_domain=tenant.domain, tenant_id=tenant.tenant_id, family=family)
        db.session.add(agreement)
    product_id, _, rest = (remote.offer_id or "").partition(":")
    low, high = seat_limits(product_id, rest.split(":")[0])
    sub = Subscription(ms_subscription_id=remote.id.lower(), account_id=account.id, agreement=agreement,
                       tenant_id=tenant.tenant_id, ms_order_id=remote.order_id, offer_id=remote.offer_id or "",
                       product_title=product_title or remote.offer_name or "",
                       sku_title=sku_title or remote.offer_name or "",
                       friendly_name=remote.friendly_name or sku_title or remote.offer_name or "",
                       quantity=remote.quantity, customer_name=licensee.company_name if licensee else account.name,
                       tenant_domain=tenant.domain, partner_center_instance=instance, min_quantity=low,
                       max_quantity=high)
    db.session.add(sub)
    apply_remote(sub, remote, partner_center_now(), audit_outside=False)
    db.session.flush()
    return sub, True
