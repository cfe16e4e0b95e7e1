"""New commerce's 7-day windows, as arithmetic: which seats can still be reduced (each batch of
seats within 7 days of being added), whether the subscription can still be cancelled, when a
window closed, and how a countdown reads.

Pure functions of a subscription's stored state and `now`, which the caller passes in: Partner
Center's time (app.connections.services.partner_center_now), since the windows are Partner
Center's. No database, no clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.subscriptions.models import CHANGEABLE_STATUSES

if TYPE_CHECKING:
    from app.subscriptions.models import Subscription

COUNTDOWN_HOURS = 48           # under this, the page shows how long a window has left


@dataclass
class Batch:
    quantity: int
    until: datetime
    remaining: timedelta

    @property
    def open(self) -> bool:
        return self.remaining > timedelta(0)

    @property
    def countdown(self) -> str | None:
        """"1 day 3 hours" / "5 hours 12 minutes" when under 48 hours, else None."""
        if not self.open or self.remaining > timedelta(hours=COUNTDOWN_HOURS):
            return None
        return duration_words(self.remaining)

    @property
    def left(self) -> str | None:
        """The time left while the window is open, in the countdown's words ("6 days 23 hours"), else None."""
        return duration_words(self.remaining) if self.open else None


def duration_words(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def batches(sub: Subscription, now: datetime) -> list[Batch]:
    """The stored seat batches with their 7-day deadlines, soonest deadline first."""
    out = []
    for item in sub.refundable_batches or []:
        try:
            until = datetime.fromisoformat(item["allowedUntil"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(Batch(int(item.get("quantity") or 0), until, until - now))
    return sorted(out, key=lambda b: b.until)


def open_batches(sub: Subscription, now: datetime) -> list[Batch]:
    if sub.status not in CHANGEABLE_STATUSES:
        return []
    return [b for b in batches(sub, now) if b.open and b.quantity > 0]


def reducible(sub: Subscription, now: datetime) -> int:
    """Seats that can be reduced right now (still inside their own 7-day window)."""
    return sum(b.quantity for b in open_batches(sub, now))


def can_cancel(sub: Subscription, now: datetime) -> bool:
    """New commerce: cancel only while every seat is inside its window (and the subscription's
    cancellation date has not passed)."""
    if sub.status not in CHANGEABLE_STATUSES:
        return False
    if sub.cancellation_allowed_until is not None and sub.cancellation_allowed_until <= now:
        return False
    return reducible(sub, now) >= sub.quantity


def window_closed_at(sub: Subscription, now: datetime) -> datetime | None:
    """When the window of the seats that can no longer be reduced closed."""
    closed = [b.until for b in batches(sub, now) if not b.open]
    if sub.cancellation_allowed_until and sub.cancellation_allowed_until <= now:
        closed.append(sub.cancellation_allowed_until)
    return max(closed) if closed else None


def cancel_closed_at(sub: Subscription, now: datetime) -> datetime | None:
    """When cancelling the subscription stopped being possible: Partner Center's cancellationAllowedUntilDate
    once it has passed (seats added later have windows of their own, to reduce them, but they never reopen
    cancelling), else when the window of its seats closed."""
    if sub.cancellation_allowed_until and sub.cancellation_allowed_until <= now:
        return sub.cancellation_allowed_until
    return window_closed_at(sub, now)


def when(value: datetime | None) -> str:
    """A date and time as the pages and messages write it."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown date"


def termination_refusal(subs: list[Subscription], now: datetime) -> str | None:
    """Why an agreement holding `subs` (its active subscriptions) cannot be terminated now, or None: a
    termination cancels every one of them, so each must still be inside its window. Said where Terminate
    agreement would be offered, and by the termination itself."""
    late = [s for s in subs if not can_cancel(s, now)]
    if not late:
        return None
    names = "; ".join(f"{s.name} (window closed on {when(cancel_closed_at(s, now))})" for s in late)
    one = len(late) == 1
    if any(s.auto_renew for s in late):
        advice = ("Turn its auto-renewal off so that it ends at its renewal date." if one else
                  "Turn their auto-renewal off so that they end at their renewal dates.")
    else:  # nothing to turn off: say so rather than advise it
        advice = ("Auto-renewal is off, so it ends at its renewal date." if one else
                  "Auto-renewal is off for them, so they end at their renewal dates.")
    return ("The agreement cannot be terminated now: a subscription can be cancelled only within 7 days of its "
            f"purchase or renewal, and {'this one is' if one else 'these are'} past that: {names}. " + advice)


@dataclass
class Window:
    """What the details page says about the cancellation window."""

    now: datetime
    cancel_until: datetime | None
    cancel_countdown: str | None
    batches: list[Batch]
    reducible: int
    closed_at: datetime | None
    cancel_closed_at: datetime | None


def window(sub: Subscription, now: datetime) -> Window:
    cancellable = can_cancel(sub, now)
    until = sub.cancellation_allowed_until if cancellable else None
    countdown = None
    if until is not None:
        countdown = Batch(0, until, until - now).countdown
    return Window(now=now, cancel_until=until, cancel_countdown=countdown, batches=open_batches(sub, now),
                  reducible=reducible(sub, now), closed_at=window_closed_at(sub, now),
                  cancel_closed_at=cancel_closed_at(sub, now))
