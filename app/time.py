"""Time as the database keeps it: naive datetimes in UTC (SQLite has no time zones)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: what every datetime column holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def naive_utc(value: datetime | None) -> datetime | None:
    """An aware datetime (as Partner Center sends) in the database's form; naive ones are UTC already."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def on_days(column, first: date | None, last: date | None) -> list:
    """The conditions of a date range filter: `column` (a datetime) falls on the days from `first` to
    `last`, both whole days (a range ending on the 31st takes all of the 31st); either end may be open."""
    conditions = []
    if first:
        conditions.append(column >= datetime.combine(first, time.min))
    if last:
        conditions.append(column < datetime.combine(last + timedelta(days=1), time.min))
    return conditions


def waited(delta: timedelta) -> str:
    """How long something has waited, as a page says it: "40 seconds", "1 minute", "12 minutes", "3 hours"."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours"
