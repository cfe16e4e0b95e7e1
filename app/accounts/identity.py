"""Who the storefront's mail comes from: the operator's name and its support email (an option)."""
from __future__ import annotations

from app.accounts.services import operator_account
from app.admin.settings import StorefrontSettings


def operator_identity() -> dict:
    operator = operator_account()
    settings = StorefrontSettings.load()
    return {"operator_name": operator.name if operator else settings.storefront_name,
            "support_email": settings.operator_support_email}
