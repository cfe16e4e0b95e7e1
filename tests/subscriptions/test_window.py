"""The 7-day window arithmetic on its own: a subscription's stored state and a `now`, no database,
no clock (a plain object stands in for the row)."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from app.subscriptions.window import (can_cancel, duration_words, open_batches, reducible, window,
                                      window_closed_at)

NOW = datetime(2025, 3, 10, 12, 0)


def sub(quantity=10, status="active", cancel_until=None, batches=()):
    stored = [{"quantity": q, "allowedUntil": until.isoformat()} for q, until in batches]
    return SimpleNamespace(quantity=quantity, status=status, cancellation_allowed_until=cancel_until,
                           refundable_batches=stored)


def test_only_seats_inside_their_own_window_can_be_reduced():
    s = sub(quantity=10, batches=[(8, NOW - timedelta(days=1)), (2, NOW + timedelta(hours=30))])
    assert reducible(s, NOW) == 2
    assert [(b.quantity, b.countdown) for b in open_batches(s, NOW)] == [(2, "1 day 6 hours")]
    assert window_closed_at(s, NOW) == NOW - timedelta(days=1)
    assert not can_cancel(s, NOW)  # not every seat is inside its window


def test_a_subscription_is_cancellable_while_every_seat_is_inside_its_window():
    until = NOW + timedelta(days=2)
    s = sub(quantity=3, cancel_until=until, batches=[(3, until)])
    assert can_cancel(s, NOW)
    shown = window(s, NOW)
    assert (shown.cancel_until, shown.cancel_countdown, shown.reducible, shown.closed_at) == (until, "2 days", 3, None)
    later = until + timedelta(minutes=1)
    assert not can_cancel(s, later) and window_closed_at(s, later) == until
    assert window(s, later).cancel_until is None


def test_a_subscription_that_is_not_active_has_no_open_window():
    s = sub(status="suspended", batches=[(5, NOW + timedelta(days=3))], cancel_until=NOW + timedelta(days=3))
    assert reducible(s, NOW) == 0 and not can_cancel(s, NOW)


def test_countdown_words():
    assert duration_words(timedelta(hours=5, minutes=12)) == "5 hours 12 minutes"
    assert duration_words(timedelta(days=1, hours=3, minutes=40)) == "1 day 3 hours"
    assert duration_words(timedelta(seconds=20)) == "1 minute"
