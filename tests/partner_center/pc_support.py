"""Constants and helpers shared by the Partner Center client tests
(``from tests.partner_center.pc_support import ...``)."""

from __future__ import annotations

import itertools
import uuid

from app.partner_center import Address, Contact, InstanceConfig, PartnerCenterClient

TENANT_ID = "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c"
CLIENT_ID = "00000000-0000-0000-0000-00000000c11e"
CLIENT_SECRET = "sandbox-secret"
REFRESH_TOKEN = "sandbox-refresh-token"

# Seeded resellers: (MPN id, tenant id)
ADATUM = ("1234567", "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71")
LITWARE = ("2345678", "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b")
FABRIKAM_ID = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"

US_ADDRESS = Address(
    address_line1="1 Microsoft Way",
    city="Redmond",
    state="WA",
    postal_code="98052",
    country="US",
    first_name="Alex",
    last_name="Wilber",
    phone_number="4255550100",
)
CONTACT = Contact(first_name="Alex", last_name="Wilber", email="alex@example.com", phone_number="4255550100")

_counter = itertools.count(1)


def instance(**overrides) -> InstanceConfig:
    settings = dict(
        name="sandbox-test",
        tenant_id=TENANT_ID,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        timeout=10.0,
        connect_timeout=2.0,
        backoff_base=0.05,
        backoff_max=0.5,
    )
    settings.update(overrides)
    return InstanceConfig(**settings)


def unique_prefix(stem: str = "co") -> str:
    return f"{stem}{next(_counter)}{uuid.uuid4().hex[:6]}"


def new_customer(client: PartnerCenterClient, prefix: str | None = None, **kw):
    kw.setdefault("company_name", "Test Company")
    kw.setdefault("email", "admin@example.com")
    kw.setdefault("address", US_ADDRESS)
    return client.create_customer(domain=prefix or unique_prefix(), **kw)

