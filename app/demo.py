"""The demo data that `flask seed-demo` (and so `make run`) loads: the operator, two resellers with
their customers, a direct customer, a user of each role, and the sandbox's catalog.

It builds on every area, so it lives at the top of app/, beside the CLI."""
from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Account, Licensee, User
from app.accounts.services import create_account, create_user
from app.catalog.sync import seed_catalog
from app.connections.services import get_client, sandbox_mode
from app.extensions import db
from app.partners.network import check_partner_id
from app.partners.services import record_readiness
from app.programs.services import certificates_of, issue_active

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoUser:
    email: str
    role_label: str


DEMO_USERS = (
    DemoUser("admin@example.com", "operator admin (Northwind Cloud Distribution)"),
    DemoUser("operator-member@example.com", "operator member (Northwind Cloud Distribution)"),
    DemoUser("reseller@example.com", "reseller admin (Adatum IT Services, partner ID 1234567)"),
    DemoUser("reseller-member@example.com", "reseller member (Adatum IT Services)"),
    DemoUser("reseller2@example.com", "reseller admin (Litware Systems Sp. z o.o., partner ID 2345678, Poland)"),
    DemoUser("customer@example.com", "direct customer admin (Tailspin Toys)"),
    DemoUser("customer-member@example.com", "direct customer member (Tailspin Toys)"),
    DemoUser("migrated@example.com", "reseller admin (Fourth Coffee Reseller, migrated from the previous portal)"),
    DemoUser("migrated-member@example.com", "reseller member (Fourth Coffee Reseller, migrated)"),
)


def _get_or_create_account(kind: str, name: str, **fields) -> Account:
    account = db.session.scalar(db.select(Account).where(Account.kind == kind, Account.name == name))
    if account is None:
        account = create_account(kind, name, **fields)
        db.session.flush()
    return account


def _ensure_user(account: Account, name: str, email: str, role: str) -> User:
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        user = create_user(account, name, email, DEMO_PASSWORD, role=role)
    return user


def _ensure_licensee(reseller: Account, company_name: str, **fields) -> Licensee:
    licensee = db.session.scalar(db.select(Licensee).where(Licensee.reseller_id == reseller.id,
                                                           Licensee.company_name == company_name))
    if licensee is None:
        licensee = Licensee(reseller=reseller, company_name=company_name, **fields)
        db.session.add(licensee)
    return licensee


def _migrated_reseller() -> None:
    """Fourth Coffee Reseller, imported from the example migration file (app/migration/example.json)
    as `flask migration import` would, with its history under Archive. Its users of the previous portal
    are created here with the demo password, as if they had accepted their invitations, so the demo
    queues no mail."""
    from app.migration.importer import EXAMPLE_FILE, import_content
    from app.migration.models import MigratedUser

    with open(EXAMPLE_FILE, "rb") as fh:
        import_content(fh.read(), invite=False)
    for person in db.session.scalars(db.select(MigratedUser).where(MigratedUser.user_id.is_(None))):
        person.user = _ensure_user(person.migrated_account.account, person.name, person.email, person.role)
    db.session.flush()


# The sandbox's seeded reseller network gives Adatum and Litware these Partner Center tenant ids.
ADATUM_TENANT_ID = "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71"
LITWARE_SYSTEMS_TENANT_ID = "7e4d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"


def seed_demo() -> None:
    """Create the demo organisations and users. Idempotent: running it again changes nothing.

    This is the one place demo data lives; later areas add theirs here.
    """
    operator = _get_or_create_account("operator", "Northwind Cloud Distribution", country="US",
                                      email="partners@northwind.example.com", phone="+1 425 555 0100")
    _ensure_user(operator, "Nora Admin", "admin@example.com", "admin")
    _ensure_user(operator, "Owen Member", "operator-member@example.com", "member")

    adatum = _get_or_create_account("reseller", "Adatum IT Services", country="US", partner_id="1234567",
                                     partner_tenant_id=ADATUM_TENANT_ID, markets=["US"],
                                     email="sales@adatum.example.com", phone="+1 206 555 0142")
    _ensure_user(adatum, "Rita Reseller", "reseller@example.com", "admin")
    _ensure_user(adatum, "Ray Member", "reseller-member@example.com", "member")
    _ensure_licensee(adatum, "Fabrikam, Inc.", country="US", contact_first_name="Frank",
                     contact_last_name="Miller", email="it@fabrikam.example.com", phone="+1 312 555 0175",
                     address_line1="1 Microsoft Way", city="Redmond", state="WA", postal_code="98052")
    _ensure_licensee(adatum, "Litware, Inc.", country="PL", contact_first_name="Lena",
                     contact_last_name="Nowak", email="admin@litware.example.com", phone="+48 22 555 0134",
                     address_line1="ul. Marszałkowska 100", city="Warszawa", postal_code="00-026")

    # A second reseller, the sandbox's other network member, so that isolation between
    # resellers can be shown (and tested).
    litware = _get_or_create_account("reseller", "Litware Systems Sp. z o.o.", country="PL", partner_id="2345678",
                                     partner_tenant_id=LITWARE_SYSTEMS_TENANT_ID, markets=["PL"],
                                     email="sprzedaz@litware-systems.example.com", phone="+48 123 555 012")
    _ensure_user(litware, "Lidia Reseller", "reseller2@example.com", "admin")
    _ensure_licensee(litware, "Coho Winery", country="PL", contact_first_name="Jan",
                     contact_last_name="Kowalski", email="it@cohowinery.example.com", phone="+48 612 555 018",
                     address_line1="ul. Winna 7", city="Zielona Góra", postal_code="65-001")

    tailspin = _get_or_create_account("customer", "Tailspin Toys", country="US",
                                      email="it@tailspin.example.com", phone="+1 555 010 0123",
                                      address_line1="500 Pine Street", city="Seattle", state="WA", postal_code="98101")
    _ensure_user(tailspin, "Carl Customer", "customer@example.com", "admin")
    _ensure_user(tailspin, "Cora Member", "customer-member@example.com", "member")
    # Both resellers enrolled in the CSP Partner Program: an active certificate each, so they can order.
    for reseller in (adatum, litware):
        if not certificates_of(reseller.id):
            issue_active(reseller, contact_email=reseller.email)
    _migrated_reseller()
    db.session.commit()

    # The sandbox's catalog and prices, synchronised here (not by the worker) so a fresh
    # `make run` shows products with prices. Skipped once a sync has succeeded; live mode waits
    # for the operator's first sync instead of calling Microsoft from a seed command.
    if sandbox_mode():
        client = get_client()
        # The demo resellers are in the sandbox's network: admin > Accounts shows them READY, as
        # the operator's own check would, instead of "Not checked".
        for reseller in (adatum, litware):
            if reseller.partner_checked_at is None:
                record_readiness(reseller, check_partner_id(client, reseller.partner_id, reseller.partner_tenant_id))
        db.session.commit()
        seed_catalog(client)
