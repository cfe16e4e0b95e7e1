"""Changes to a subscription under the new-commerce 7-day rules, on Partner Center's (the sandbox's)
clock: each one an order of the right type, provisioned by the order job."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.audit.models import AuditEvent
from app.orders.models import Order
from app.subscriptions.models import Subscription
from app.partner_center import PartnerCenterUnavailable, subscription_patch_body
from tests.helpers import soup, text_of
from tests.support.orders import line, run_job
from tests.support.subscriptions import BASIC, STANDARD, buy, form_data, remote, submit, submit_and_confirm


def _page(sub):
    return f"/subscriptions/{sub.id}"


def _order_from(response, db) -> Order:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].rsplit("/", 1)[1]
    return db.session.scalar(db.select(Order).where(Order.number == number))


def _fresh(db, sub) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, sub.id)


def _orders(db) -> int:
    return db.session.scalar(db.select(db.func.count(Order.id)))


def test_reduce_2_of_10_seats_on_day_3_is_a_change_order_with_a_refund(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=3))
    page = soup(reseller_client.get(_page(bought)))
    until = bought.cancellation_allowed_until.strftime("%Y-%m-%d %H:%M")
    assert page.select_one("#cancel-until").get_text(" ", strip=True).startswith(
        f"Seats can be reduced or the subscription cancelled until {until} UTC")
    assert page.select_one("#reducible-quantity").get_text() == "10"
    assert [td.get_text(strip=True) for td in page.select(".window-batch td")][:2] == ["10", f"{until} UTC"]

    response = submit_and_confirm(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="8")
    order = _order_from(response, db)
    assert (order.type, order.status) == ("change", "processing")
    placed = text_of(reseller_client.get(response.headers["Location"]))
    assert "2 seats will be refunded pro rata for the unused days (at most 12.00 USD)" in placed
    assert "Reduce seats from 10 to 8 · refund of 2 seats pro rata" in placed

    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["quantity"] == 8
    db.session.expire_all()
    step = db.session.get(Order, order.id).steps[0]
    assert step.status == "done" and step.result["refundedSeats"] == 2
    patches = sandbox_store.calls(method="PATCH")
    assert [c["requestId"] for c in patches] == [step.ms_request_id]  # the stored MS-RequestId
    sub = _fresh(db, bought)
    assert sub.quantity == 8 and sub.refundable_quantity == 8
    page = soup(reseller_client.get(_page(sub)))
    assert page.select_one("#fact-seats").get_text() == "8"
    row = [tr for tr in page.select(".sub-orders tbody tr") if order.number in tr.get_text()][0]
    assert "Change" in row.get_text() and "Completed" in row.get_text()


def test_a_form_sent_twice_leads_both_times_to_the_order_it_placed(db, reseller_client, sandbox_store, bought):
    """Without JavaScript a double click sends the form twice and the browser shows the second answer: adding
    seats, and a confirmed reduction, answer it with the first's order and its own words (not "A change is
    already on its way" or "already has 12 seats"), even once that order has completed."""
    action = f"/subscriptions/{bought.id}/quantity"
    data = form_data(soup(reseller_client.get(_page(bought))), action) | {"quantity": "12"}
    first = reseller_client.post(action, data)
    again = reseller_client.post(action, data)  # the first's order is still on its way
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert "Add seats from 10 to 12" in text_of(reseller_client.get(again.headers["Location"]))
    assert run_job(_order_from(first, db).id) == "completed"
    late = reseller_client.post(action, data)  # the first's order completed meanwhile
    assert late.status_code == 303 and late.headers["Location"] == first.headers["Location"]
    assert _orders(db) == 2

    reduce = form_data(soup(submit(reseller_client, _page(bought), action, quantity="9")), action)
    first = reseller_client.post(action, reduce)
    reseller_client.get(first.headers["Location"])  # the first answer, which the browser drops
    assert run_job(_order_from(first, db).id) == "completed"
    again = reseller_client.post(action, reduce)
    assert again.headers["Location"] == first.headers["Location"] and _orders(db) == 3
    assert ("reduce seats from 12 to 9. 3 seats will be refunded pro rata"
            in text_of(reseller_client.get(again.headers["Location"])))


def _first_press_placed_meanwhile(monkeypatch):
    """The second post of a double click looked for its form's order a moment before the first post committed it
    (the two run at once): its first lookup finds nothing, every later one finds what is there."""
    from app.orders import placing

    looked = []

    def late(request_key):
        if not looked:
            looked.append(request_key)
            return None
        return placing.order_for_key(request_key)

    monkeypatch.setattr("app.subscriptions.commands.order_for_key", late)
    monkeypatch.setattr("app.subscriptions.routes.order_for_key", late)


@pytest.mark.parametrize("action, values, said", [
    ("quantity", {"quantity": "12"}, "add seats from 10 to 12."),
    ("rename", {"rename-friendly_name": "Fabrikam front desk"}, "rename to “Fabrikam front desk”."),
])
def test_a_form_sent_twice_at_once_leads_both_times_to_the_order_it_placed(db, reseller_client, monkeypatch, bought,
                                                                          action, values, said):
    """Without JavaScript a double click sends the form twice at once and the browser shows the second answer. The
    second, checked while the first's order was being placed, was refused with "Nothing was changed … A change to
    this subscription is already on its way (order …)" about that very order: it is answered with the order."""
    url = f"/subscriptions/{bought.id}/{action}"
    data = form_data(soup(reseller_client.get(_page(bought))), url) | values
    first = reseller_client.post(url, data)
    _first_press_placed_meanwhile(monkeypatch)
    again = reseller_client.post(url, data)
    assert again.status_code == 303, text_of(again)[:600]
    assert again.headers["Location"] == first.headers["Location"]
    assert said in text_of(reseller_client.get(again.headers["Location"]))
    assert _orders(db) == 2


def test_reduce_on_day_8_is_refused_with_the_date_and_a_scheduled_change_offered(db, reseller_client, sandbox_store,
                                                                                bought):
    sandbox_store.advance_clock(timedelta(days=8))
    closed = bought.cancellation_allowed_until.strftime("%Y-%m-%d %H:%M")
    before = _orders(db)
    response = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="8")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#quantity-error").get_text() == (
        f"Seats can no longer be reduced: the 7-day window closed on {closed} UTC. "
        "Schedule the reduction for the renewal instead.")
    assert page.select_one("#quantity")["value"] == "8"  # what was typed is kept
    assert page.select_one("#schedule-heading").get_text() == "Reduce at the renewal instead"
    assert page.select_one("#schedule-quantity")["value"] == "8"
    assert _orders(db) == before and remote(sandbox_store, bought)["quantity"] == 10

    # The offer: schedule the reduction for the renewal.
    data = form_data(page, f"/subscriptions/{bought.id}/schedule")
    order = _order_from(reseller_client.post(f"/subscriptions/{bought.id}/schedule", data), db)
    assert order.type == "change"
    assert run_job(order.id) == "completed"
    scheduled = remote(sandbox_store, bought)["scheduledNextTermInstructions"]
    assert scheduled["quantity"] == 8 and remote(sandbox_store, bought)["quantity"] == 10
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#scheduled-quantity").get_text() == "Scheduled: 8 seats from the renewal."
    assert page.select_one("#fact-scheduled").get_text() == "8 seats (scheduled)"


def test_seats_added_on_day_10_can_be_reduced_on_day_12_in_their_own_window(db, reseller_client, sandbox_store,
                                                                           bought):
    sandbox_store.advance_clock(timedelta(days=10))
    added = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="15")
    order = _order_from(added, db)
    assert order.type == "change" and order.total == 30  # 5 seats x 6.00
    placed = soup(reseller_client.get(added.headers["Location"])).select_one(".alert-success").get_text(" ", strip=True)
    assert placed == (f"Change order {order.number} placed: add seats from 10 to 15. It is on its way to Microsoft; "
                      "this page shows its progress.")
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["quantity"] == 15

    sandbox_store.advance_clock(timedelta(days=2))  # day 12
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#reducible-quantity").get_text() == "5"
    too_many = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="9")
    assert too_many.status_code == 422
    assert soup(too_many).select_one("#quantity-error").get_text().startswith("Only 5 seats can be reduced now (5 until ")

    order = _order_from(submit_and_confirm(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity",
                                           quantity="10"), db)
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["quantity"] == 10
    assert _fresh(db, bought).quantity == 10


def test_cancel_on_day_6_is_a_termination_order(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=6))
    page = soup(reseller_client.get(_page(bought)))
    countdown = page.select_one("#cancel-until .countdown").get_text()
    assert re.fullmatch(r"\(closes in (1 day( \d+ hours?)?|2\d hours( \d+ minutes?)?)\)", countdown), countdown
    asked = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/cancel")
    assert (asked.status_code, asked.headers["Location"]) == (303, f"/subscriptions/{bought.id}/cancel")
    confirm = soup(reseller_client.get(asked.headers["Location"]))
    order = _order_from(reseller_client.post(f"/subscriptions/{bought.id}/cancel",
                                             form_data(confirm, f"/subscriptions/{bought.id}/cancel")), db)
    assert order.type == "termination"
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["status"] == "deleted"
    sub = _fresh(db, bought)
    assert sub.status == "deleted"
    page = soup(reseller_client.get(_page(sub)))
    assert page.select_one("#sub-status").get_text() == "Cancelled"
    assert page.select_one("form[action$='/cancel']") is None
    # It renews no more: no renewal date on its page nor in the grid (its term's end stays Microsoft's), said in
    # words (it read "None", as a value missing).
    assert page.select_one("#fact-renewal").get_text() == "No renewal: the subscription is cancelled"
    row = soup(reseller_client.get("/subscriptions")).select_one(f"tr[data-subscription='{sub.id}']")
    assert row.select_one(".renewal-date").get_text() == "No renewal"


def test_cancel_without_javascript_asks_on_a_page_first_and_its_confirmation_cancels_once(db, reseller_client,
                                                                                          sandbox_store, bought):
    """Without JavaScript the button posts the form as it is (no hx-confirm dialog): nothing is
    cancelled, the confirmation page says what follows; only its Confirm cancellation cancels, once."""
    action = f"/subscriptions/{bought.id}/cancel"
    before = _orders(db)
    asked = submit(reseller_client, _page(bought), action)
    assert asked.status_code == 303 and asked.headers["Location"] == action
    assert _orders(db) == before and _fresh(db, bought).status == "active"
    assert remote(sandbox_store, bought)["status"] == "active"

    page = soup(reseller_client.get(action))
    assert page.select_one("h1").get_text() == f"Cancel {bought.name} now?"
    consequences = page.select_one("#cancel-consequences").get_text(" ", strip=True)
    assert "its 10 seats stop working" in consequences and "Its 10 seats are refunded pro rata" in consequences
    form = page.select_one(f'form[action="{action}"]')
    assert form.select_one("button").get_text() == "Confirm cancellation"
    assert form.select_one("a").get_text() == "Keep the subscription" and form.select_one("a")["href"] == _page(bought)
    assert _orders(db) == before  # the page writes nothing

    data = form_data(page, action)
    assert data["cancel-csrf_token"] and data["cancel-confirmed"] == "yes"
    first = reseller_client.post(action, data)
    again = reseller_client.post(action, data)  # a double click
    order = _order_from(first, db)
    assert order.type == "termination" and again.headers["Location"] == first.headers["Location"]
    assert _orders(db) == before + 1


def test_cancel_with_javascript_is_confirmed_in_the_dialog_and_posts_once(db, reseller_client, bought):
    """htmx asks with hx-confirm, then posts with cancel-confirmed: the order, no extra page."""
    page = soup(reseller_client.get(_page(bought)))
    form = page.select_one("#cancel-panel form")
    assert form["hx-confirm"].startswith(f"Cancel {bought.name} now?")
    assert form["hx-vals"] == '{"cancel-confirmed": "yes"}'
    assert page.select_one('input[name="cancel-confirmed"]') is None  # the form alone does not confirm
    data = form_data(page, f"/subscriptions/{bought.id}/cancel") | {"cancel-confirmed": "yes"}
    before = _orders(db)
    response = reseller_client.post(f"/subscriptions/{bought.id}/cancel", data, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/orders/")
    assert _orders(db) == before + 1


def test_a_cancel_post_without_csrf_is_refused_and_cancels_nothing(db, reseller_client, bought):
    before = _orders(db)
    data = form_data(soup(reseller_client.get(_page(bought))), f"/subscriptions/{bought.id}/cancel")
    data.pop("cancel-csrf_token")
    refused = reseller_client.post(f"/subscriptions/{bought.id}/cancel", data | {"cancel-confirmed": "yes"}, csrf=False)
    assert refused.status_code == 400
    assert _orders(db) == before


def test_cancel_on_day_9_is_refused_and_auto_renew_off_is_offered(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=9))
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#window-closed") is not None and page.select_one("#cancel-until") is None
    before = _orders(db)
    response = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/cancel")
    assert response.status_code == 422
    page = soup(response)
    closed = bought.cancellation_allowed_until.strftime("%Y-%m-%d %H:%M")
    message = page.select_one("#action-error").get_text()
    assert "can no longer be cancelled" in message and f"closed on {closed} UTC" in message
    assert "turn auto-renewal off so that it ends then" in message
    offer = page.select_one("#auto-renew-panel")
    assert "panel-offer" in offer["class"]
    assert offer.select_one("button").get_text() == "Turn auto-renewal off"
    assert _orders(db) == before and remote(sandbox_store, bought)["status"] == "active"
    # Its confirmation page says so too, with no button to confirm.
    page = soup(reseller_client.get(f"/subscriptions/{bought.id}/cancel"))
    assert "can no longer be cancelled" in page.select_one("#cancel-error").get_text()
    assert page.select_one("form.confirm-cancellation") is None


def test_cancel_on_day_9_with_javascript_asks_nothing_and_says_why_not(db, reseller_client, sandbox_store, bought):
    """Past the window the button's dialog would promise a refund that is then refused: the button
    posts unconfirmed instead, and the page answers with the reason."""
    sandbox_store.advance_clock(timedelta(days=9))
    page = soup(reseller_client.get(_page(bought)))
    form = page.select_one("#cancel-panel form")
    assert not form.has_attr("hx-confirm") and not form.has_attr("hx-vals")
    data = form_data(page, f"/subscriptions/{bought.id}/cancel")
    before = _orders(db)
    response = reseller_client.post(f"/subscriptions/{bought.id}/cancel", data, htmx=True)
    assert response.status_code == 422
    assert "can no longer be cancelled" in soup(response).select_one("#action-error").get_text()
    assert _orders(db) == before


def test_turn_auto_renew_off_says_what_happens_then_turn_it_on(db, reseller_client, sandbox_store, bought):
    page = soup(reseller_client.get(_page(bought)))
    renewal = bought.commitment_end_date.strftime("%Y-%m-%d %H:%M")
    assert f"ends on its renewal date, {renewal} UTC" in page.select_one("#auto-renew-off-effect").get_text()
    response = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/auto-renew")
    order = _order_from(response, db)
    assert order.type == "configuration"
    placed = text_of(reseller_client.get(response.headers["Location"]))
    assert f"will end on its renewal date, {renewal} UTC, and its licences will stop working then" in placed
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["autoRenewEnabled"] is False
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one("#fact-auto-renew").get_text() == "Off"
    assert page.select_one("#auto-renew-panel button").get_text() == "Turn auto-renewal on"

    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/auto-renew"), db)
    assert order.type == "configuration" and run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["autoRenewEnabled"] is True
    assert soup(reseller_client.get(_page(bought))).select_one("#fact-auto-renew").get_text() == "On"


def test_a_scheduled_change_needs_auto_renew_on(db, reseller_client, sandbox_store, bought):
    bought.auto_renew = False  # as a refresh would have stored it
    db.session.commit()
    page = soup(reseller_client.get(_page(bought)))
    assert page.select_one(f"form[action='/subscriptions/{bought.id}/schedule']") is None
    assert "turn it on below" in page.select_one("#schedule-panel").get_text()


def test_rename_is_saved_to_partner_center(db, reseller_client, sandbox_store, bought):
    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/rename",
                               **{"rename-friendly_name": "  Fabrikam   sales team "}), db)
    assert order.type == "configuration"
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["friendlyName"] == "Fabrikam sales team"
    assert soup(reseller_client.get(_page(bought))).select_one("h1").get_text() == "Fabrikam sales team"
    grid = soup(reseller_client.get("/subscriptions"))
    assert [a.get_text() for a in grid.select(".sub-name a")] == ["Fabrikam sales team"]
    empty = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/rename", **{"rename-friendly_name": " "})
    assert empty.status_code == 422
    assert soup(empty).select_one("#rename-friendly_name-error").get_text() == "Enter a name for the subscription."


def test_terminate_an_agreement_of_two_subscriptions_with_one_order(demo, db, reseller_client, sandbox_store):
    first, second = buy(db, domain="twosubs.onmicrosoft.com",
                        lines=[line(**BASIC, quantity=10), line(**STANDARD, quantity=4)])
    assert first.agreement_id == second.agreement_id
    agreement = first.agreement
    sandbox_store.advance_clock(timedelta(days=2))
    page = soup(reseller_client.get(_page(first)))
    assert page.select_one("#fact-agreement a")["href"] == f"/agreements/{agreement.number}"
    link = page.select_one("#fact-agreement a.button")
    assert link.get_text() == "Terminate agreement"
    confirm = soup(reseller_client.get(link["href"]))
    assert confirm.select_one("h1").get_text() == f"Terminate agreement {agreement.number}"
    assert sorted(a.get_text() for a in confirm.select(".terminate-list tbody a")) == [
        "Microsoft 365 Business Basic", "Microsoft 365 Business Standard"]
    assert confirm.select_one(".confirm-termination button").get_text() == "Confirm termination"
    data = form_data(confirm, link["href"])
    order = _order_from(reseller_client.post(link["href"], data), db)
    assert order.type == "termination" and len(order.lines) == 2 and len(order.steps) == 2
    assert len({s.ms_request_id for s in order.steps}) == 2
    assert run_job(order.id) == "completed"
    assert {remote(sandbox_store, s)["status"] for s in (first, second)} == {"deleted"}
    assert {_fresh(db, s).status for s in (first, second)} == {"deleted"}
    # The same confirmation again (a double click) makes no second order.
    assert reseller_client.post(link["href"], data).headers["Location"].endswith(order.number)
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.type == "termination")) == 1


def test_an_agreement_past_its_window_is_not_terminated(demo, db, reseller_client, sandbox_store):
    first, second = buy(db, domain="latesubs.onmicrosoft.com",
                        lines=[line(**BASIC, quantity=10), line(**STANDARD, quantity=4)])
    sandbox_store.advance_clock(timedelta(days=8))
    url = f"/agreements/{first.agreement.number}/terminate"
    page = soup(reseller_client.get(url))
    assert page.select_one(".confirm-termination") is None
    assert "turn their auto-renewal off" in page.select_one("#terminate-not-possible").get_text()
    data = {"seen": f"{first.id}:{first.etag};{second.id}:{second.etag}", "request_key": "k1"}
    refused = reseller_client.post(url, data)
    assert refused.status_code == 422 and "cannot be terminated now" in soup(refused).select_one("#terminate-error").get_text()
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.type == "termination")) == 0


# ----------------------------------------------------------------------------------- bad input and failures

@pytest.mark.parametrize("typed, message", [
    ("ten", "Enter the number of seats as a whole number, like 10."),
    ("", "Enter the number of seats."),
    ("0", "Microsoft 365 Business Basic needs at least 1 seat."),
    ("301", "Microsoft 365 Business Basic allows at most 300 seats."),
    ("10", "The subscription already has 10 seats. Enter another number."),
    # Python's int() read it as 12 (a digit separator): 12 seats ordered from a typo.
    ("1_2", "Enter the number of seats as a whole number, like 10."),
])
def test_bad_quantities_are_422_with_the_message_next_to_the_field(db, reseller_client, sandbox_store, bought,
                                                                  typed, message):
    response = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity=typed)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#quantity-error").get_text() == message
    assert page.select_one("#quantity").get("value", "") == typed
    assert page.select_one("#quantity")["aria-invalid"] == "true"
    assert _orders(db) == 1 and remote(sandbox_store, bought)["quantity"] == 10


def test_htmx_gets_the_actions_fragment_on_bad_input(db, reseller_client, bought):
    page = soup(reseller_client.get(_page(bought)))
    data = {**form_data(page, f"/subscriptions/{bought.id}/quantity"), "quantity": "lots"}
    response = reseller_client.post(f"/subscriptions/{bought.id}/quantity", data, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and soup(response).select_one("#subscription-actions #quantity-error")


def test_a_stale_form_changes_nothing(db, reseller_client, sandbox_store, pc_client, bought):
    page = soup(reseller_client.get(_page(bought)))
    data = form_data(page, f"/subscriptions/{bought.id}/quantity")
    # Meanwhile someone else's change was stored (a refresh, another person's order).
    bought.etag = "changed-meanwhile"
    db.session.commit()
    response = reseller_client.post(f"/subscriptions/{bought.id}/quantity", {**data, "quantity": "12"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#quantity-error").get_text().startswith(
        "This subscription changed since this page was opened")
    assert page.select_one("#quantity")["value"] == "12"
    assert form_data(page, f"/subscriptions/{bought.id}/quantity")["etag"] == "changed-meanwhile"
    assert _orders(db) == 1 and remote(sandbox_store, bought)["quantity"] == 10


def test_a_change_made_in_partner_center_meanwhile_fails_the_order_with_2055_in_plain_words(
        db, reseller_client, sandbox_store, pc_client, bought):
    page_data = form_data(soup(reseller_client.get(_page(bought))), f"/subscriptions/{bought.id}/quantity")
    pc_client.set_subscription_quantity(bought.tenant_id, bought.ms_subscription_id, 11)  # outside the storefront
    order = _order_from(reseller_client.post(f"/subscriptions/{bought.id}/quantity", {**page_data, "quantity": "12"}), db)
    assert run_job(order.id) == "failed"
    order = db.session.get(Order, order.id)
    assert order.reason.startswith("Microsoft 365 Business Basic was changed in Partner Center after the change was "
                                   "asked for, so Microsoft changed nothing.")
    assert remote(sandbox_store, bought)["quantity"] == 11
    assert _fresh(db, bought).quantity == 11  # read again: the page shows the current state
    page = text_of(reseller_client.get(f"/orders/{order.number}"))
    assert "The order failed" in page and "changed nothing" in page


def test_a_change_microsoft_answers_202_for_completes_once_the_update_lands(db, reseller_client, sandbox_store, bought):
    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="12"), db)
    sandbox_store.inject_fault("PATCH", "/v1/customers/", "accepted", retry_after=0, delay=0)
    assert run_job(order.id) == "completed"
    assert [c["status"] for c in sandbox_store.calls(method="PATCH")] == [202]  # polled, not sent again
    assert remote(sandbox_store, bought)["quantity"] == 12 and _fresh(db, bought).quantity == 12


def test_a_change_while_microsoft_still_applies_an_earlier_one_waits_instead_of_failing(
        db, reseller_client, sandbox_store, pc_client, bought):
    page_data = form_data(soup(reseller_client.get(_page(bought))), f"/subscriptions/{bought.id}/quantity")
    order = _order_from(reseller_client.post(f"/subscriptions/{bought.id}/quantity", {**page_data, "quantity": "12"}), db)
    # An update made outside the storefront that Partner Center answered 202 and has not applied yet.
    sandbox_store.inject_fault("PATCH", "/v1/customers/", "accepted", retry_after=0, delay=600)
    elsewhere = pc_client.get_subscription(bought.tenant_id, bought.ms_subscription_id)
    with pytest.raises(PartnerCenterUnavailable):  # still in progress after one poll
        pc_client.patch_subscription(bought.tenant_id, subscription_patch_body(elsewhere, friendly_name="Elsewhere"),
                                     max_polls=1)
    assert run_job(order.id) == "waiting"  # Partner Center answered 409 800082: not a refusal
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.steps[0].error.startswith("Microsoft is still applying an earlier change to ")
    assert [c["status"] for c in sandbox_store.calls(method="PATCH")][-1] == 409
    sandbox_store.advance_clock(timedelta(seconds=601))  # the other update lands: the person saw an older state
    assert run_job(order.id) == "failed"
    assert "was changed in Partner Center after the change was asked for" in db.session.get(Order, order.id).reason
    assert remote(sandbox_store, bought)["friendlyName"] == "Elsewhere" and remote(sandbox_store, bought)["quantity"] == 10


def test_800090_is_shown_in_plain_words_when_the_rule_is_hit_anyway(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=8))
    # The stored state still claims an open window (say, read from a replica that lagged).
    bought.refundable_batches = [{"quantity": 10, "allowedUntil": "2999-01-01T00:00:00"}]
    bought.cancellation_allowed_until = None
    db.session.commit()
    order = _order_from(submit_and_confirm(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity",
                                           quantity="8"), db)
    assert run_job(order.id) == "failed"
    order = db.session.get(Order, order.id)
    assert order.reason_code == "800090"
    assert order.reason == ("Microsoft refused to reduce the seats of Microsoft 365 Business Basic: seats can be reduced "
                            "only within 7 days of being added, and that window has closed for these seats. Schedule "
                            "the reduction for the renewal instead.")
    assert _fresh(db, bought).refundable_batches == []  # read again from Partner Center


def test_partner_center_down_leaves_the_change_processing_until_it_returns(db, reseller_client, sandbox_store, bought):
    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="14"), db)
    sandbox_store.inject_fault("*", "/v1/customers/", "500", count=100)
    with pytest.raises(PartnerCenterUnavailable):
        run_job(order.id)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "processing" and order.steps[0].status == "pending"
    request_id = order.steps[0].ms_request_id
    page = soup(reseller_client.get(_page(bought)))
    assert order.number in page.select_one("#pending-order").get_text()
    # Another change waits for this one.
    busy = submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="15")
    assert busy.status_code == 422 and "already on its way" in soup(busy).select_one("#quantity-error").get_text()

    sandbox_store.clear_faults()
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, bought)["quantity"] == 14
    assert db.session.get(Order, order.id).steps[0].result["requestId"] == request_id


def test_the_sweep_picks_up_a_change_order_whose_job_was_lost(db, redis, reseller_client, sandbox_store, bought):
    from app.orders.sweep import sweep_orders
    from tests.support.orders import work

    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="12"), db)
    redis.flushdb()  # the queued job is lost
    assert sweep_orders() == [order.number]
    work(redis)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"
    assert remote(sandbox_store, bought)["quantity"] == 12


def test_someone_elses_subscription_is_not_found(demo, db, customer_client, operator_client, bought):
    assert customer_client.get(_page(bought)).status_code == 404
    customer_client.get("/subscriptions")
    assert customer_client.post(f"/subscriptions/{bought.id}/quantity", {"quantity": "5"}).status_code == 404
    assert customer_client.get(f"/agreements/{bought.agreement.number}/terminate").status_code == 404
    assert operator_client.get(_page(bought)).status_code == 200


def test_change_orders_are_audited_and_listed_in_orders(db, reseller_client, sandbox_store, bought):
    order = _order_from(submit(reseller_client, _page(bought), f"/subscriptions/{bought.id}/quantity", quantity="12"), db)
    run_job(order.id)
    placed = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "order_placed",
                                                           AuditEvent.subject == order.number))
    assert placed.details["type"] == "change"
    assert placed.details["changes"][0]["to"] == 12
    rows = soup(reseller_client.get("/orders")).select("table.order-table tbody tr")
    assert [td.get_text(" ", strip=True) for td in rows[0].select("td")][2] == "Change"


def test_a_one_seat_subscription_is_spoken_of_in_the_singular(demo, db, reseller_client, sandbox_store):
    [sub] = buy(db, domain="oneseat.onmicrosoft.com", lines=[line(**BASIC, quantity=1)])
    page = soup(reseller_client.get(_page(sub)))
    cancel = page.select_one("#cancel-panel")
    assert "its seat is refunded pro rata" in cancel.select_one("p").get_text()
    assert "Its seat stops working and is refunded pro rata." in cancel.select_one("form")["hx-confirm"]
    history = page.find("table", attrs={"aria-label": re.compile("Orders that touched")}) or page.find(
        "caption", string=re.compile("Orders that touched")).find_parent("table")
    assert "Bought with 1 seat" in history.get_text() and "1 seats" not in history.get_text()
    assert "1 seats" not in page.get_text()
