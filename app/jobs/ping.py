"""A trivial job the worker runs so operators (and tests) can see the queue works end to end."""
from __future__ import annotations

from app.audit import services as audit
from app.extensions import db


def ping(note: str) -> str:
    audit.record("worker_ping", subject=note)
    db.session.commit()
    return f"pong: {note}"
