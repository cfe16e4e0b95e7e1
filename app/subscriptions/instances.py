"""Dynamics 365 instances.

Customers who keep several Dynamics 365 environments (production, test, staging) want one
subscription per environment. With the storefront option "Create a new Dynamics subscription for
every order" on (admin > Storefront options):

- the checkout asks for an instance name for every Dynamics 365 line; the purchase creates a new
  subscription with that name as its friendly name (app/orders/purchase_steps.py sends it on the
  cart line; a purchase never adds to an existing subscription, at Microsoft or here);
- licences for an existing instance are added from its subscription's page ("Add licences to this
  instance"): a change order (commands.add_licences), with the usual rules, audit and provisioning.

Off, a Dynamics 365 purchase for a tenant that already has an active subscription of the same SKU,
term and billing plan adds its licences to that subscription (`existing_instance`; the checkout
places a change order for it instead of a purchase), so the customer keeps one environment. Other
products are bought as always. "Dynamics 365" is the catalog's rule (app.catalog.search.is_dynamics),
read from the product's title.
"""
from __future__ import annotations

from app.admin import settings_cache
from app.catalog.search import is_dynamics
from app.orders.models import OrderType
from app.extensions import db
from app.subscriptions.models import Subscription, SubscriptionStatus

# Partner Center's limit on a subscription's friendly name (the rename rule's too).
INSTANCE_NAME_MAX = 128


def instances_on() -> bool:
    return settings_cache.current().dynamics_instance_per_order


def names_instance(product_title: str | None) -> bool:
    """Does buying this product ask for an instance name (and always create a new subscription)?"""
    return is_dynamics(product_title) and instances_on()


def existing_instance(*, account_id: int, tenant_id: str | None, product_title: str, product_id: str, sku_id: str,
                      term_duration: str, billing_plan: str) -> Subscription | None:
    """With the option off: the customer's active Dynamics 365 subscription in this tenant of this SKU, term
    and billing plan, which a purchase of it adds licences to instead of creating another; None otherwise."""
    if not tenant_id or not is_dynamics(product_title) or instances_on():
        return None
    offer = f"{product_id}:{sku_id}:".lower()
    # A tenant belongs to one customer of the account (app.accounts.models.Tenant), so account + tenant is it.
    return db.session.scalar(db.select(Subscription).where(
        Subscription.account_id == account_id, db.func.lower(Subscription.tenant_id) == tenant_id.lower(),
        Subscription.status == SubscriptionStatus.ACTIVE, Subscription.term_duration == term_duration,
        Subscription.billing_plan == billing_plan, db.func.lower(Subscription.offer_id).like(f"{offer}%"))
        .order_by(Subscription.created_at).limit(1))


def adds_licences(sub: Subscription) -> bool:
    """Are licences for this subscription bought as "Add licences to this instance"?"""
    return is_dynamics(sub.product_title) and instances_on()


def bought_as_instance(sub: Subscription) -> bool:
    """Was the subscription bought with an instance name (its purchase line named one)?"""
    order = sub.order
    if order is None or order.type != OrderType.PURCHASE:
        return False
    product_id, _, rest = (sub.offer_id or "").lower().partition(":")
    sku_id = rest.split(":")[0]
    return any(line.instance_name and line.product_id.lower() == product_id and line.sku_id.lower() == sku_id
               for line in order.lines)


def instance_name(sub: Subscription) -> str | None:
    """The instance's name for the subscription's page: its friendly name at Microsoft (a rename
    renames the instance), for a Dynamics 365 subscription that is an instance."""
    if is_dynamics(sub.product_title) and (bought_as_instance(sub) or instances_on()):
        return sub.friendly_name
    return None
