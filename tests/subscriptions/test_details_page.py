"""What a subscription's details page and its agreement's page tell a reseller before any click:
the time left in each 7-day window, and whether the agreement can be terminated (and why not)."""
from __future__ import annotations

from datetime import timedelta

from tests.helpers import soup


def _time_left(client, sub) -> list[str]:
    page = soup(client.get(f"/subscriptions/{sub.id}"))
    return [row.select("td")[2].get_text(" ", strip=True) for row in page.select(".window-batch")]


def test_the_time_left_in_the_window_is_the_real_time_left_all_week(db, reseller_client, sandbox_store, bought):
    sandbox_store.advance_clock(timedelta(hours=1))
    assert _time_left(reseller_client, bought) == ["closes in 6 days 23 hours"]
    sandbox_store.advance_clock(timedelta(days=3, hours=2))
    assert _time_left(reseller_client, bought) == ["closes in 3 days 21 hours"]
    sandbox_store.advance_clock(timedelta(days=3, hours=20, minutes=30))  # 30 minutes left
    assert _time_left(reseller_client, bought) == ["closes in 30 minutes"]
