"""Time as the database keeps it: naive datetimes in UTC (SQLite has no time zones)."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: what every datetime column holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def naive_utc(value: datetime | None) -> datetime | None:
    """An aware datetime (as Partner Center sends) in the database's form; naive ones are UTC already."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
