"""What the sandbox holds on first use (idempotent: written once per store).

- the operator's partner tenant (the distributor; its id is SANDBOX_TENANT_ID);
- MPN profiles of resellers: three in the operator's reseller network with the
  Microsoft Partner Agreement signed (the demo storefront onboards two of them),
  one whose MPA is not signed for this region, one registered in another region;
- existing customer tenants with no relationship to the operator yet:
  fabrikam.onmicrosoft.com (default domain fabrikam.com, US),
  wingtiptoys.onmicrosoft.com (PL), and contoso.onmicrosoft.com (a customer of
  another partner);
- customers of the operator that the demo storefront does not know, each with a
  subscription bought 40 days ago (outside its 7-day window), for the operator's
  tools (reconciliation, customer import): Wide World Importers, a direct
  customer with 12 seats of Microsoft 365 Business Standard, and Alpine Ski
  House, an indirect customer through Adatum IT Services (1234567) with 8 seats
  of Microsoft 365 Business Premium.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

OPERATOR = {
    "name": "Northwind Cloud Distribution",
    "mpnId": "5550001",
    "location": "Warsaw, PL",
}

# mpnId -> profile. agreement: signed | not_signed_region (2203) | other_region (2201)
RESELLERS = [
    {"mpnId": "1234567", "name": "Adatum IT Services", "tenantId": "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71",
     "location": "Seattle, US", "inNetwork": True, "agreement": "signed"},
    {"mpnId": "2345678", "name": "Litware Systems Sp. z o.o.", "tenantId": "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b",
     "location": "Krakow, PL", "inNetwork": True, "agreement": "signed"},
    # In the network and signed, but no account of the demo storefront: the reseller an operator
    # onboards in a demo (admin > Accounts > New reseller).
    {"mpnId": "5678901", "name": "Fourth Coffee IT", "tenantId": "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f",
     "location": "Chicago, US", "inNetwork": True, "agreement": "signed"},
    {"mpnId": "3456789", "name": "Proseware Solutions", "tenantId": "9c8b7a6f-5e4d-4c3b-a2f1-0e9d8c7b6a5f",
     "location": "Poznan, PL", "inNetwork": False, "agreement": "not_signed_region"},
    {"mpnId": "4567890", "name": "Lucerne Cloud Partners", "tenantId": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
     "location": "Sao Paulo, BR", "inNetwork": False, "agreement": "other_region"},
]

AGREEMENT_TEMPLATES = [
    {"templateId": "117a77b0-9360-443b-8795-c6dedc750cf9", "agreementType": "MicrosoftCustomerAgreement",
     "agreementLink": "https://aka.ms/customeragreement", "versionRank": 0},
    {"templateId": "998b88de-aa99-4388-a42c-1b3517d49490", "agreementType": "MicrosoftCloudAgreement",
     "agreementLink": "https://docs.microsoft.com/en-us/partner-center/agreements", "versionRank": 0},
]

SEEDED_AT = "2024-01-15T09:00:00Z"


def _address(first_name, last_name, line1, city, state, postal_code, country, phone) -> dict:
    """A billing profile's default address (its contact's name and phone with it)."""
    return {"firstName": first_name, "lastName": last_name, "addressLine1": line1, "city": city, "state": state,
            "postalCode": postal_code, "country": country, "phoneNumber": phone}


def _tenant(tenant_id, domain, company, address, email, *, custom_domain=None, other_partner=None, reseller=None):
    """A customer tenant: its onmicrosoft.com domain and, where it has one, its own domain (then the
    default one); `other_partner`, another partner it is a customer of; `reseller`, the tenant id of
    the operator's reseller it buys through."""
    domains = [domain, custom_domain] if custom_domain else [domain]
    return {
        "id": tenant_id,
        "commerceId": tenant_id[::-1][:8] + tenant_id[8:],
        "domain": domain,
        "domains": domains,
        "defaultDomain": domains[-1],
        "companyName": company,
        "organizationRegistrationNumber": None,
        "billingProfile": {
            "email": email,
            "culture": "en-US",
            "language": "en",
            "companyName": company,
            "firstName": address["firstName"],
            "lastName": address["lastName"],
            "defaultAddress": address,
        },
        "createdAt": SEEDED_AT,
        "origin": "existing",
        "otherPartners": [other_partner] if other_partner else [],
        "underReview": False,
        "relationship": None,
        "indirectResellers": [reseller] if reseller else [],
        "associatedPartnerId": reseller,
    }


EXISTING_TENANTS = [
    _tenant("3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3", "fabrikam.onmicrosoft.com", "Fabrikam, Inc.",
            _address("Kim", "Akers", "1 Microsoft Way", "Redmond", "WA", "98052", "US", "4255550100"),
            "kim@fabrikam.com", custom_domain="fabrikam.com"),
    _tenant("6b1e4d7a-2c5f-4a8b-9e3d-f1a2b3c4d5e6", "wingtiptoys.onmicrosoft.com", "Wingtip Toys Sp. z o.o.",
            _address("Anna", "Nowak", "ul. Grodzka 12", "Krakow", "", "31-006", "PL", "+48 12 345 67 89"),
            "anna.nowak@wingtiptoys.onmicrosoft.com"),
    _tenant("0e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "contoso.onmicrosoft.com", "Contoso Ltd.",
            _address("Megan", "Bowen", "350 Fifth Avenue", "New York", "NY", "10118", "US", "2125550123"),
            "megan@contoso.com", custom_domain="contoso.com", other_partner="Woodgrove Cloud Services"),
]


ADATUM_TENANT_ID = RESELLERS[0]["tenantId"]

# Customers of the operator the demo storefront does not know, with one subscription each (of the
# product's SKU 0001, named as the catalog names it).
KNOWN_ONLY_TO_PARTNER_CENTER = [
    (_tenant("9d4c1a7e-3b2f-4e6d-8a5c-7f1e2d3c4b5a", "wideworldimporters.onmicrosoft.com", "Wide World Importers",
             _address("Lidia", "Holloway", "500 Pine Street", "Seattle", "WA", "98101", "US", "2065550142"),
             "lidia@wideworldimporters.onmicrosoft.com"),
     {"id": "e6f1a2b3-c4d5-4e6f-8a7b-9c0d1e2f3a4b", "orderId": "5d2e8f1a-7c3b-4a6d-9e0f-1a2b3c4d5e6f",
      "productId": "CFQ7TTC0LDPB", "quantity": 12}),
    (_tenant("2a7b3c9d-5e1f-4a2b-8c3d-4e5f6a7b8c9d", "alpineskihouse.onmicrosoft.com", "Alpine Ski House",
             _address("Alex", "Wilber", "77 Summit Road", "Denver", "CO", "80202", "US", "3035550177"),
             "alex@alpineskihouse.onmicrosoft.com", reseller=ADATUM_TENANT_ID),
     {"id": "b7c8d9e0-f1a2-4b3c-9d4e-5f6a7b8c9d0e", "orderId": "8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3",
      "productId": "CFQ7TTC0LCHC", "quantity": 8, "partnerId": "1234567"}),
]


def _seed_partner_center_only_customers(tx) -> None:
    from .catalog import availability_id, find_product, find_sku
    from .resources import add_months, new_etag

    bought = tx.now() - timedelta(days=40)
    stamp = bought.strftime("%Y-%m-%dT%H:%M:%SZ")
    for tenant, sub in KNOWN_ONLY_TO_PARTNER_CENTER:
        if tx.get("tenant", tenant["id"]) is not None:
            continue
        tx.put("tenant", tenant["id"], dict(tenant, origin="created", createdAt=stamp,
                                            relationship={"type": "reseller", "since": stamp, "via": "created"}))
        sku = find_sku(find_product(sub["productId"]), "0001")
        avail = availability_id(sub["productId"], "0001")
        tx.put("subscription", sub["id"], {
            "id": sub["id"], "offerId": f"{sub['productId']}:0001:{avail}", "offerName": sku["title"],
            "friendlyName": sku["title"], "quantity": sub["quantity"], "status": "active", "autoRenewEnabled": True,
            "billingCycle": "monthly", "termDuration": "P1Y", "creationDate": stamp, "effectiveStartDate": stamp,
            "scheduledNextTermInstructions": None, "orderId": sub["orderId"], "partnerId": sub.get("partnerId", ""),
            "etag": new_etag(), "_tenantId": tenant["id"], "_productId": sub["productId"], "_skuId": "0001",
            "_availabilityId": avail, "_country": "US", "_min": sku["minimumQuantity"], "_max": sku["maximumQuantity"],
            "_termEnd": add_months(bought, 12).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "_batches": [{"quantity": sub["quantity"], "addedAt": stamp}],
        }, parent=tenant["id"])


# What a new store holds: "demo", everything above; "network", the partner tenant and its reseller
# network only (a second Partner Center instance of the operator, such as another region's partner
# tenant: its own customers come from the storefront's orders).
SEEDS = ("demo", "network")


def seed(tx, operator_tenant_id: str, kind: str = "demo") -> None:
    if kind not in SEEDS:
        raise ValueError(f"unknown sandbox seed {kind!r}; expected one of {', '.join(SEEDS)}")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    tx.put("partner", operator_tenant_id, dict(OPERATOR, tenantId=operator_tenant_id, seededAt=now))
    for reseller in RESELLERS:
        tx.put("reseller", reseller["mpnId"], dict(reseller))
    if kind == "network":
        return
    for tenant in EXISTING_TENANTS:
        if tx.get("tenant", tenant["id"]) is None:
            tx.put("tenant", tenant["id"], dict(tenant))
    _seed_partner_center_only_customers(tx)
    _seed_reseller_gdap(tx, operator_tenant_id, now)


def _seed_reseller_gdap(tx, operator_tenant_id: str, now: str) -> None:
    """A GDAP relationship the operator created in Partner Center for Adatum IT Services on Fabrikam's
    tenant, awaiting Adatum's approval (the indirect-reseller variant, gdap_reseller.py)."""
    from .gdap_reseller import reseller_relationship

    if tx.meta("seeded_reseller_gdap"):
        return
    rel = reseller_relationship(reseller_tenant_id=ADATUM_TENANT_ID, provider_tenant_id=operator_tenant_id,
                                customer=EXISTING_TENANTS[0], display_name="Adatum IT Services fabrikam", now=now)
    tx.put("gdap", rel["id"], rel)
    tx.set_meta("seeded_reseller_gdap", True)
