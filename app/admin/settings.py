"""Typed storefront options backed by the database, with defaults in code.

Add an option by adding a field here (with its label and help): the admin form and
storage follow. Values are stored as text and parsed by the field's type.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from app.admin.models import StorefrontSetting
from app.extensions import db
from app.partner_center.gdap import DEFAULT_ROLES, LEAST_PRIVILEGE_ROLES, MAX_DURATION_DAYS

GDAP = "Delegated admin (GDAP) for resellers"
CHECKOUT = "Checkout"
DYNAMICS = "Dynamics 365"

DEFAULT_TERMS = ("Orders are binding once placed. Licences are provided under the Microsoft Customer Agreement; "
                 "prices are those shown at checkout and are invoiced by the distributor. Seats can be reduced or "
                 "cancelled only within Microsoft's 7-day window after purchase or renewal, with a pro rata refund; "
                 "afterwards a subscription runs to its renewal date.")


def option(default, label: str, help: str = "", group: str = "General", **extra):
    return field(default=default, metadata={"label": label, "help": help, "group": group, **extra})


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
    daily_reconciliation: bool = option(False, "Daily subscription reconciliation",
                                        "Compare every subscription with Partner Center once a day (Tools > "
                                        "Reconciliation) and notify the operator's admins when something differs.")
    # Customers who keep several Dynamics 365 environments (production, test, staging) need one
    # subscription per environment: app/subscriptions/instances.py.
    dynamics_instance_per_order: bool = option(
        False, "Create a new Dynamics subscription for every order",
        "Every Dynamics 365 purchase creates a new subscription (an instance: production, test, staging...) named "
        "by the buyer at checkout; more licences for an instance are bought from its subscription's page (\"Add "
        "licences to this instance\"). Off: the customer keeps one subscription per Dynamics 365 product; buying "
        "it again for the same tenant adds the licences to that subscription.", group=DYNAMICS)
    terms_text: str = option(DEFAULT_TERMS, "Terms and conditions",
                             "Shown on the checkout's Review step, where the buyer ticks \"I accept the terms and "
                             "conditions\" before Buy.", group=CHECKOUT, kind="text")
    terms_url: str = option("", "Terms and conditions link",
                            "Optional: the address of the full terms (https://...), linked from the Review step.",
                            group=CHECKOUT, kind="url")
    # GDAP: what a reseller's request for delegated admin asks the customer for. Safe defaults:
    # three least-privileged roles, two years (Microsoft's maximum), no auto-extension
    # (https://learn.microsoft.com/en-us/partner-center/customers/gdap-least-privileged-roles-by-task).
    gdap_roles: str = option(",".join(DEFAULT_ROLES), "GDAP roles",
                             "The Microsoft Entra roles a reseller's delegated admin request asks for; only "
                             "least-privileged roles are offered (never Global Administrator).",
                             group=GDAP, choices=LEAST_PRIVILEGE_ROLES)
    gdap_duration_days: str = option(str(MAX_DURATION_DAYS), "GDAP duration (days)",
                                     f"How long the customer's approval lasts, 1 to {MAX_DURATION_DAYS} days "
                                     "(Microsoft allows at most two years).", group=GDAP)
    gdap_auto_extend: bool = option(False, "Extend GDAP automatically",
                                    "At its end, extend the relationship by 180 days until someone ends it; off, "
                                    "it expires and the customer approves a new request.", group=GDAP)

    def gdap_role_ids(self) -> tuple[str, ...]:
        value = self.gdap_roles
        items = value.split(",") if isinstance(value, str) else value
        return tuple(r.strip() for r in items if r and r.strip())

    def gdap_request(self) -> dict:
        """The create call's settings (``PartnerCenterClient.create_admin_relationship``)."""
        return {"role_ids": self.gdap_role_ids(), "duration": f"P{int(self.gdap_duration_days)}D",
                "auto_extend_duration": "P180D" if self.gdap_auto_extend else "PT0S"}

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
            if _format(old) != text:
                changed[f.name] = (_format(old) if isinstance(new, (list, tuple)) else old,
                                   text if isinstance(new, (list, tuple)) else new)
        return changed


def _parse(type_name, text: str):
    if type_name in (bool, "bool"):
        return text == "true"
    if type_name in (int, "int"):
        return int(text)
    return text


def _format(value) -> str:
    if isinstance(value, (list, tuple)):  # a multiple choice, stored comma-separated
        return ",".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
