"""The page of an order on an existing subscription: each change line names its subscription and
links to it, so the person who asked for the change can go back to what it changed."""
from __future__ import annotations

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
