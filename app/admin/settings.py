"""Typed storefront options backed by the database, with defaults in code.

Add an option by adding a field here (with its label and help): the admin form and
storage follow. Values are stored as text and parsed by the field's type.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from app.admin.models import StorefrontSetting
from app.extensions import db


def option(default, label: str, help: str = "", group: str = "General"):
    return field(default=default, metadata={"label": label, "help": help, "group": group})


@dataclass
class StorefrontSettings:
    storefront_name: str = option("Northwind Cloud Storefront", "Storefront name",
                                  "Shown in the header and in page titles.")
    operator_support_email: str = option("support@example.com", "Support email",
                                         "Shown to resellers and customers who need help, and at the foot of "
                                         "every email the storefront sends, where replies go.")
    require_mca_acceptance: bool = option(True, "Require MCA acceptance",
                                          "Buyers accept (or confirm) the Microsoft Customer Agreement at checkout.")
    sub_customers_billing_address: bool = option(False, "Sub customers billing address",
                                                 "Resellers must give their end customer's billing address.")
    annual_billing: bool = option(True, "Annual billing",
                                  "Offer annual and triennial billing plans besides monthly billing.")
    automatic_catalog_update: bool = option(True, "Automatic catalog update",
                                            "Synchronise the catalog and prices from Partner Center each month.")

    @classmethod
    def option_fields(cls):
        return fields(cls)

    @classmethod
    def load(cls) -> "StorefrontSettings":
        stored = {row.key: row.value for row in db.session.scalars(db.select(StorefrontSetting))}
        values = {}
        for f in fields(cls):
            if f.name in stored:
                values[f.name] = _parse(f.type, stored[f.name])
        return cls(**values)

    def save(self, *, by=None) -> dict:
        """Store every option; return {name: (old, new)} for the options that changed."""
        before = StorefrontSettings.load()
        changed = {}
        for f in fields(self):
            new = getattr(self, f.name)
            old = getattr(before, f.name)
            row = db.session.get(StorefrontSetting, f.name)
            text = _format(new)
            if row is None:
                db.session.add(StorefrontSetting(key=f.name, value=text, updated_by_id=getattr(by, "id", None)))
            elif row.value != text:
                row.value = text
                row.updated_by_id = getattr(by, "id", None)
            if old != new:
                changed[f.name] = (old, new)
        return changed


def _parse(type_name, text: str):
    if type_name in (bool, "bool"):
        return text == "true"
    if type_name in (int, "int"):
        return int(text)
    return text


def _format(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
