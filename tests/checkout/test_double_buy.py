"""Buy pressed twice (a double click without JavaScript sends both forms; the browser shows the second answer):
one order, and both answers lead to it. The second request used to reach placing while the first was still
going, get the first's order back, and then finish the checkout a second time on a cart the first had
already emptied: "Internal server error" although the order was placed."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from app.checkout.models import CheckoutDraft
from app.extensions import db as _db
from app.orders.models import Order
from tests.checkout.test_account_checks import _adatum_for_fabrikam_existing_tenant
from tests.helpers import Client, soup, text_of


def _review_form(page) -> dict:
    return {i["name"]: i.get("value", "") for i in page.select("#review-form input[type=hidden]")} | {"terms": "y"}


@pytest.mark.commits
def test_buy_sent_twice_at_once_places_one_order_and_both_answers_lead_to_it(reseller_client, db, app, pc_client):
    _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    form = _review_form(soup(reseller_client.get("/checkout/review")))
    second_client = Client(app.test_client())
    second_client.http.set_cookie("session", reseller_client.http.get_cookie("session").value)
    second_client.csrf_token = reseller_client.csrf_token

    # Both requests read the checkout and its cart and meet where placing starts (its look-up of an order already
    # placed for the checkout): neither finds one. One takes the tenant's lock and places the order; the other
    # then fails to insert a second one for the checkout and looks the first one up: there it waits until the
    # first has answered (and so emptied the cart and finished the checkout) before it goes on.
    both_read = threading.Barrier(2)
    answered = {"first": threading.Event(), "second": threading.Event()}
    looked_up = threading.local()

    def rendezvous(_conn, _cursor, statement, *_args):
        if "FROM orders" not in statement or "orders.draft_id = " not in statement:
            return
        looked_up.times = getattr(looked_up, "times", 0) + 1
        if looked_up.times == 1:
            both_read.wait(timeout=20)
        elif looked_up.times == 2:
            other = "second" if threading.current_thread().name == "first" else "first"
            answered[other].wait(timeout=20)

    answers = {}

    def buy(name, client):
        try:
            answers[name] = client.post("/checkout/review", form)
        finally:
            answered[name].set()

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", rendezvous)
    try:
        threads = [threading.Thread(target=buy, name=name, args=(name, client))
                   for name, client in (("first", reseller_client), ("second", second_client))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", rendezvous)

    db.session.expire_all()
    [order] = db.session.scalars(db.select(Order)).all()
    statuses = {name: (answer.status_code, answer.headers.get("Location")) for name, answer in answers.items()}
    assert statuses == {"first": (303, f"/checkout/placed/{order.number}"),
                        "second": (303, f"/checkout/placed/{order.number}")}
    placed = second_client.get(f"/checkout/placed/{order.number}")
    assert placed.status_code == 200 and order.number in text_of(placed)
    draft = db.session.get(CheckoutDraft, order.draft_id)
    assert draft.status == "placed" and draft.order_number == order.number


def test_the_placed_page_shows_an_order_of_this_checkout_while_its_request_is_still_finishing(
        reseller_client, db, app, pc_client):
    """The second request of a double click is sent to the order's page of thanks at once; the first may not yet
    have marked the checkout placed. The order names its checkout: the page shows, to its buyer only."""
    from tests.support.orders import place, reseller_request

    draft = _adatum_for_fabrikam_existing_tenant(reseller_client, db, app, pc_client)
    order = place(db, reseller_request(db, draft_id=draft.id, domain="fabrikamthanks.onmicrosoft.com"))
    db.session.commit()
    assert db.session.get(CheckoutDraft, draft.id).order_number is None
    page = reseller_client.get(f"/checkout/placed/{order.number}")
    assert page.status_code == 200 and soup(page).select_one(".order-number").get_text() == order.number
    assert "We are setting it up with Microsoft now." in text_of(page)
