"""What every page's layout needs: the navigation for the signed-in role and the permission check.

The storefront's name is an operator option: the admin area puts it in every page's context."""
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
    "operator": [NavItem("Home", "home.index"), NavItem("Orders", "orders.index"),
                 NavItem("Subscriptions", "subscriptions.index"),
                 NavItem("Products", "catalog.products"), NavItem("Price lists", "catalog.price_lists"),
                 NavItem("Catalog sync", "catalog.sync"), NavItem("Stuck work", "tools.stuck"),
                 NavItem("Storefront options", "admin.options"),
                 NavItem("Partner Center", "connections.index"), NavItem("MCA acceptances", "mca.log"),
                 NavItem("Audit log", "admin.audit_log")],
    "reseller": [NavItem("Home", "home.index"), NavItem("Orders", "orders.index"),
                 NavItem("Subscriptions", "subscriptions.index"),
                 NavItem("Products", "catalog.products"), NavItem("Price lists", "catalog.price_lists")],
    "customer": [NavItem("Home", "home.index"), NavItem("Orders", "orders.index"),
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
        return {"navigation": nav, "may": may_current}
