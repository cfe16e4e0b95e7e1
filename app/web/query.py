"""Filter state kept in the URL: the query string names only what differs from the defaults, so an
address reads well and reloads the same result; and the paging of a filtered list."""
from __future__ import annotations

from dataclasses import fields
from datetime import date

from sqlalchemy import func, select

from app.extensions import db


class UrlState:
    """Base of a dataclass of filters whose defaults are the unfiltered first page."""

    def args(self, **overrides) -> dict:
        """The query string of this state with ``overrides``: defaults and empty values left out,
        dates as ISO 8601, in the order of the fields."""
        defaults = {f.name: f.default for f in fields(self)}
        values = {f.name: getattr(self, f.name) for f in fields(self)} | overrides
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()
                if value not in ("", None) and value != defaults.get(name)}


def count_pages(stmt, page: int, page_size: int) -> tuple[int, int, int]:
    """(total, page, pages) of a select shown `page_size` rows a page: how many rows it selects, the
    page asked for moved into 1..pages (an address may name any number), and how many pages there
    are (at least one, so an empty list is page 1 of 1)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // page_size))
    return total, min(max(1, page), pages), pages
