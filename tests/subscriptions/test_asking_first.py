"""Asking before a change that cannot be undone: a reduction of seats inside the 7-day window (seats
cancelled at once), and turning auto-renewal off while a change is scheduled for the renewal (the change
is dropped). Increases, scheduled changes and turning auto-renewal off with nothing scheduled ask nothing."""
from __future__ import annotations

from datetime import timedelta

from app.orders.models import Order
from tests.helpers import soup, text_of
from tests.support.orders import run_job
from tests.support.subscriptions import form_data, submit


def _page(sub):
    return f"/subscriptions/{sub.id}"


def _orders(db) -> int:
    return db.session.scalar(db.select(db.func.count(Order.id)))


def _schedule(db, client, sub, seats: str):
    response = submit(client, _page(sub), f"/subscriptions/{sub.id}/schedule", **{"schedule-quantity": seats})
    assert response.status_code == 303, "a scheduled change asks nothing"
    number = response.headers["Location"].rsplit("/", 1)[1]
    assert run_job(db.session.scalar(db.select(Order.id).where(Order.number == number))) == "completed"
    db.session.expire_all()


def test_reducing_seats_inside_the_window_asks_first_saying_how_many_go(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=2))
    action = f"/subscriptions/{bought.id}/quantity"
    before = _orders(db)
    asked = submit(reseller_client, _page(bought), action, quantity="7")
    assert asked.status_code == 200 and _orders(db) == before  # nothing placed yet
    page = soup(asked)
    assert page.select_one("h1").get_text() == f"Reduce {bought.name} from 10 to 7 seats now?"
    consequences = [li.get_text(" ", strip=True) for li in page.select("#reduce-consequences li")]
    assert consequences[0] == ("3 seats are cancelled now, inside their 7-day window: they stop working at once and "
                               "are refunded pro rata for the unused days.")
    assert "Only 7 seats can be assigned afterwards" in consequences[1]
    assert page.select_one("#confirm-reduce button").get_text() == "Reduce to 7 seats"
    keep = page.find("a", string="Keep 10 seats")
    assert keep["href"] == _page(bought)

    data = form_data(page, action)
    assert (data["quantity"], data["confirmed"]) == ("7", "yes")
    first = reseller_client.post(action, data)
    again = reseller_client.post(action, data)  # a double click
    assert first.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _orders(db) == before + 1
    assert "3 seats will be refunded pro rata" in text_of(reseller_client.get(first.headers["Location"]))


def test_with_javascript_the_question_takes_the_place_of_the_page(db, reseller_client, sandbox_store, bought):
    action = f"/subscriptions/{bought.id}/quantity"
    data = form_data(soup(reseller_client.get(_page(bought))), action) | {"quantity": "9"}
    before = _orders(db)
    asked = reseller_client.post(action, data, htmx=True)
    assert asked.status_code == 200 and _orders(db) == before
    assert (asked.headers["HX-Retarget"], asked.headers["HX-Reselect"]) == ("#main", "#main")
    page = soup(asked)
    assert page.select_one("#main h1").get_text() == f"Reduce {bought.name} from 10 to 9 seats now?"
    assert page.select_one("#reduce-consequences li").get_text(" ", strip=True).startswith(
        "1 seat is cancelled now, inside its 7-day window: it stops working at once")
    assert page.select_one("#confirm-reduce button").get_text() == "Reduce to 9 seats"


def test_adding_seats_and_a_refused_reduction_ask_nothing(db, reseller_client, sandbox_store, bought):
    added = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="12")
    assert added.status_code == 303
    run_job(db.session.scalar(db.select(Order.id).order_by(Order.id.desc())))
    sandbox_store.advance_clock(timedelta(days=8))
    refused = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="8")
    assert refused.status_code == 422 and soup(refused).select_one("#confirm-reduce") is None
    assert soup(refused).select_one("#quantity-error").get_text().startswith("Seats can no longer be reduced")


def test_turning_auto_renew_off_asks_first_when_it_drops_a_scheduled_change(db, reseller_client, sandbox_store,
                                                                          bought):
    _schedule(db, reseller_client, bought, "3")
    renewal = bought.commitment_end_date.strftime("%Y-%m-%d")
    dropped = f"The change to 3 seats scheduled for the renewal on {renewal} will be dropped."
    action = f"/subscriptions/{bought.id}/auto-renew"

    # With JavaScript: the dialog says what is dropped, and the post carries the answer.
    page = soup(reseller_client.get(_page(bought)))
    form = page.select_one(f'form[action="{action}"]')
    assert form["hx-confirm"] == (f"Turn auto-renewal off for {bought.name}? {dropped} {bought.name} will end on its "
                                  f"renewal date, {renewal}.")
    assert form["hx-vals"] == '{"confirmed": "yes"}'

    # Without: the post asks on a page, and only its button turns auto-renewal off.
    before = _orders(db)
    asked = submit(reseller_client, _page(bought), action)
    assert asked.status_code == 200 and _orders(db) == before
    question = soup(asked)
    assert question.select_one("h1").get_text() == f"Turn auto-renewal off for {bought.name}?"
    assert question.select_one("#dropped-schedule").get_text() == dropped
    assert question.find("a", string="Keep auto-renewal on")["href"] == _page(bought)
    data = form_data(question, action)
    assert (data["renew-enabled"], data["confirmed"]) == ("off", "yes")
    placed = reseller_client.post(action, data)
    assert placed.status_code == 303 and _orders(db) == before + 1
    order = db.session.scalar(db.select(Order).where(Order.number == placed.headers["Location"].rsplit("/", 1)[1]))
    assert order.type == "configuration" and run_job(order.id) == "completed"


def test_a_reduction_says_it_drops_the_scheduled_change_too(db, reseller_client, sandbox_store, bought):
    _schedule(db, reseller_client, bought, "4")
    asked = soup(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="8"))
    renewal = bought.commitment_end_date.strftime("%Y-%m-%d")
    assert asked.select_one("#dropped-schedule").get_text() == (
        f"The change to 4 seats scheduled for the renewal on {renewal} will be dropped.")


def test_turning_auto_renew_off_with_nothing_scheduled_asks_nothing(db, reseller_client, bought):
    page = soup(reseller_client.get(_page(bought)))
    form = page.select_one(f'form[action="/subscriptions/{bought.id}/auto-renew"]')
    assert not form.has_attr("hx-confirm") and not form.has_attr("hx-vals")
    assert submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/auto-renew").status_code == 303


def test_the_seats_panel_says_a_change_now_drops_the_scheduled_one(db, reseller_client, bought):
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#quantity-drops-schedule") is None
    _schedule(db, reseller_client, bought, "6")
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#quantity-drops-schedule").get_text(" ", strip=True) == (
        "Changing the seats now, up or down, drops the change to 6 seats scheduled for the renewal.")


def test_the_cancel_and_terminate_questions_offer_the_way_back_as_a_button_beside_the_other(db, reseller_client,
                                                                                            bought):
    """As on every page that asks first (templates/_confirm.html): the two answers side by side, both buttons."""
    agreement = bought.agreement.number
    for url, label, back, back_url in (
            (f"/subscriptions/{bought.id}/cancel", "Confirm cancellation", "Keep the subscription", _page(bought)),
            (f"/agreements/{agreement}/terminate", "Confirm termination", "Keep the agreement",
             f"/agreements/{agreement}")):
        row = soup(reseller_client.get(url)).select_one("form .inline-row")
        assert row.select_one("button.button-danger").get_text() == label, url
        link = row.find("a", string=back)
        assert "button-secondary" in link["class"] and link["href"] == back_url, url
