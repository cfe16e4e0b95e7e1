"""admin > Accounts > an account, beyond its details: links to the account's orders and subscriptions."""
from __future__ import annotations

import pytest

from app.accounts.models import Account
from tests.helpers import soup


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


@pytest.mark.parametrize("who", ["operator_client", "operator_member_client"])
def test_an_account_page_links_to_its_orders_and_subscriptions(request, demo, db, who):
    client = request.getfixturevalue(who)
    for account in (_adatum(db), db.session.scalar(db.select(Account).where(Account.kind == "customer"))):
        page = soup(client.get(f"/admin/accounts/{account.id}"))
        orders = page.find("a", string=f"Orders of {account.name}")
        subscriptions = page.find("a", string=f"Subscriptions of {account.name}")
        assert orders["href"] == f"/orders?account={account.id}"
        assert subscriptions["href"] == f"/subscriptions?account={account.id}"
        # Each leads to the list showing that account's, its filter saying so.
        for link in (orders, subscriptions):
            listed = soup(client.get(link["href"]))
            assert listed.select_one("#account option[selected]").get_text() == account.name
