"""An order page listens only while the order waits, one way: a stream (at most MAX_STREAMS_PER_USER
per user) that closes itself when the order is over, or, without a stream, polling; and nothing at
all once it is over."""
from __future__ import annotations

import threading
import time

import pytest
from bs4 import BeautifulSoup

from app import live
from app.accounts.models import User
from tests.helpers import soup
from tests.support.orders import customer_request, place, reseller_request, run_job


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _user(db, email):
    return db.session.scalar(db.select(User).where(User.email == email))


def _asks(page) -> list:
    """Every element of the page that would ask the server again: a stream or a poll."""
    return page.select("[sse-connect], [hx-trigger^=every], [hx-trigger*='load delay']")


def test_a_finished_orders_page_neither_streams_nor_polls_and_its_poll_answers_286(demo, db, reseller_client):
    order = place(db, reseller_request(db, domain="streamdone.onmicrosoft.com"))
    waiting = soup(reseller_client.get(f"/orders/{order.number}"))
    assert waiting.select_one("#order-live")["sse-close"] == "done"
    # The page that streams does not poll too: the progress is pushed, and asks the poll URL only if
    # the browser cannot open the stream (poll-instead).
    assert [e.get("id") for e in _asks(waiting)] == ["order-live"]
    progress = waiting.select_one("#order-progress")
    # Pushes go into the element that holds the stream, which is never replaced (a fragment that
    # listened itself would miss a push arriving while its replacement settles).
    live_region = waiting.select_one("#order-live")
    assert (live_region["sse-swap"], live_region["hx-target"], live_region["hx-swap"]) == ("progress", "this", "innerHTML")
    assert progress.get("sse-swap") is None and progress["hx-trigger"] == "poll-instead"
    assert run_job(order.id) == "completed"
    page = soup(reseller_client.get(f"/orders/{order.number}"))
    assert page.select_one("#order-status").get_text() == "Completed"
    assert _asks(page) == [] and page.select("[sse-swap], [hx-get]") == []
    polled = reseller_client.get(f"/orders/{order.number}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 286 and _asks(soup(polled)) == []


def test_a_stream_of_a_finished_order_sends_the_last_progress_and_closes(demo, db, reseller_client):
    order = place(db, reseller_request(db, domain="streamlate.onmicrosoft.com"))
    assert run_job(order.id) == "completed"
    received = reseller_client.event_stream(f"/orders/{order.number}/events", until=lambda text: False)
    assert received.endswith("event: done\ndata: \n\n")
    assert "event: progress\n" in received and "Completed" in received
    assert "hx-trigger" not in received and "sse-swap" not in received


# Another thread reads and writes the database: it sees only committed data.
@pytest.mark.commits
def test_the_stream_closes_itself_when_the_order_completes(demo, db, reseller_client, app):
    order = place(db, reseller_request(db, domain="streamends.onmicrosoft.com"))
    db.session.commit()
    reseller = _user(db, "reseller@example.com")

    def finish_soon():
        time.sleep(0.5)
        with app.app_context():
            run_job(order.id)  # publishes "progress" at each step

    threading.Thread(target=finish_soon).start()
    # Read until the server ends the stream: it does so by itself once the order is completed.
    received = reseller_client.event_stream(f"/orders/{order.number}/events", until=lambda text: False)
    last_progress, done = received.rsplit("event: progress\n", 1)[1].split("event: done\n")
    assert "Completed" in last_progress and "hx-trigger" not in last_progress
    assert done == "data: \n\n"
    assert live.open_streams(reseller.id) == 0  # its slot was given back


def test_beyond_the_cap_a_users_page_polls_and_the_stream_only_says_done_while_another_user_streams(
        demo, db, reseller_client, customer_client):
    mine = place(db, reseller_request(db, domain="streamcap.onmicrosoft.com", draft_id=1))
    theirs = place(db, customer_request(db, domain="streamcap2.onmicrosoft.com", tenant_mode="new", draft_id=2))
    reseller = _user(db, "reseller@example.com")
    held = [live.take_slot(reseller.id) for _ in range(20)]  # 20 streams open in other tabs
    assert all(held) and live.take_slot(reseller.id) is None
    page = soup(reseller_client.get(f"/orders/{mine.number}"))
    assert page.select("[sse-connect]") == []
    assert page.select_one("#order-progress")["hx-trigger"] == "every 2s"  # the fallback, no error shown
    assert page.select(".alert-error") == []
    assert page.select_one("#order-progress").get("sse-swap") is None
    # A stream asked for anyway (the cap was reached after the page was rendered) sends the progress
    # that polls, then closes.
    refused = reseller_client.event_stream(f"/orders/{mine.number}/events", until=lambda text: False)
    assert refused.startswith("retry: 1000\n\nevent: progress\n") and refused.endswith("event: done\ndata: \n\n")
    pushed = refused.split("event: progress\n", 1)[1].split("\n\n", 1)[0]
    fallback = soup_of("\n".join(line[len("data: "):] for line in pushed.splitlines())).select_one("#order-progress")
    assert fallback["hx-trigger"] == "every 2s" and fallback.get("sse-swap") is None
    # Another user is not held back by this one's streams.
    other = soup(customer_client.get(f"/orders/{theirs.number}"))
    assert other.select_one("#order-live")["sse-connect"] == f"/orders/{theirs.number}/events"
    # One tab closes: the next page streams again.
    live.release_slot(reseller.id, held[0])
    assert soup(reseller_client.get(f"/orders/{mine.number}")).select_one("#order-live")["sse-connect"]


def test_a_slot_of_a_stream_that_died_without_closing_expires(demo, db, redis):
    reseller = _user(db, "reseller@example.com")
    for _ in range(20):
        live.take_slot(reseller.id)
    assert not live.may_stream(reseller.id)
    # A crashed process never refreshes its slots: once their expiry passes they no longer count.
    key = f"live:streams:{reseller.id}"
    redis.zadd(key, {member: time.time() - 1 for member in redis.zrange(key, 0, -1)})
    assert live.may_stream(reseller.id) and live.take_slot(reseller.id)
    assert 0 < redis.ttl(key) <= live.SLOT_SECONDS + 1  # and the set itself goes when nothing refreshes it
