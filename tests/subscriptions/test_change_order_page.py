"""The page of an order on an existing subscription: each change line names its subscription and
links to it, so the person who asked for the change can go back to what it changed."""
from __future__ import annotations

from datetime import timedelta

from app.orders.models import Order
from tests.helpers import soup
from tests.support.subscriptions import submit


def test_each_change_line_links_to_its_subscription(db, reseller_client, bought):
    response = submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/quantity",
                      quantity="12")
    assert response.status_code == 303
    order = db.session.scalar(db.select(Order).where(Order.number == response.headers["Location"].rsplit("/", 1)[1]))

    page = soup(reseller_client.get(f"/orders/{order.number}"))

    [row] = page.select("table.change-lines tbody tr")
    link = row.select_one("td a")
    assert link is not None and link["href"] == f"/subscriptions/{bought.id}"
    assert link.get_text() == bought.sku_title
    assert row.select_one(".change-label").get_text() == "Add seats from 10 to 12"
    # What the change adds to the charge per billing period, not a bill: added seats are charged pro rata.
    price = f"{bought.unit_price * 2:,.2f}"
    assert row.select_one(".change-amount").get_text() == f"+{price} {bought.currency} per month"


def test_a_cancellation_says_what_it_takes_off_the_charge_not_a_refund_of_the_whole_period(
        db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=2))
    response = submit(reseller_client, f"/subscriptions/{bought.id}/cancel", f"/subscriptions/{bought.id}/cancel")
    assert response.status_code == 303
    page = soup(reseller_client.get(response.headers["Location"]))
    [row] = page.select("table.change-lines tbody tr")
    assert page.select_one("table.change-lines th:nth-of-type(3)").get_text() == "Change in charge"
    assert row.select_one(".change-label").get_text() == "Cancel the subscription (10 seats, refunded pro rata)"
    assert row.select_one(".change-amount").get_text() == \
        f"−{bought.unit_price * 10:,.2f} {bought.currency} per month"


def test_a_rename_changes_no_charge(db, reseller_client, bought):
    response = submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/rename",
                      **{"rename-friendly_name": "Sales team"})
    assert response.status_code == 303
    [row] = soup(reseller_client.get(response.headers["Location"])).select("table.change-lines tbody tr")
    assert row.select_one(".change-amount").get_text() == "—"
