"""Orders pages: history (scoping, filters), details (tabs, live progress), notifications."""
from __future__ import annotations

import csv
import io
import threading
import time
from datetime import datetime, timedelta

import pytest

from app.accounts.models import utcnow

from app import live
from app.accounts.models import Notification
from app.orders.models import Order
from tests.helpers import soup, text_of
from tests.support.filters import assert_bad_choice_refused, assert_bad_dates_refused
from tests.support.orders import customer_request, place, reseller_request, run_job


def _two_orders(db):
    mine = place(db, reseller_request(db, domain="pagesone.onmicrosoft.com", draft_id=1))
    theirs = place(db, customer_request(db, domain="pagestwo.onmicrosoft.com", tenant_mode="new", draft_id=2))
    return mine, theirs


def test_history_shows_each_account_its_own_orders_and_the_operator_all(demo, db, reseller_client, customer_client,
                                                                        operator_client):
    mine, theirs = _two_orders(db)
    rows = soup(reseller_client.get("/orders")).select("table.order-table tbody tr")
    assert [r.select_one("a").get_text() for r in rows] == [mine.number]
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert cells[2:] == ["Purchase", "Fabrikam, Inc.", "Processing", "30.00 USD"]
    assert [a.get_text() for a in soup(customer_client.get("/orders")).select("table.order-table tbody a")] == [theirs.number]
    # The operator: all orders, newest first, with the account.
    page = soup(operator_client.get("/orders"))
    assert [a.get_text() for a in page.select("table.order-table tbody a")] == [theirs.number, mine.number]
    assert "Account" in [th.get_text() for th in page.select("thead th")]
    # Someone else's order is not found.
    assert reseller_client.get(f"/orders/{theirs.number}").status_code == 404
    assert reseller_client.post(f"/orders/{theirs.number}/process", {}).status_code == 404
    assert operator_client.get(f"/orders/{mine.number}").status_code == 200


def _processing_in_january_2025_and_completed_now(db, prefix: str):
    """Two orders of Adatum's: the first still processing, placed on 2025-01-10; the second completed now."""
    first = place(db, reseller_request(db, domain=f"{prefix}one.onmicrosoft.com", draft_id=1))
    second = place(db, reseller_request(db, domain=f"{prefix}two.onmicrosoft.com", draft_id=2))
    assert run_job(second.id) == "completed"
    first.created_at = datetime(2025, 1, 10, 12, 0)
    db.session.commit()
    return first, second


def test_history_filters_by_status_and_date(demo, db, reseller_client):
    first, second = _processing_in_january_2025_and_completed_now(db, "filter")

    def numbers(query, **kw):
        return [a.get_text() for a in soup(reseller_client.get("/orders" + query, **kw)).select("table.order-table tbody a")]

    assert numbers("?status=completed") == [second.number]
    assert numbers("?status=processing") == [first.number]
    assert numbers("?date_from=2025-01-01&date_to=2025-01-31") == [first.number]
    assert numbers(f"?date_from={(utcnow() - timedelta(days=1)).date()}") == [second.number]
    fragment = reseller_client.get("/orders?status=completed", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and soup(fragment).select_one("#order-history")
    # The address htmx pushes names only what was chosen, as the subscriptions grid's does (the form sends every field).
    pushed = reseller_client.get("/orders?q=&status=completed&date_from=&date_to=", headers={"HX-Request": "true"})
    assert pushed.headers["HX-Push-Url"] == "/orders?status=completed"


def _older_copies(db, order, count: int) -> list[str]:
    """`count` more orders like `order`, each a minute older than the one before; their numbers, newest first."""
    columns = [c.key for c in Order.__table__.columns if c.key not in ("id", "number", "draft_id", "request_key", "created_at")]
    copies = [Order(**{key: getattr(order, key) for key in columns}, number=f"ORD-COPY-{n:04d}-TEST",
                    created_at=order.created_at - timedelta(minutes=n + 1)) for n in range(count)]
    db.session.add_all(copies)
    db.session.commit()
    return [c.number for c in copies]


def test_history_of_more_orders_than_a_page_says_how_many_and_pages_to_the_oldest(demo, db, reseller_client):
    newest = place(db, reseller_request(db, domain="manyorders.onmicrosoft.com"))
    older = _older_copies(db, newest, 500)
    page = soup(reseller_client.get("/orders"))
    assert page.select_one(".results-count").get_text() == "501 orders"
    rows = [a.get_text() for a in page.select("table.order-table tbody a")]
    assert rows[0] == newest.number and len(rows) == 50
    assert page.select_one("nav.pager span").get_text() == "Page 1 of 11"
    # The oldest is on the last page, reached by the pager's links, which keep the filters.
    filtered = soup(reseller_client.get("/orders?status=processing"))
    next_link = filtered.select_one("nav.pager a[rel=next]")["href"]
    assert next_link == "/orders?status=processing&page=2"
    last = soup(reseller_client.get("/orders?status=processing&page=11"))
    assert [a.get_text() for a in last.select("table.order-table tbody a")] == [older[-1]]
    assert last.select_one("nav.pager a[rel=prev]")["href"] == "/orders?status=processing&page=10"
    past = soup(reseller_client.get("/orders?page=99"))  # an address past the end shows the last page
    assert past.select_one("nav.pager span").get_text() == "Page 11 of 11"
    assert [a.get_text() for a in past.select("table.order-table tbody a")] == [older[-1]]


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="orders.csv"'
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_history_downloads_as_csv_what_its_filters_select_every_page_and_only_its_own(
        demo, db, reseller_client, customer_client, operator_client):
    first, second = _processing_in_january_2025_and_completed_now(db, "csvexport")
    older = _older_copies(db, first, 60)  # more than a page: the file has them all
    theirs = place(db, customer_request(db, domain="csvtheirs.onmicrosoft.com", tenant_mode="new", draft_id=3))
    first.company_name = "=HYPERLINK(\"http://evil\")"  # a typed name a spreadsheet would run
    db.session.commit()
    page = soup(reseller_client.get("/orders?status=processing&date_to=2025-01-31"))
    href = page.select_one("#orders-csv")["href"]
    assert href == "/orders.csv?status=processing&date_to=2025-01-31"
    rows = _csv_rows(reseller_client.get(href))
    assert rows[0] == ["Order number", "Date (UTC)", "Type", "Customer", "Tenant", "Status", "Total", "Currency"]
    assert [r[0] for r in rows[1:]] == [first.number, *older]
    assert rows[1][1:] == ["2025-01-10 12:00", "Purchase", "'=HYPERLINK(\"http://evil\")", "csvexportone.onmicrosoft.com",
                           "Processing", "30.00", "USD"]
    everything = [r[0] for r in _csv_rows(reseller_client.get("/orders.csv"))[1:]]
    assert everything == [second.number, first.number, *older]
    # Another account's orders are never in it; the operator's has every account's, with the account.
    assert [r[0] for r in _csv_rows(customer_client.get("/orders.csv"))[1:]] == [theirs.number]
    operators = _csv_rows(operator_client.get("/orders.csv?status=completed"))
    assert operators[0][3] == "Account" and operators[1][:4] == [second.number, operators[1][1], "Purchase",
                                                                  "Adatum IT Services"]
    # A refused filter is not applied, as on the page.
    assert len(_csv_rows(reseller_client.get("/orders.csv?status=bogus"))) == 1 + 2 + 60


def test_history_searches_by_order_number_customer_or_domain_and_keeps_it_in_the_address(demo, db, reseller_client):
    first, second = _processing_in_january_2025_and_completed_now(db, "searchme")
    second.company_name = "Wingtip Toys"
    db.session.commit()

    def numbers(query):
        return [a.get_text() for a in soup(reseller_client.get("/orders" + query)).select("table.order-table tbody a")]

    assert numbers(f"?q={first.number[4:9].lower()}") == [first.number]  # part of the number, any case
    assert numbers("?q=wingtip") == [second.number]
    assert numbers("?q=SEARCHMEONE.onmicrosoft") == [first.number]
    assert numbers("?q=searchme") == [second.number, first.number]
    assert numbers("?q=searchme&status=processing") == [first.number]
    page = soup(reseller_client.get("/orders?q=nothing-like-this"))
    assert page.select_one(".results-count").get_text() == "0 orders"
    assert page.select_one("#q")["value"] == "nothing-like-this"
    assert page.select_one("#orders-csv")["href"] == "/orders.csv?q=nothing-like-this"
    rows = list(csv.reader(io.StringIO(reseller_client.get("/orders.csv?q=wingtip").get_data(as_text=True))))
    assert [r[0] for r in rows[1:]] == [second.number]


def test_bad_filter_input_is_422_with_the_message_next_to_the_field_and_the_input_kept(demo, db, reseller_client):
    assert_bad_dates_refused(reseller_client, "/orders", "date_from", "date_to")
    # The hints above the dates say which days the range takes, in no format (the browser's date box shows its
    # own); the message under a date not typed as one gives an example, as the address takes it.
    page = soup(reseller_client.get("/orders?date_from=31/01/2025"))
    assert [page.select_one(f"#{name}-hint").get_text() for name in ("date_from", "date_to")] == [
        "On or after this date (UTC).", "On or before this date (UTC)."]
    assert page.select_one("#date_from-error").get_text() == "Enter a date like 2026-01-31."
    assert_bad_choice_refused(reseller_client, "/orders", "status", "a status")


def test_a_refused_filter_is_not_applied_the_others_are_and_the_list_says_so(demo, db, reseller_client):
    first, second = _processing_in_january_2025_and_completed_now(db, "refused")

    def shown(query):
        response = reseller_client.get("/orders" + query)
        assert response.status_code == 422
        page = soup(response)
        return [a.get_text() for a in page.select("table.order-table tbody a")], page

    numbers, page = shown("?status=completed&date_from=2025-13-45")
    assert numbers == [second.number]
    assert page.select_one("#filters-unapplied").get_text() == "Shown without the Placed from filter: correct it above."
    numbers, page = shown("?status=bogus&date_from=2025-01-01&date_to=2025-01-31")
    assert numbers == [first.number]
    assert page.select_one("#status-error").get_text() == "Choose a status from the list."
    numbers, page = shown("?status=bogus&date_from=2025-13-45")
    assert page.select_one("#filters-unapplied").get_text() == (
        "Shown without the Status and Placed from filters: correct them above.")
    assert "Not a valid" not in page.get_text()


def test_details_general_tab_shows_live_progress_that_stops_when_terminal(demo, db, reseller_client):
    order = place(db, reseller_request(db, domain="progress.onmicrosoft.com"))
    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert page.select_one("h1").get_text() == f"Order {order.number}"
    assert [a.get_text() for a in page.select("nav.tabs a")] == ["General", "Parameters"]
    assert page.select_one("nav.tabs a[aria-current=page]").get_text() == "General"
    live_region = page.select_one("#order-live")
    assert live_region["sse-connect"] == f"/orders/{order.number}/events"
    progress = page.select_one("#order-progress")
    # Pushed by the stream into #order-live; the page with a stream does not poll too.
    assert live_region["sse-swap"] == "progress" and progress["hx-trigger"] == "poll-instead"
    assert progress["hx-get"] == f"/orders/{order.number}/progress"
    steps = [li.select_one(".step-label").get_text() for li in progress.select("li.provisioning-step")]
    assert steps[0] == "Create the customer tenant" and len(steps) == 6
    polled = reseller_client.get(f"/orders/{order.number}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and soup(polled).select_one("#order-status").get_text() == "Processing"
    # A poll's answer goes on polling (only a page without a stream polls), and listens to no stream.
    assert soup(polled).select_one("#order-progress")["hx-trigger"] == "every 2s"
    assert soup(polled).select_one("#order-progress").get("sse-swap") is None
    assert run_job(order.id) == "completed"
    done = reseller_client.get(f"/orders/{order.number}/progress", headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx stops polling
    assert soup(done).select_one("#order-status").get_text() == "Completed"
    assert soup(done).select_one("#order-progress").get("hx-trigger") is None
    assert [li["class"][1] for li in soup(done).select("li.provisioning-step")] == ["step-done"] * 6
    # The last poll also brings what the order gave, outside the progress (out of band), as a reload shows it:
    # each item links to the subscription it created; while it was processing, no poll replaced them.
    assert soup(polled).select_one("#order-items") is None
    items = soup(done).select_one("#order-items[hx-swap-oob=true]")
    assert [a["href"] for a in items.select("a")] == [a["href"] for a in soup(
        reseller_client.get(f"/orders/{order.number}")).select("#order-items a")] and items.select("a")
    assert soup(done).select_one("#order-admin[hx-swap-oob=true]") is not None
    # Without htmx the progress URL is the whole page.
    assert soup(reseller_client.get(f"/orders/{order.number}/progress")).select_one("h1")


def test_an_order_the_worker_has_not_taken_up_says_so_after_two_minutes(demo, db, reseller_client):
    """With the worker stopped every step reads "Waiting" for ever; after two minutes without a first attempt the
    page says provisioning has not started, why that may be, and that the order starts once the worker is back."""
    order = place(db, reseller_request(db, domain="noworker.onmicrosoft.com"))
    progress = f"/orders/{order.number}/progress"
    assert soup(reseller_client.get(progress, headers={"HX-Request": "true"})).select_one("#order-not-started") is None
    order.processing_since -= timedelta(minutes=3)
    db.session.commit()
    note = soup(reseller_client.get(f"/orders/{order.number}")).select_one("#order-not-started")
    assert " ".join(note.get_text(" ").split()) == (
        "Provisioning has not started: this order has waited 3 minutes for the storefront's worker, which sends "
        "orders to Microsoft. The worker may be stopped. The order starts by itself as soon as the worker is back; "
        "there is no need to place it again.")
    assert soup(reseller_client.get(progress, headers={"HX-Request": "true"})).select_one("#order-not-started")
    assert run_job(order.id) == "completed"  # the worker is back
    assert soup(reseller_client.get(f"/orders/{order.number}")).select_one("#order-not-started") is None


# Another thread reads and writes the database: it sees only committed data.
@pytest.mark.commits
def test_the_event_stream_pushes_fresh_progress(demo, db, reseller_client, app):
    order = place(db, reseller_request(db, domain="pushed.onmicrosoft.com"))

    def finish_soon():
        time.sleep(0.5)
        with app.app_context():
            run_job(order.id)  # publishes "progress" at each step

    threading.Thread(target=finish_soon).start()
    received = reseller_client.event_stream(
        f"/orders/{order.number}/events", until=lambda text: "event: progress" in text and "Completed" in text)
    assert "event: progress\ndata: " in received and 'id="order-progress"' in received


def test_parameters_tab_shows_ordering_and_fulfillment_parameters(demo, db, customer_client):
    order = place(db, customer_request(db, domain="paramscust.onmicrosoft.com", tenant_mode="new", registration_id=None,
                                       phone=None))
    page = soup(customer_client.get(f"/orders/{order.number}?tab=parameters"))
    assert page.select_one("nav.tabs a[aria-current=page]").get_text() == "Parameters"
    assert page.select_one("#ordering-heading").get_text() == "Ordering parameters"
    facts = [dt.get_text() for dt in page.select("#ordering-parameters dt")]
    assert facts[:3] == ["Primary domain name", "Tenant ID", "Company registration ID"]
    assert page.select_one("#param-domain").get_text() == "paramscust.onmicrosoft.com"
    # A registration ID nobody gave is "not given", as on the Review page where the order was placed.
    assert page.select_one("#param-registration-id").get_text() == "not given"
    assert page.select_one("#param-phone").get_text() == "not given"  # as the Review page says of a phone nobody gave
    assert page.select_one("#fulfillment-heading").get_text() == "Fulfillment parameters"
    assert "None" in page.select_one("#param-partner-id").get_text()
    assert page.select_one("#edit-ordering") is None  # processing: nothing to edit


def test_notifications_badge_page_and_mark_read(demo, db, reseller_client):
    assert soup(reseller_client.get("/orders")).select_one("#notifications-badge .notification-count") is None
    order = place(db, reseller_request(db, domain="notified.onmicrosoft.com"))
    assert run_job(order.id) == "completed"
    home = soup(reseller_client.get("/"))
    assert "Orders" in [a.get_text() for a in home.select("nav .nav-list a")]
    assert home.select_one("#notifications-badge .notification-count").get_text(" ", strip=True) == "2 unread"  # placed, completed
    page = reseller_client.get("/notifications")
    item = soup(page).select_one("li.notification-unread")
    assert item.select_one("a").get_text() == f"Order {order.number} completed"
    assert item.select_one("a")["href"] == f"/orders/{order.number}"
    response = reseller_client.post("/notifications/read", {}, htmx=True)
    assert response.status_code == 200
    assert soup(response).select_one("li.notification-unread") is None
    assert soup(response).select_one("#notifications-badge[hx-swap-oob]").select_one(".notification-count") is None
    assert all(n.read_at is not None for n in db.session.scalars(db.select(Notification)))
    assert text_of(reseller_client.get("/notifications")).count("Mark as read") == 0


def test_other_users_notifications_are_not_shown_or_marked(demo, db, customer_client):
    order = place(db, reseller_request(db, domain="notmine.onmicrosoft.com"))
    assert run_job(order.id) == "completed"
    assert "No notifications yet." in text_of(customer_client.get("/notifications"))
    customer_client.post("/notifications/read", {})
    assert db.session.scalar(db.select(Notification)).read_at is None


def test_signed_out_visitors_go_to_sign_in(demo, db, client):
    order = place(db, reseller_request(db))
    for url in ("/orders", f"/orders/{order.number}", "/notifications"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert live.channel("order", order.id) == f"live:order:{order.id}"
    assert isinstance(order, Order)


def test_without_javascript_a_waiting_order_says_to_reload_it(demo, db, reseller_client):
    """The page follows the order live only with JavaScript; without it, it says so and links to itself,
    until the order has reached its end."""
    from app.orders.models import OrderStatus
    order = place(db, reseller_request(db, domain="reloadhint.onmicrosoft.com", draft_id=1))
    hint = soup(reseller_client.get(f"/orders/{order.number}")).select_one("noscript #order-reload-hint")
    assert hint is not None and "reload it" in hint.get_text()
    assert hint.a["href"] == f"/orders/{order.number}"
    order.status = OrderStatus.COMPLETED
    db.session.commit()
    assert soup(reseller_client.get(f"/orders/{order.number}")).select_one("#order-reload-hint") is None


def test_each_mark_as_read_button_names_its_notification(reseller_client, db):
    """Every notification's button was named "Mark as read" alone, so a screen reader's list of buttons could not tell
    them apart; each now says which notification it marks (the words after the colon are visually hidden)."""
    from app.accounts.models import User
    from app.accounts.notifications import notify

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    notify(rita.id, "Order ORD-1 completed", "Done.", None, category="orders")
    notify(rita.id, "Order ORD-2 failed", "Not done.", None, category="orders")
    db.session.commit()
    names = [" ".join(b.get_text().split()) for b in soup(reseller_client.get("/notifications")).select(
        ".notification-list button")]
    assert "Mark as read: Order ORD-1 completed" in names and "Mark as read: Order ORD-2 failed" in names


def test_the_notifications_page_says_what_news_this_kind_of_account_gets(reseller_client, customer_client,
                                                                        operator_client):
    """The operator read "News about your orders ... your subscriptions", and a direct customer "partner
    programs", though neither gets such news."""
    orders = "News about your orders (completed, failed, or waiting for someone to act), your subscriptions"
    leads = {client: soup(client.get("/notifications")).select_one(".lead").get_text()
             for client in (reseller_client, customer_client, operator_client)}
    assert leads[reseller_client] == f"{orders}, the catalog and partner programs."
    assert leads[customer_client] == f"{orders} and the catalog."
    assert leads[operator_client] == (
        "News for the people who run the storefront: orders stopped at a deadline or waiting for someone to act, "
        "reconciliation findings, catalog syncs, partner requests and certificates.")


def test_the_operator_filters_the_history_by_account_and_buyers_cannot(demo, db, operator_client, reseller_client):
    mine, theirs = _two_orders(db)
    adatum = mine.account

    def numbers(client, query):
        return [a.get_text() for a in soup(client.get("/orders" + query)).select("table.order-table tbody a")]

    page = soup(operator_client.get(f"/orders?account={adatum.id}"))
    field = page.select_one("#account")
    assert page.find("label", attrs={"for": "account"}).get_text(strip=True) == "Account"
    assert field.select_one("option[selected]").get_text() == "Adatum IT Services"
    assert field.select_one("option").get_text() == "All accounts"
    assert "Northwind Cloud Distribution" not in field.get_text()  # the operator places no orders of its own
    assert numbers(operator_client, f"?account={adatum.id}") == [mine.number]
    assert numbers(operator_client, f"?account={theirs.account_id}") == [theirs.number]
    csv_link = page.select_one("#orders-csv")["href"]
    assert csv_link == f"/orders.csv?account={adatum.id}"
    rows = list(csv.reader(io.StringIO(operator_client.get(csv_link).get_data(as_text=True))))
    assert [r[0] for r in rows[1:]] == [mine.number]
    assert_bad_choice_refused(operator_client, "/orders", "account", "an account")
    # A reseller has no such filter, and naming another account in the address shows its own orders still.
    assert soup(reseller_client.get("/orders")).select_one("#account") is None
    assert numbers(reseller_client, f"?account={theirs.account_id}") == [mine.number]


def test_the_operators_history_filtered_to_one_account_says_whose_orders_it_shows(demo, db, operator_client):
    """The lead above the list follows the Account filter, also in the fragment htmx swaps in (the filter
    form is inside it), so that it never says "Every order" above one account's."""
    mine, _theirs = _two_orders(db)

    def lead(query, **kw):
        return soup(operator_client.get("/orders" + query, **kw)).select_one(".lead").get_text()

    assert lead("") == "Every order placed in the storefront, newest first."
    assert lead(f"?account={mine.account_id}") == "Orders placed by Adatum IT Services, newest first."
    assert lead(f"?account={mine.account_id}", headers={"HX-Request": "true"}) == (
        "Orders placed by Adatum IT Services, newest first.")
    assert lead("", headers={"HX-Request": "true"}) == "Every order placed in the storefront, newest first."
    assert lead("?account=999999") == "Every order placed in the storefront, newest first."  # refused: not applied


def test_the_operator_reads_whose_order_it_is_and_reaches_that_account(demo, db, operator_client, reseller_client):
    mine, theirs = _two_orders(db)
    for order, says in ((mine, "(sold by Adatum IT Services )"), (theirs, "(direct customer: Tailspin Toys )")):
        lead = soup(operator_client.get(f"/orders/{order.number}")).select_one(".lead")
        assert lead.get_text(" ", strip=True).endswith(says)
        assert [a["href"] for a in lead.select("a")] == [f"/admin/accounts/{order.account_id}"]
    assert soup(reseller_client.get(f"/orders/{mine.number}")).select_one(".lead a") is None


def test_an_empty_history_says_no_orders_yet_unless_a_filter_is_applied(demo, db, reseller2_client):
    """Litware has no orders: an address with only fields the list does not filter by (an old bookmark's
    `customer=`) applies no filter, so the list does not say its filters matched nothing."""
    for url in ("/orders", "/orders?customer=7", "/orders?page=1"):
        assert "No orders yet." in text_of(reseller2_client.get(url)), url
    assert "No orders match these filters." in text_of(reseller2_client.get("/orders?status=completed"))
