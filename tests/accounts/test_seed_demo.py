from __future__ import annotations

from app.accounts.models import Account, Licensee, User
from app.accounts.services import seed_demo


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
    assert ("customer", "Tailspin Toys", None, "US") in accounts
    assert [u[0] for u in users] == ["admin@example.com", "customer@example.com", "reseller@example.com"]
    assert licensees == [("Fabrikam, Inc.", "US"), ("Litware, Inc.", "PL")]
    for user in db.session.scalars(db.select(User)):
        assert user.check_password("demo-password")


def test_seed_demo_cli(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "Demo data is in place." in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 3


def test_reseller_home_lists_its_licensees(reseller_client):
    from tests.helpers import soup

    rows = [tr.select("td")[0].get_text() for tr in soup(reseller_client.get("/")).select("table tbody tr")]
    assert rows == ["Fabrikam, Inc.", "Litware, Inc."]
