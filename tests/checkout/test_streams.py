"""The checkout page listens for the customer's acceptance only while it waits, one way: a stream (at
most MAX_STREAMS_PER_USER per user) that closes itself once the wait is over and holds no database
connection while it waits, or, without a stream, polling."""
from __future__ import annotations

import threading
import time

import pytest
from bs4 import BeautifulSoup

from app import live
from app.accounts.models import User
from app.checkout.models import CheckoutDraft
from tests.checkout.test_authorization import _reseller_waits_on
from tests.helpers import soup
from tests.support.waiting import wait_until

TENANT = "3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3"


def _verify(db, draft_id):
    draft = db.session.get(CheckoutDraft, draft_id)
    draft.authorization_status, draft.tenant_id = "verified", TENANT
    db.session.commit()


def _asks(page) -> list:
    return page.select("[sse-connect], [hx-trigger^=every], [hx-trigger*='load delay']")


def test_once_verified_the_page_neither_streams_nor_polls_and_the_poll_answers_286(reseller_client, db):
    waiting = soup(_reseller_waits_on(reseller_client, db))
    assert waiting.select_one("#live-region")["sse-close"] == "done"
    # The page that streams does not poll too: its gate is pushed, and asks the poll URL only if
    # the browser cannot open the stream (poll-instead).
    assert [e["id"] for e in _asks(waiting)] == ["live-region"]
    # Pushed into the element that holds the stream, with its own target (not the service form's).
    live_region = waiting.select_one("#live-region")
    assert (live_region["sse-swap"], live_region["hx-target"], live_region["hx-swap"]) == (
        "authorization", "this", "innerHTML")
    assert waiting.select_one("#checkout-gate").get("sse-swap") is None
    assert waiting.select_one("#checkout-gate")["hx-trigger"] == "poll-instead"
    poll = reseller_client.get("/checkout/service/authorization", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and soup(poll).select_one("#checkout-gate")["hx-trigger"] == "every 5s"
    assert soup(poll).select_one("#checkout-gate").get("sse-swap") is None
    _verify(db, db.session.scalar(db.select(CheckoutDraft.id)))
    page = soup(reseller_client.get("/checkout/service"))
    assert page.select_one("#checkout-button").get("disabled") is None
    assert _asks(page) == [] and page.select("#checkout-gate[sse-swap], #checkout-gate[hx-get]") == []
    done = reseller_client.get("/checkout/service/authorization", headers={"HX-Request": "true"})
    assert done.status_code == 286 and _asks(soup(done)) == []
    assert "Authorization verified" in done.get_data(as_text=True)


def test_the_last_gate_pushed_or_polled_also_turns_the_instructions_into_the_verified_heading(reseller_client, db):
    """Before: once the acceptance arrived, the enabled Checkout said "Authorization verified" under a box
    that still said "Your customer must authorize Adatum IT Services", "This page notices the acceptance by
    itself" and offered Verify Authorization: only a reload showed the verified heading. The last gate now
    carries the authorization section too (out of band), as a reload shows it."""
    _reseller_waits_on(reseller_client, db)
    _verify(db, db.session.scalar(db.select(CheckoutDraft.id)))
    heading = "Fabrikam, Inc. has authorized Adatum IT Services as its partner"
    reloaded = soup(reseller_client.get("/checkout/service"))
    assert reloaded.select_one("#auth-heading").get_text() == heading
    polled = soup(reseller_client.get("/checkout/service/authorization", headers={"HX-Request": "true"}))
    section = polled.select_one("#existing-section")
    assert section is not None and section["hx-swap-oob"] == "true"
    assert section.select_one("#auth-heading").get_text() == heading
    assert section.find("button", string="Verify Authorization") is None
    pushed = reseller_client.event_stream("/checkout/events", until=lambda text: False)
    data = "".join(line[len("data: "):] for line in pushed.splitlines() if line.startswith("data: "))
    assert 'id="existing-section" hx-swap-oob="true"' in data and heading in data


def test_a_stream_opened_after_the_wait_sends_the_last_gate_and_closes(reseller_client, db):
    _reseller_waits_on(reseller_client, db)
    _verify(db, db.session.scalar(db.select(CheckoutDraft.id)))
    received = reseller_client.event_stream("/checkout/events", until=lambda text: False)
    assert received.endswith("event: done\ndata: \n\n")
    assert "event: authorization\n" in received and "Authorization verified" in received
    assert "hx-trigger" not in received and "sse-connect" not in received


# Another thread reads and writes the database: it sees only committed data.
@pytest.mark.commits
def test_the_stream_closes_itself_when_the_authorization_is_verified(reseller_client, db, app):
    _reseller_waits_on(reseller_client, db)
    draft_id = db.session.scalar(db.select(CheckoutDraft.id))
    reseller = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))

    def verify_soon():
        time.sleep(0.5)
        with app.app_context():
            _verify(db, draft_id)
            live.publish("checkout", draft_id, "authorization")

    threading.Thread(target=verify_soon).start()
    received = reseller_client.event_stream("/checkout/events", until=lambda text: False)
    # First the gate as it is when the stream listens (still waiting), then the pushed one, then done.
    first, last = received.split("event: authorization\n")[1:]
    assert "Waiting for Microsoft" in first
    gate, done = last.split("event: done\n")
    assert "Authorization verified" in gate and "hx-trigger" not in gate and done == "data: \n\n"
    assert live.open_streams(reseller.id) == 0


def test_at_the_cap_the_checkout_page_polls_without_an_error(reseller_client, db):
    reseller = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    for _ in range(20):
        assert live.take_slot(reseller.id)
    page = soup(_reseller_waits_on(reseller_client, db))
    assert page.select("[sse-connect]") == [] and page.select(".alert-error") == []
    assert page.select_one("#checkout-gate")["hx-trigger"] == "every 5s"
    assert page.select_one("#checkout-gate").get("sse-swap") is None
    # A stream asked for anyway (the cap was reached after the page was rendered) sends the gate
    # that polls, then closes.
    received = reseller_client.event_stream("/checkout/events", until=lambda t: False)
    assert received.startswith("retry: 1000\n\nevent: authorization\n")
    assert received.endswith("event: done\ndata: \n\n")
    gate = _data(received, "authorization").select_one("#checkout-gate")
    assert gate["hx-trigger"] == "every 5s" and gate["hx-get"] == "/checkout/service/authorization"
    assert gate.get("sse-swap") is None and gate.select_one("#checkout-button").has_attr("disabled")


def _data(received: str, event: str) -> BeautifulSoup:
    """The HTML the last SSE `event` carried (its data lines joined), parsed."""
    block = received.rsplit(f"event: {event}\n", 1)[1].split("\n\n", 1)[0]
    return BeautifulSoup("\n".join(line[len("data: "):] for line in block.splitlines()), "html.parser")


# The stream and the thread that pushes use their own connections: the data must be committed.
@pytest.mark.commits
def test_a_waiting_stream_holds_no_database_connection_and_a_push_still_arrives(reseller_client, db, app):
    _reseller_waits_on(reseller_client, db)
    draft_id = db.session.scalar(db.select(CheckoutDraft.id))
    db.session.remove()  # the test's own connection back to the pool
    engine, redis = db.engine, live.get_redis()
    checked_out = []

    def push_while_waiting():
        # The stream waits once it has subscribed to the draft's channel and read what it needs.
        assert wait_until(lambda: redis.pubsub_numsub(live.channel("checkout", draft_id))[0][1] == 1, 10)
        assert wait_until(lambda: engine.pool.checkedout() == 0, 5, interval=0.05)
        for _ in range(5):  # and it stays so while the stream waits
            checked_out.append(engine.pool.checkedout())
            time.sleep(0.2)
        with app.app_context():
            _verify(db, draft_id)
            live.publish("checkout", draft_id, "authorization")
            db.session.remove()

    pusher = threading.Thread(target=push_while_waiting)
    pusher.start()
    received = reseller_client.event_stream("/checkout/events", until=lambda text: False)
    pusher.join()
    assert checked_out == [0] * 5
    gate = _data(received, "authorization").select_one("#checkout-gate")
    assert "Authorization verified" in gate.get_text() and gate.select_one("#checkout-button").get("disabled") is None
    assert received.endswith("event: done\ndata: \n\n")
    assert engine.pool.checkedout() == 0  # rendering the push borrowed a connection and gave it back
