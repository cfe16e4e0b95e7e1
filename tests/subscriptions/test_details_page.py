"""What a subscription's details page and its agreement's page tell a reseller before any click:
the time left in each 7-day window, and whether the agreement can be terminated (and why not)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import soup


def _time_left(client, sub) -> list[tuple[str, bool]]:
    """Each batch's Time left, and whether it is shown as urgent (the countdown's red, under 48 hours)."""
    page = soup(client.get(f"/subscriptions/{sub.id}"))
    return [(row.select("td")[2].get_text(" ", strip=True), row.select_one("td .countdown") is not None)
            for row in page.select(".window-batch")]


def test_the_time_left_in_the_window_is_the_real_time_left_all_week(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(hours=1))
    assert _time_left(reseller_client, bought) == [("closes in 6 days 23 hours", False)]
    sandbox_store.advance_clock(timedelta(days=3, hours=2))
    assert _time_left(reseller_client, bought) == [("closes in 3 days 21 hours", False)]
    sandbox_store.advance_clock(timedelta(days=2, hours=2))
    assert _time_left(reseller_client, bought) == [("closes in 1 day 19 hours", True)]
    sandbox_store.advance_clock(timedelta(days=1, hours=18, minutes=30))  # 30 minutes left
    assert _time_left(reseller_client, bought) == [("closes in 30 minutes", True)]


def _terminate_offer(client, url):
    """The Terminate agreement button on a page, and the reason said in its place."""
    page = soup(client.get(url))
    button = page.find("a", string="Terminate agreement")
    reason = page.select_one("#terminate-not-possible")
    return button, reason.get_text(" ", strip=True) if reason else None


def test_terminate_agreement_is_offered_only_while_it_can_go_through_else_the_reason_is_said(
        db, reseller_client, sandbox_store, bought):
    pages = (f"/subscriptions/{bought.id}", f"/agreements/{bought.agreement.number}")
    for url in pages:  # inside the window: offered, nothing to explain
        button, reason = _terminate_offer(reseller_client, url)
        assert button is not None and button["href"] == f"/agreements/{bought.agreement.number}/terminate"
        assert reason is None

    sandbox_store.advance_clock(timedelta(days=8))
    closed = bought.cancellation_allowed_until.strftime("%Y-%m-%d %H:%M")
    for url in pages:
        button, reason = _terminate_offer(reseller_client, url)
        assert button is None, url
        assert reason == (
            "The agreement cannot be terminated now: a subscription can be cancelled only within 7 days of its "
            f"purchase or renewal, and this one is past that: {bought.name} (window closed on {closed} UTC). "
            "Turn its auto-renewal off so that it ends at its renewal date."), url


def test_a_sku_bought_twice_in_one_order_keeps_each_lines_seats_and_price(db, demo, reseller_client):
    """One order buys Business Basic billed monthly and billed annually: each subscription has its own line's
    price (adding seats is charged at it) and its Orders table says only its own seats."""
    from tests.support.orders import line
    from tests.support.subscriptions import BASIC, buy

    monthly, annual = sorted(buy(db, lines=[line(**{**BASIC, "price": "6.00"}, quantity=10, plan="monthly"),
                                            line(**{**BASIC, "price": "72.00"}, quantity=4, plan="annual")]),
                             key=lambda sub: sub.billing_plan != "monthly")
    assert (monthly.billing_plan, monthly.quantity, str(monthly.unit_price)) == ("monthly", 10, "6.0000")
    assert (annual.billing_plan, annual.quantity, str(annual.unit_price)) == ("annual", 4, "72.0000")
    for sub, what in ((monthly, "Bought with 10 seats"), (annual, "Bought with 4 seats")):
        row = soup(reseller_client.get(f"/subscriptions/{sub.id}")).select_one(".sub-orders tbody tr")
        assert row.select("td")[3].get_text(" ", strip=True) == what


def _changes_section(client, sub) -> str | None:
    """What the details page's Changes section says, or None when the page has no such section."""
    page = soup(client.get(f"/subscriptions/{sub.id}"))
    heading = page.find("h2", string="Changes")
    return heading.find_parent("section").get_text(" ", strip=True) if heading else None


def test_changes_are_headed_only_where_a_change_can_be_asked_for(db, reseller_client, operator_member_client, bought):
    assert _changes_section(reseller_client, bought).startswith(
        "Changes Each change is an order: Microsoft applies it in a moment, and you can follow it in Orders. Seats")
    # An operator member reads the subscription but changes nothing: no empty "Changes" promising orders.
    assert _changes_section(operator_member_client, bought) is None
    # A cancelled subscription can no longer be changed (its window section says so): no empty section either.
    bought.status = "deleted"
    db.session.commit()
    assert _changes_section(reseller_client, bought) is None
    page = soup(reseller_client.get(f"/subscriptions/{bought.id}"))
    assert "This subscription is cancelled: it can no longer be changed." in page.get_text(" ", strip=True)
    assert page.select_one("#subscription-actions") is not None  # where a refusal or a pending change would show


def test_cancelling_closed_with_the_purchase_window_even_when_seats_added_later_have_a_later_one(
        db, reseller_client, sandbox_store, bought):
    from tests.support.subscriptions import submit

    purchase_window = bought.cancellation_allowed_until
    # Two seats added an hour after the purchase: their own window (to reduce them) closes an hour later,
    # but it never reopens cancelling, which Partner Center allows until cancellationAllowedUntilDate.
    bought.quantity += 2
    bought.refundable_batches = [*bought.refundable_batches,
                                 {"quantity": 2, "allowedUntil": (purchase_window + timedelta(hours=1)).isoformat()}]
    db.session.commit()
    sandbox_store.advance_clock(timedelta(days=7, hours=3))
    closed = f"{purchase_window:%Y-%m-%d %H:%M} UTC"
    page = soup(reseller_client.get(f"/subscriptions/{bought.id}"))
    assert page.select_one("#cancel-not-possible").get_text() == (
        f"The subscription can no longer be cancelled: the 7-day window closed on {closed}. "
        "To let it end at its renewal date, turn auto-renewal off.")
    assert f"(window closed on {closed})" in page.select_one("#terminate-not-possible").get_text()
    # The window panel says both dates, each for what it ended, as the Cancel panel and a reduction's refusal do.
    reduced_until = f"{purchase_window + timedelta(hours=1):%Y-%m-%d %H:%M} UTC"
    assert page.select_one("#window-closed").get_text().startswith(
        f"Seats can no longer be reduced: the 7-day window of the last seats added closed on {reduced_until}. "
        f"The subscription cannot be cancelled: its window closed on {closed}. ")
    refused = submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/cancel")
    assert refused.status_code == 422
    assert f"that window closed on {closed}." in soup(refused).select_one("#action-error").get_text()
    terminate = soup(reseller_client.get(f"/agreements/{bought.agreement.number}/terminate"))
    assert terminate.select("tbody td")[-1].get_text(" ", strip=True) == (
        f"No: the 7-day window closed on {closed}. Turn its auto-renewal off instead.")


def test_the_termination_page_speaks_of_the_one_subscription_past_its_window_in_the_singular(
        db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(days=8))
    page = soup(reseller_client.get(f"/agreements/{bought.agreement.number}/terminate"))
    assert page.select_one("#terminate-not-possible").get_text() == (
        "The agreement cannot be terminated now: a subscription can be cancelled only within 7 days of its purchase "
        "or renewal. Open the subscription past that window and turn its auto-renewal off, so that it ends at its "
        "renewal date.")


def test_past_the_window_with_auto_renewal_already_off_nobody_is_told_to_turn_it_off(
        db, reseller_client, sandbox_store, bought):
    from tests.support.subscriptions import submit

    bought.auto_renew = False
    db.session.commit()
    sandbox_store.advance_clock(timedelta(days=8))
    ends = f"{bought.commitment_end_date:%Y-%m-%d %H:%M} UTC"
    page = soup(reseller_client.get(f"/subscriptions/{bought.id}"))
    assert page.select_one("#cancel-not-possible").get_text().endswith(
        f"Auto-renewal is off: it ends on its renewal date, {ends}.")
    assert page.select_one("#terminate-not-possible").get_text().endswith(
        "Auto-renewal is off, so it ends at its renewal date.")
    refused = submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/cancel")
    assert soup(refused).select_one("#action-error").get_text().endswith(
        f"Auto-renewal is off: it ends on its renewal date, {ends}.")
    # The termination page's row said "No: the 7-day window closed on <date>. Auto-renewal is off: it ends then.",
    # as if it had ended on that date: it says the renewal date.
    terminate = soup(reseller_client.get(f"/agreements/{bought.agreement.number}/terminate"))
    assert terminate.select("tbody td")[-1].get_text(" ", strip=True).endswith(
        f"Auto-renewal is off: it ends on its renewal date, {ends}.")
    assert terminate.select_one("#terminate-not-possible").get_text().endswith(
        "Auto-renewal is off for the subscription past that window, so it ends at its renewal date.")
    for said in (page, soup(refused), terminate):
        assert "auto-renewal off" not in said.select_one("main").get_text(" ", strip=True)
    # Nor is a reduction at the renewal offered: with auto-renewal off there is none. A reduction refused said
    # "Schedule the reduction for the renewal instead." and headed the schedule panel "Reduce at the renewal
    # instead", which cannot be done: it says when the subscription ends.
    assert page.select_one("#window-closed").get_text().endswith(
        "Seats can be added at any time. Auto-renewal is off: the subscription ends at its renewal date.")
    reduce = submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/quantity",
                    quantity="8")
    assert reduce.status_code == 422
    assert soup(reduce).select_one("#quantity-error").get_text().endswith(
        f"Auto-renewal is off: the subscription ends on its renewal date, {ends}.")
    assert "Schedule" not in soup(reduce).select_one("#quantity-error").get_text()
    assert soup(reduce).select_one("#schedule-heading").get_text() == "Seats for the next term"


@pytest.mark.parametrize("change", ["quantity", "schedule", "auto-renew", "rename"])
def test_the_address_of_a_refused_change_reloaded_leads_back_to_the_subscription(db, reseller_client, bought, change):
    """Without JavaScript a refused change is shown again at the address it was posted to; a reload of it
    (a GET) leads back to the subscription's page instead of answering 405 Method Not Allowed."""
    if change == "quantity":
        refused = reseller_client.post(f"/subscriptions/{bought.id}/quantity", {"quantity": "abc"})
        assert refused.status_code == 422
    reloaded = reseller_client.get(f"/subscriptions/{bought.id}/{change}")
    assert (reloaded.status_code, reloaded.headers["Location"]) == (303, f"/subscriptions/{bought.id}")


def test_a_change_refused_without_javascript_is_said_where_the_page_opens(db, reseller_client, bought):
    """Without JavaScript the refused change comes back as the whole page, which opens at its top, far above
    the form: the top says so and links to the changes, where the message is next to the field."""
    refused = reseller_client.post(f"/subscriptions/{bought.id}/quantity", {"quantity": "abc"})
    assert refused.status_code == 422
    page = soup(refused)
    problem = page.select_one("#change-problem")
    assert problem.get_text(" ", strip=True) == "Nothing was changed: see Changes below."
    assert problem.find("a")["href"] == "#subscription-actions"
    assert problem.find_next("section")["aria-labelledby"] == "overview-heading"  # above the overview
    assert page.select_one("#quantity-error").get_text(strip=True).startswith("Enter the number of seats")
    # With JavaScript only the changes are swapped, in place: nothing to point at.
    swapped = reseller_client.post(f"/subscriptions/{bought.id}/quantity", {"quantity": "abc"}, htmx=True)
    assert swapped.status_code == 422 and soup(swapped).select_one("#change-problem") is None
    assert soup(reseller_client.get(f"/subscriptions/{bought.id}")).select_one("#change-problem") is None
