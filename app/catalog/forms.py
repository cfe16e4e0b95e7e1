"""Catalog forms. CSRF is checked for every POST by CSRFProtect; these forms parse and validate."""
from __future__ import annotations

from app.web.forms import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.catalog.terms import BILLING_PLANS, TERMS


class SearchForm(FlaskForm):
    """The product search and filters (GET; no CSRF)."""

    class Meta:
        csrf = False

    q = StringField("Search products", validators=[Optional()])
    family = SelectField("Product family", choices=[], validate_choice=False)
    term = SelectField("Term", choices=[SelectChoice("", "Any term")] + [SelectChoice(k, v) for k, v in TERMS.items()], validate_choice=False)
    billing = SelectField("Billing plan", choices=[], validate_choice=False)


class AddToCartForm(FlaskForm):
    # CSRFProtect checks the token of every POST; the form itself is rendered per product.
    class Meta:
        csrf = False

    sku = SelectField("SKU", choices=[], validate_choice=False)
    term = SelectField("Term", choices=[SelectChoice(k, v) for k, v in TERMS.items()], validate_choice=False)
    billing_plan = SelectField("Billing plan", choices=[SelectChoice(k, v) for k, v in BILLING_PLANS.items()],
                               validate_choice=False)
    # Text, parsed by the cart service, so every wrong entry gets the same plain message.
    quantity = StringField("Quantity", default="1")


class SyncForm(FlaskForm):
    """Starting a synchronisation: only the CSRF token."""
