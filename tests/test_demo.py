from __future__ import annotations

import re

from app.accounts.models import Account, Licensee, User
from app.demo import seed_demo


def _snapshot(db):
    return (
        sorted((a.kind, a.name, a.partner_id, a.country) for a in db.session.scalars(db.select(Account))),
        sorted((u.email, u.account.name, u.role) for u in db.session.scalars(db.select(User))),
        sorted((lic.company_name, lic.country) for lic in db.session.scalars(db.select(Licensee))),
    )


def test_seed_demo_creates_the_demo_organisations_and_is_idempotent(app, db):
    seed_demo()
    first = _snapshot(db)
    seed_demo()
    assert _snapshot(db) == first
    accounts, users, licensees = first
    assert ("operator", "Northwind Cloud Distribution", None, "US") in accounts
    assert ("reseller", "Adatum IT Services", "1234567", "US") in accounts
    assert ("reseller", "Litware Systems Sp. z o.o.", "2345678", "PL") in accounts
    assert ("customer", "Tailspin Toys", None, "US") in accounts
    assert users == [
        ("admin@example.com", "Northwind Cloud Distribution", "admin"),
        ("customer-member@example.com", "Tailspin Toys", "member"),
        ("customer@example.com", "Tailspin Toys", "admin"),
        ("migrated-member@example.com", "Fourth Coffee Reseller", "member"),
        ("migrated@example.com", "Fourth Coffee Reseller", "admin"),
        ("operator-member@example.com", "Northwind Cloud Distribution", "member"),
        ("reseller-member@example.com", "Adatum IT Services", "member"),
        ("reseller2@example.com", "Litware Systems Sp. z o.o.", "admin"),
        ("reseller@example.com", "Adatum IT Services", "admin"),
    ]
    # Alpine Ski House: the licensee of the migrated Fourth Coffee Reseller (app/migration/example.json).
    assert licensees == [("Alpine Ski House", "US"), ("Coho Winery", "PL"), ("Fabrikam, Inc.", "US"),
                         ("Litware, Inc.", "PL")]
    for user in db.session.scalars(db.select(User)):
        assert user.check_password("demo-password")


def test_seed_demo_cli(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "Demo data is in place." in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 9


def test_reseller_home_lists_its_licensees(reseller_client):
    from tests.helpers import soup

    rows = [tr.select("td")[0].get_text() for tr in soup(reseller_client.get("/")).select("table tbody tr")]
    assert rows == ["Fabrikam, Inc.", "Litware, Inc."]


def test_the_second_reseller_is_the_sandboxs_second_network_member(app, db):
    """Litware Systems is partner 2345678 of the sandbox's reseller network, with its tenant id, and
    its licensee Coho Winery has an address that passes Partner Center's rules for Poland."""
    from app.connections.services import get_client
    from app.sandbox.seed import RESELLERS

    seed_demo()
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    network = {r["mpnId"]: r for r in RESELLERS}
    assert (litware.name, litware.partner_tenant_id) == (network["2345678"]["name"], network["2345678"]["tenantId"])
    [coho] = litware.licensees
    assert (coho.company_name, coho.country) == ("Coho Winery", "PL")
    client = get_client()
    validation = client.validate_address({"addressLine1": coho.address_line1, "city": coho.city,
                                          "postalCode": coho.postal_code, "country": coho.country})
    assert validation.status == "VerifiedShippable", validation
    phone_rule = client.get_country_rules("PL").phone_number_regex
    assert re.fullmatch(phone_rule, coho.phone) and re.fullmatch(phone_rule, litware.phone)


def test_the_demo_resellers_are_checked_with_the_sandbox_network(db, operator_client):
    """admin > Accounts shows the demo resellers as the sandbox answers for them: READY."""
    from tests.helpers import soup

    page = soup(operator_client.get("/admin/accounts/"))
    rows = {row.select_one("td a").get_text(): row.get_text(" ", strip=True) for row in page.select("tbody tr")}
    assert "READY" in rows["Adatum IT Services"].upper() and "Not checked" not in rows["Adatum IT Services"]
    assert "READY" in rows["Litware Systems Sp. z o.o."].upper()


def test_the_demo_direct_customer_has_the_billing_address_a_direct_customer_needs(db, operator_client):
    """Onboarding asks a direct customer for its billing address; the demo's showed "Billing address —"."""
    from app.accounts.models import Account
    from tests.helpers import soup

    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    page = soup(operator_client.get(f"/admin/accounts/{tailspin.id}"))
    assert page.select_one("#billing-address").get_text(" ", strip=True) == "500 Pine Street, Seattle, WA 98101"
