"""Filter state kept in the URL: the query string names only what differs from the defaults, so an
address reads well and reloads the same result."""
from __future__ import annotations

from dataclasses import fields
from datetime import date


class UrlState:
    """Base of a dataclass of filters whose defaults are the unfiltered first page."""

    def args(self, **overrides) -> dict:
        """The query string of this state with ``overrides``: defaults and empty values left out,
        dates as ISO 8601, in the order of the fields."""
        defaults = {f.name: f.default for f in fields(self)}
        values = {f.name: getattr(self, f.name) for f in fields(self)} | overrides
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()
                if value not in ("", None) and value != defaults.get(name)}
