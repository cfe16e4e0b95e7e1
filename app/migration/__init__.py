"""Migration from a legacy partner portal (admin > Migration, `flask migration import FILE`).

An import brings accounts, their users and licensees, and their historical orders and invoices,
from the JSON layout documented in the README (example: app/migration/example.json). Legacy ids
are stable: importing again updates, never duplicates. An account is "scheduled" (its users see
a banner that it moves soon) or "migrated" (its legacy users get an email and an invitation, and
the history is readable under Archive)."""
from flask import Blueprint

bp = Blueprint("migration", __name__)

from app.migration import admin_routes, routes  # noqa: E402,F401
