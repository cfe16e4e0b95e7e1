"""The page of a completed purchase: each item links to the subscription it created, and its price per seat says
per what (the billing plan's period), as the cart and the checkout's Review say it."""
from __future__ import annotations

from app.accounts.models import Account
from app.orders.models import Order
from tests.helpers import soup
from tests.support.orders import line
from tests.support.subscriptions import BASIC, STANDARD, buy


def _items(client, order_number: str) -> list:
    page = soup(client.get(f"/orders/{order_number}"))
    return page.select("section[aria-labelledby=items-heading] tbody tr")


def test_each_item_links_to_the_subscription_it_created_and_says_its_price_per_period(db, demo, reseller_client,
                                                                                      operator_client):
    basic, standard = sorted(buy(db, lines=[line(**BASIC, quantity=10, plan="monthly"),
                                            line(**{**STANDARD, "price": "150.00"}, quantity=4, plan="annual")]),
                             key=lambda sub: sub.product_title != BASIC["title"])
    number = db.session.get(Order, basic.order_id).number
    page = soup(reseller_client.get(f"/orders/{number}"))
    headers = [th.get_text() for th in page.select("section[aria-labelledby=items-heading] thead th")]
    assert headers[4] == "Price per seat"
    for client in (reseller_client, operator_client):
        first, second = _items(client, number)
        assert first.select_one("td a")["href"] == f"/subscriptions/{basic.id}"
        assert first.select_one("td a").get_text() == "Microsoft 365 Business Basic"
        assert second.select_one("td a")["href"] == f"/subscriptions/{standard.id}"
        assert first.select("td")[4].get_text(" ", strip=True) == "6.00 USD per month"
        assert second.select("td")[4].get_text(" ", strip=True) == "150.00 USD per year"


def test_an_item_whose_subscription_the_viewer_may_not_see_is_not_linked(db, demo, reseller_client):
    """A subscription now of another account (imported there, say) is not the buyer's to open: its item stays text."""
    [sub] = buy(db)
    sub.account_id = db.session.scalar(db.select(Account.id).where(Account.name.like("Litware%")))
    db.session.commit()
    [item] = _items(reseller_client, db.session.get(Order, sub.order_id).number)
    assert item.select_one("td a") is None
    assert item.select("td")[0].get_text() == "Microsoft 365 Business Basic"
