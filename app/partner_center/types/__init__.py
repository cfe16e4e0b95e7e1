"""Typed results of Partner Center calls.

Every class has ``from_json(data)`` that accepts camelCase or PascalCase keys (the service
answers camelCase, older payloads and the .NET SDK use PascalCase) and ignores fields it does not
know; a ``base.Resource`` keeps the whole payload in ``raw`` so nothing is lost (subscription
updates send the full resource back). Dates become aware ``datetime`` objects when they parse,
else None. Each field names its key and how its value is read (``base.key``); ``base.FromJson``
does the reading.
"""

from __future__ import annotations

from .base import Page, get_field, parse_datetime, set_field  # noqa: F401  (the helpers are importable here too)
from .customers import Address, AddressValidation, CountryRules, Customer, UserCredentials, ValidationStatus
from .relationships import AgreementStatus, IndirectReseller, MpnProfile, Relationship, RelationshipRequest
from .agreements import Agreement, AgreementTemplate, Contact, DirectSignedStatus, EnhancedAttestation
from .catalog import Availability, Product, Sku, Term
from .orders import Cart, CartLineItem, CheckoutResult, Order, OrderError, OrderLineItem, ProvisioningStatus
from .subscriptions import RefundableQuantity, ScheduledNextTerm, Subscription

__all__ = [
    "Address",
    "UserCredentials",
    "Customer",
    "CountryRules",
    "AddressValidation",
    "ValidationStatus",
    "MpnProfile",
    "AgreementStatus",
    "IndirectReseller",
    "Relationship",
    "RelationshipRequest",
    "AgreementTemplate",
    "Contact",
    "Agreement",
    "EnhancedAttestation",
    "DirectSignedStatus",
    "Product",
    "Sku",
    "Term",
    "Availability",
    "CartLineItem",
    "Cart",
    "OrderError",
    "CheckoutResult",
    "OrderLineItem",
    "Order",
    "ProvisioningStatus",
    "RefundableQuantity",
    "ScheduledNextTerm",
    "Subscription",
    "Page",
]
