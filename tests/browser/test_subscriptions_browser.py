"""Managing subscriptions in Chromium: the grid (filter, sort) and a seat reduction inside the
7-day window, provisioned by the real worker and followed live."""
from __future__ import annotations

import os
import random
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support.browser import answer_the_dialog, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]

SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


def _buy(live_app, name, *, product_id, title, term, quantity):
    """A completed purchase for Adatum's licensee Fabrikam, provisioned by the live worker."""
    from app.extensions import db
    from tests.support.orders import line, place_and_provision, reseller_request

    with live_app.app_context():
        domain = f"subs{uuid.uuid4().hex[:10]}.onmicrosoft.com"
        sub = place_and_provision(db, reseller_request(db, domain=domain, draft_id=random.randint(10**6, 10**9), lines=[
            line(product_id=product_id, title=title, family="Microsoft 365", quantity=quantity, term=term)]))
        # Named at Microsoft (as a rename would), so the storefront and Partner Center agree.
        from app.connections.services import get_client
        from app.connections.services import partner_center_now as pc_now
        from app.subscriptions.sync import apply_remote

        renamed = get_client().rename_subscription(sub.tenant_id, sub.ms_subscription_id, name)
        apply_remote(sub, renamed, pc_now(), audit_outside=False)
        db.session.commit()
        return sub.id


@pytest.fixture
def three_subscriptions(live_app, live_worker):
    """Two monthly subscriptions renewing within 30 days (bought 3 days apart on the sandbox's clock),
    and a yearly one that does not."""
    from app.connections.services import in_process_sandbox
    from app.extensions import db
    from app.orders.models import OrderLine
    from app.subscriptions.models import Subscription

    with live_app.app_context():
        db.session.execute(db.update(OrderLine).values(subscription_id=None))
        db.session.execute(db.delete(Subscription))
        db.session.commit()
    store = in_process_sandbox(live_app).extensions["sandbox_store"]
    first = _buy(live_app, "Fabrikam front desk", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                 term="P1M", quantity=10)
    store.advance_clock(timedelta(days=3))
    second = _buy(live_app, "Fabrikam designers", product_id="CFQ7TTC0LDPB",
                  title="Microsoft 365 Business Standard", term="P1M", quantity=4)
    third = _buy(live_app, "Fabrikam warehouse", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                 term="P1Y", quantity=5)
    yield first, second, third
    store.reset_clock()


def _names(page):
    return page.locator("table.subscription-table .sub-name a").all_inner_texts()


def test_reseller_filters_renewals_sorts_and_reduces_seats_inside_the_window(page, live_server, live_app,
                                                                            three_subscriptions):
    from app.connections.services import partner_center_now as pc_now

    first, second, third = three_subscriptions
    with live_app.app_context():
        today = pc_now().date()
    sign_in_as(page, live_server, "reseller@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subscriptions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscriptions")
    expect(page.locator("#subscription-count")).to_have_text("3 subscriptions")

    # Renewals in the next 30 days: the two monthly subscriptions.
    page.get_by_label("Renewal date from").fill(today.isoformat())
    page.get_by_label("Renewal date until").fill((today + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#subscription-count")).to_have_text("2 subscriptions")
    assert f"renewal_from={today.isoformat()}" in page.url  # the URL keeps the state
    assert sorted(_names(page)) == ["Fabrikam designers", "Fabrikam front desk"]

    # Sort by renewal date: newest first, then soonest first.
    page.get_by_role("link", name="Renewal date").click()
    expect(page.locator("th[data-column=renewal]")).to_have_attribute("aria-sort", "descending")
    assert _names(page) == ["Fabrikam designers", "Fabrikam front desk"]
    assert "sort=renewal" in page.url or "direction=desc" in page.url
    page.get_by_role("link", name="Renewal date").click()
    expect(page.locator("th[data-column=renewal]")).to_have_attribute("aria-sort", "ascending")
    assert _names(page) == ["Fabrikam front desk", "Fabrikam designers"]
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "subscriptions-grid.png"), full_page=True)

    # Open the first (bought 3 days ago on Partner Center's clock) and reduce its seats.
    page.get_by_role("link", name="Fabrikam front desk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam front desk")
    expect(page.locator("#cancel-until")).to_contain_text("Seats can be reduced or the subscription cancelled until")
    expect(page.locator("#reducible-quantity")).to_have_text("10")
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "subscription-details.png"), full_page=True)
    page.get_by_label("Number of seats").fill("7")
    page.get_by_role("button", name="Change quantity").click()
    # Seats cancelled at once: asked first, in place of the page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Reduce Fabrikam front desk from 10 to 7 seats now?")
    expect(page.locator("#reduce-consequences")).to_contain_text("3 seats are cancelled now")
    page.get_by_role("button", name="Reduce to 7 seats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Order ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    expect(page.locator("#flash-region")).to_contain_text("3 seats will be refunded pro rata")
    expect(page.locator(".change-label")).to_have_text("Reduce seats from 10 to 7 · refund of 3 seats pro rata")
    expect(page.locator("#order-status")).to_have_text("Completed", timeout=30_000)  # live, by the worker

    page.get_by_role("link", name="Fabrikam front desk").click()
    expect(page.locator("#fact-seats")).to_have_text("7")
    expect(page.locator(".sub-orders tbody tr").first).to_contain_text("Change")


def test_cancel_asks_first_with_javascript_in_a_dialog_and_without_on_a_page(page, no_js_page, live_server,
                                                                             live_app, live_worker):
    """Cancelling is irreversible: with JavaScript the dialog asks (dismissed, nothing happens); without,
    the button opens the confirmation page (Keep the subscription goes back, nothing cancelled), and
    only Confirm cancellation places the termination order."""
    from app.extensions import db
    from app.subscriptions.models import Subscription

    sub_id = _buy(live_app, "Fabrikam interns", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=3)

    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    asked = answer_the_dialog(page, "Cancel subscription", accept=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam interns")
    assert asked == ["Cancel Fabrikam interns now? Its 3 seats stop working and are refunded pro rata."]

    sign_in_as(no_js_page, live_server, "reseller@example.com")
    no_js_page.goto(f"{live_server}/subscriptions/{sub_id}")
    no_js_page.get_by_role("button", name="Cancel subscription").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Cancel Fabrikam interns now?")
    expect(no_js_page.locator("#cancel-consequences")).to_contain_text("its 3 seats stop working")
    no_js_page.get_by_role("link", name="Keep the subscription").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Fabrikam interns")
    with live_app.app_context():
        assert db.session.get(Subscription, sub_id).status == "active"

    no_js_page.get_by_role("button", name="Cancel subscription").click()
    no_js_page.get_by_role("button", name="Confirm cancellation").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Order ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    expect(no_js_page.locator("#flash-region")).to_contain_text("cancel Fabrikam interns; its 3 seats are refunded")


def test_cancel_with_javascript_accepted_in_the_dialog_places_the_order_at_once(page, live_server, live_app,
                                                                                live_worker):
    sub_id = _buy(live_app, "Fabrikam temps", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=2)
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    answer_the_dialog(page, "Cancel subscription", accept=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Order ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))  # no confirmation page in between
    expect(page.locator("#flash-region")).to_contain_text("cancel Fabrikam temps; its 2 seats are refunded")


def _terminations(live_app, sub_id: int) -> int:
    from app.extensions import db
    from app.orders.models import Order, OrderLine, OrderType

    with live_app.app_context():
        return db.session.scalar(db.select(db.func.count(Order.id)).join(OrderLine).where(
            OrderLine.subscription_id == sub_id, Order.type == OrderType.TERMINATION))


def _cancel_pressed_twice(page, live_server, sub_id: int, *, accept: bool, double_click: bool) -> list[str]:
    """Cancel subscription pressed twice with JavaScript, the dialog answered each time it asks; accepted, the
    order's answer is held until both presses are handled. What the dialog asked."""
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    page.wait_for_load_state("load")  # (htmx there to ask: tests.support.browser.answer_the_dialog)
    asked, held = [], []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", answer)
    page.route(f"**/subscriptions/{sub_id}/cancel", lambda route: held.append(route), times=1)
    button = page.get_by_role("button", name="Cancel subscription")
    if double_click:
        button.dblclick()
    else:
        button.click()
        button.click()
    page.evaluate("0")  # (both presses handled)
    if accept:
        assert len(held) == 1
        held[0].continue_()
    page.unroute(f"**/subscriptions/{sub_id}/cancel")
    if accept:
        expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile(r"Order ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    page.remove_listener("dialog", answer)
    return asked


def test_with_javascript_cancel_double_clicked_asks_once(page, live_server, live_app, live_worker):
    """A double click on Cancel subscription opened the browser's dialog twice: dismissed, it asked again at once;
    accepted, it asked again as the first's answer came (htmx had kept the second press; one order was placed).
    The second click of a double click is no second press: asked once, answered either way. Nor is a second press
    while the accepted one is on its way asked again."""
    first = _buy(live_app, "Fabrikam doubles", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                 term="P1M", quantity=2)
    second = _buy(live_app, "Fabrikam seconds", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=1)
    question = "Cancel Fabrikam doubles now? Its 2 seats stop working and are refunded pro rata."
    sign_in_as(page, live_server, "reseller@example.com")

    assert _cancel_pressed_twice(page, live_server, first, accept=False, double_click=True) == [question]
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam doubles")
    assert _terminations(live_app, first) == 0

    assert _cancel_pressed_twice(page, live_server, first, accept=True, double_click=True) == [question]
    assert _terminations(live_app, first) == 1

    assert _cancel_pressed_twice(page, live_server, second, accept=True, double_click=False) == [
        "Cancel Fabrikam seconds now? Its seat stops working and is refunded pro rata."]
    assert _terminations(live_app, second) == 1


def test_turning_auto_renew_off_or_reducing_seats_asks_first_when_it_drops_a_scheduled_change(
        page, no_js_page, live_server, live_app, live_worker):
    """With a change scheduled for the renewal, turning auto-renewal off asks first (a dialog with JavaScript, a
    page without), saying what is dropped; so does a reduction of seats (asked on a page, JavaScript or not)."""
    from app.extensions import db
    from app.subscriptions.models import Subscription

    sub_id = _buy(live_app, "Fabrikam sales", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=5)
    with live_app.app_context():
        renewal = db.session.get(Subscription, sub_id).commitment_end_date.strftime("%Y-%m-%d")
    dropped = f"The change to 3 seats scheduled for the renewal on {renewal} will be dropped."

    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    page.get_by_label("Seats from the renewal").fill("3")
    page.get_by_role("button", name="Schedule for renewal").click()  # asks nothing
    expect(page.locator("#order-status")).to_have_text("Completed", timeout=30_000)
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    expect(page.locator("#scheduled-quantity")).to_have_text("Scheduled: 3 seats from the renewal.")

    asked = answer_the_dialog(page, "Turn auto-renewal off", accept=False)
    expect(page.locator("#fact-auto-renew")).to_have_text("On")
    assert asked == [f"Turn auto-renewal off for Fabrikam sales? {dropped} Fabrikam sales will end on its renewal "
                     f"date, {renewal}."]

    sign_in_as(no_js_page, live_server, "reseller@example.com")
    no_js_page.goto(f"{live_server}/subscriptions/{sub_id}")
    no_js_page.get_by_role("button", name="Turn auto-renewal off").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Turn auto-renewal off for Fabrikam sales?")
    expect(no_js_page.locator("#dropped-schedule")).to_have_text(dropped)
    if SCREENSHOTS:
        no_js_page.screenshot(path=os.path.join(SCREENSHOTS, "auto-renew-off-asked.png"), full_page=True)
    no_js_page.get_by_role("link", name="Keep auto-renewal on").click()
    expect(no_js_page.locator("#fact-auto-renew")).to_have_text("On")

    no_js_page.get_by_label("Number of seats").fill("4")
    no_js_page.get_by_role("button", name="Change quantity").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Reduce Fabrikam sales from 5 to 4 seats now?")
    expect(no_js_page.locator("#reduce-consequences")).to_contain_text("1 seat is cancelled now")
    expect(no_js_page.locator("#dropped-schedule")).to_have_text(dropped)
    no_js_page.get_by_role("link", name="Keep 5 seats").click()
    expect(no_js_page.locator("#fact-seats")).to_have_text("5")

    answer_the_dialog(page, "Turn auto-renewal off", accept=True)
    expect(page.locator("#flash-region")).to_contain_text("auto-renewal off: Fabrikam sales will end on its renewal date")
    with live_app.app_context():
        assert db.session.get(Subscription, sub_id).quantity == 5


def test_with_javascript_a_refused_change_keeps_the_keyboards_focus(page, live_server, live_app, live_worker):
    """With JavaScript a change refused (seats not a number, a name left empty) swaps the changes with the
    message next to the field, and the focus fell to the page's body: a keyboard user had to find the form again
    from the top. The button pressed keeps the focus."""
    sub_id = _buy(live_app, "Fabrikam kiosks", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=2)
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    page.bring_to_front()  # (the focus is the page's own only while it is the browser's active page)
    for label, typed, button_name, error in [
            ("Number of seats", "abc", "Change quantity", "#quantity-error"),
            ("Seats from the renewal", "abc", "Schedule for renewal", "#schedule-quantity-error"),
            ("Subscription name", "", "Rename", "#rename-friendly_name-error")]:
        page.get_by_label(label).fill(typed)
        button = page.get_by_role("button", name=button_name)
        button.focus()
        page.keyboard.press("Enter")
        expect(page.locator(error)).to_be_visible()
        expect(page.get_by_label(label)).to_have_value(typed)
        expect(button).to_be_focused()


def test_with_javascript_a_form_pressed_right_after_its_refusal_is_swapped_in_stays_in_the_page(
        page, live_server, live_app, live_worker):
    """htmx took charge of what it swapped in only as the swap settled, 20 ms later: a press in between (a quick
    keyboard user; a loaded machine's test) sent the swapped-in form as a page load, the whole page drawn again
    and the focus at its top. The press comes right after the refusal's swap here (a timer of 0 ms): it stays an
    htmx request, in the same page."""
    sub_id = _buy(live_app, "Fabrikam lobby", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=2)
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/subscriptions/{sub_id}")
    page.evaluate("""() => {
        window.stillThisPage = true;
        window.pressedAgain = false;
        document.body.addEventListener("htmx:afterSwap", () => {
            if (window.pressedAgain) { return; }
            window.pressedAgain = true;
            setTimeout(() => document.getElementById("rename-submit").click(), 0);
        });
    }""")
    page.get_by_label("Subscription name").fill("")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#rename-friendly_name-error")).to_be_visible()
    page.wait_for_function("() => window.pressedAgain")
    page.wait_for_load_state("load")
    expect(page.locator("#rename-friendly_name-error")).to_be_visible()
    assert page.evaluate("() => window.stillThisPage === true"), "the second press loaded the page again"


def test_with_javascript_a_change_double_clicked_is_sent_once_and_said_once(page, live_server, live_app, live_worker):
    """With JavaScript a double click on Turn auto-renewal off, Rename or Change quantity was sent twice (htmx
    kept the second press until the first's answer): the order page then said "… order … placed" twice, or not at
    all. The button is disabled while its press is on its way: one post, said once."""
    sub_id = _buy(live_app, "Fabrikam lobby", product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic",
                  term="P1M", quantity=2)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sign_in_as(page, live_server, "reseller@example.com")
    for fill, button_name, said in [
            (None, "Turn auto-renewal off", "auto-renewal off: Fabrikam lobby will end on its renewal date"),
            (("Subscription name", "Fabrikam hall"), "Rename", "rename to “Fabrikam hall”."),
            (("Number of seats", "3"), "Change quantity", "add seats from 2 to 3.")]:
        page.goto(f"{live_server}/subscriptions/{sub_id}")
        page.wait_for_load_state("load")  # (htmx there)
        expect(page.locator("#pending-order")).to_have_count(0)
        if fill:
            page.get_by_label(fill[0]).fill(fill[1])
        posts.clear()
        page.get_by_role("button", name=button_name).dblclick()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Order ORD-"))
        expect(page.locator("#order-status")).to_have_text("Completed", timeout=30_000)
        page.wait_for_load_state("networkidle")
        expect(page.locator("#flash-region .alert")).to_have_count(1)
        expect(page.locator("#flash-region")).to_contain_text(said)
        assert len(posts) == 1, posts
