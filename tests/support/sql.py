"""The SQL statements a block of a test runs, counted with SQLAlchemy's cursor events."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db as _db


@contextmanager
def statements():
    """The SQL statements run inside the block, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def about(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if re.search(rf"\b{table}\b", s)]
