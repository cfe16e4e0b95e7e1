"""Partner Center's time comes from the connections area: the in-process sandbox's clock (which demos
and tests move forward) in sandbox mode, the wall clock when Partner Center is reached over HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.connections.services import partner_center_now
from app.time import utcnow


def test_in_sandbox_mode_it_is_the_in_process_sandbox_clock(app, sandbox_store):
    sandbox_store.advance_clock(timedelta(days=3))
    before = utcnow()
    now = partner_center_now()
    after = utcnow()
    assert before + timedelta(days=3) <= now <= after + timedelta(days=3)
    assert now.tzinfo is None  # the database's form: naive UTC


@pytest.mark.parametrize("setting", [{"PARTNER_CENTER_SANDBOX_URL": "http://127.0.0.1:9"},
                                     {"PARTNER_CENTER_MODE": "live"}], ids=["standalone-sandbox", "live"])
def test_over_http_it_is_the_wall_clock(app, sandbox_store, setting):
    sandbox_store.advance_clock(timedelta(days=3))  # an in-process sandbox exists, and is not asked
    app.config.update(setting)
    before = utcnow()
    now = partner_center_now()
    assert before <= now <= utcnow()


@pytest.fixture
def app_config():
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0}}


def test_a_subscriptions_page_tells_both_its_times_by_partner_centers_clock(db, demo, reseller_client, sandbox_store):
    """With the sandbox's clock moved forward, "As of" and "State last read" are both its time: a state
    read just now does not read as days older than the page."""
    from tests.helpers import soup
    from tests.support.subscriptions import buy

    sandbox_store.advance_clock(timedelta(days=3))
    [sub] = buy(db)
    hint = " ".join(soup(reseller_client.get(f"/subscriptions/{sub.id}")).select_one("#window-as-of").get_text().split())
    shown = partner_center_now()
    as_of, read = hint.split(" UTC (Partner Center's time). State last read from Partner Center ")
    assert as_of.removeprefix("As of ") in {f"{shown - timedelta(minutes=m):%Y-%m-%d %H:%M}" for m in (0, 1)}
    assert read.endswith(" UTC, by the same clock.")
    assert read.removesuffix(" UTC, by the same clock.") in {f"{shown - timedelta(minutes=m):%Y-%m-%d %H:%M}"
                                                            for m in (0, 1, 2)}
