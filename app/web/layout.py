"""What every page's layout needs: the navigation for the signed-in role and the storefront name."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user

from app.web.access import may_current


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


# Navigation by kind of account. Later areas append their entries here.
NAVIGATION: dict[str, list[NavItem]] = {
    "operator": [NavItem("Home", "accounts.home"), NavItem("Orders", "orders.index"),
                 NavItem("Subscriptions", "subscriptions.index"),
                 NavItem("Products", "catalog.products"), NavItem("Price lists", "catalog.price_lists"),
                 NavItem("Catalog sync", "catalog.sync"), NavItem("Stuck work", "admin.stuck_work"),
                 NavItem("Storefront options", "admin.options"),
                 NavItem("Partner Center", "connections.index"), NavItem("MCA acceptances", "admin.mca_log"),
                 NavItem("Audit log", "admin.audit_log")],
    "reseller": [NavItem("Home", "accounts.home"), NavItem("Orders", "orders.index"),
                 NavItem("Subscriptions", "subscriptions.index"),
                 NavItem("Products", "catalog.products"), NavItem("Price lists", "catalog.price_lists")],
    "customer": [NavItem("Home", "accounts.home"), NavItem("Orders", "orders.index"),
                 NavItem("Subscriptions", "subscriptions.index"),
                 NavItem("Products", "catalog.products"), NavItem("Price lists", "catalog.price_lists")],
}


def register_layout(app: Flask) -> None:
    @app.context_processor
    def layout_context():
        nav = []
        if current_user.is_authenticated:
            nav = [item for item in NAVIGATION.get(current_user.account.kind, [])
                   if item.endpoint in app.view_functions]
        return {"navigation": nav, "storefront_name": _storefront_name(), "may": may_current}


def _storefront_name() -> str:
    from app.admin.settings import StorefrontSettings

    try:
        return StorefrontSettings.load().storefront_name
    except Exception:  # the error page must render even when the database is down
        from app.extensions import db

        db.session.rollback()
        return "CSP Storefront"
