"""The accounts area's pages (the operator's onboarding and the account settings come here)."""
from __future__ import annotations

from app.accounts import bp  # noqa: F401
