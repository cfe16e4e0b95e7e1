"""The Partner Center REST v1 client: one ``PartnerCenterClient`` per Partner Center instance.

Every operation is a method documented with its HTTP path (the contract is
/work/shared/partner-center.md), in the module of its resource:

* ``customers``: domains, customers, country rules, address validation;
* ``profiles``: a customer's company profile and billing profile;
* ``relationships``: MPN profiles, agreement status, the reseller network, customer
  relationships, relationship request links;
* ``agreements``: the Microsoft Customer Agreement (MCA);
* ``catalog``: products, SKUs, availabilities, the price sheet;
* ``orders``: carts and orders;
* ``subscriptions``: reading and changing subscriptions;
* ``gdap``: granular delegated admin relationships (Microsoft Graph);
* ``webhooks``: the webhook registration, and verifying the events Partner Center posts.

They share one transport (``transport.Transport``): headers, tokens, the retry policy, logging
and errors.
"""

from __future__ import annotations

from .agreements import MCA, Agreements
from .catalog import Catalog
from .customers import Customers
from .gdap import Gdap
from .orders import CartsAndOrders, reseller_line_item
from .profiles import Profiles
from .relationships import Relationships
from .subscriptions import Subscriptions
from .transport import InstanceConfig, new_request_id
from .webhooks import Webhooks

__all__ = ["InstanceConfig", "PartnerCenterClient", "MCA", "new_request_id", "reseller_line_item"]


class PartnerCenterClient(Customers, Profiles, Relationships, Agreements, Catalog, CartsAndOrders, Subscriptions,
                          Gdap, Webhooks):
    """Partner Center REST v1 for one instance. Thread-safe for concurrent calls (httpx.Client
    and the token provider both are). Close it (or use ``with``) to release connections."""
