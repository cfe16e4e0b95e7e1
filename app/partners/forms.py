"""The forms of admin > Accounts: the list's filters, a reseller's and a direct customer's details,
their first account admin, and suspending."""
from __future__ import annotations

from app.web.forms import FlaskForm
from wtforms import EmailField, SearchField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.countries import COUNTRIES
from app.accounts.markets import market_of_country
from app.catalog.pricing import MARKET_NAMES, MARKETS
from app.partners.network import PARTNER_ID_FORMAT, PARTNER_ID_RULE
from app.web.query import choice_filter, date_filter

TENANT_ID_FORMAT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TENANT_ID_RULE = "A Partner Center tenant ID is a GUID like 5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71."

KIND_CHOICES = [SelectChoice("", "Resellers and direct customers"), SelectChoice("reseller", "Resellers"),
                SelectChoice("customer", "Direct customers")]
STATUS_CHOICES = [SelectChoice("", "Any status"), SelectChoice("active", "Active"),
                  SelectChoice("suspended", "Suspended")]


def _country_choices(first: str) -> list[SelectChoice]:
    return [SelectChoice("", first)] + [SelectChoice(code, name) for code, name in COUNTRIES]


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class AccountFilterForm(FlaskForm):
    """The list's search and filters: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField("Search accounts", validators=[Optional()], filters=[_stripped],
                    description="Company name, partner ID or a user's email.")
    kind = choice_filter("Kind", KIND_CHOICES, what="a kind")
    status = choice_filter("Status", STATUS_CHOICES, what="a status")
    country = choice_filter("Country", _country_choices("Any country"), what="a country")
    created_from = date_filter("Created from")
    created_to = date_filter("Created until", not_before="created_from")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _DetailsForm(FlaskForm):
    name = StringField("Company name", filters=[_stripped],
                       validators=[DataRequired("Enter the company name."), Length(max=200)])
    country = SelectField("Country", choices=_country_choices("Choose a country"), default="",
                          validators=[DataRequired("Choose the country.")])


class ResellerForm(_DetailsForm):
    partner_id = StringField("Partner ID (MPN ID)", filters=[_stripped],
                             description="The reseller's Microsoft partner ID (MPN / PLA ID); it goes on every order.",
                             validators=[DataRequired("Enter the reseller's partner ID (MPN ID)."),
                                         Regexp(PARTNER_ID_FORMAT, message=PARTNER_ID_RULE)])
    partner_tenant_id = StringField(
        "Partner Center tenant ID", filters=[_stripped, lambda v: v.lower() if isinstance(v, str) else v],
        description="The reseller's own tenant ID (a GUID), in its Partner Center > Account settings > "
                    "Organization profile.",
        validators=[DataRequired("Enter the reseller's Partner Center tenant ID."),
                    Regexp(TENANT_ID_FORMAT, message=TENANT_ID_RULE)])
    markets = MultiCheckboxField("Markets", choices=[SelectChoice(code, MARKET_NAMES.get(code, code))
                                                     for code in MARKETS],
                                 description="Where the reseller sells: the storefront's markets.")
    MARKETS_FOLLOW = ("Where the reseller sells: the storefront's markets. Until you tick others, they follow the "
                      "country chosen, as you choose it or else when you save: its own market, or the United States "
                      "for a country without one of its own.")
    submit = SubmitField("Save")

    def validate_markets(self, field):
        if not field.data:
            raise ValidationError("Choose at least one market.")


def tick_markets_of_country(form: ResellerForm, ticked_before: str | None) -> str:
    """A new reseller's markets follow its country (Poland's for Poland, the United States' for a country
    without a market of its own) until the operator ticks others. `ticked_before`: what the form ticked by
    itself last ("US", sent back with it as markets_default), None on its first display. Returns what it
    ticks by itself now, for the form to send back."""
    if ticked_before is None or sorted(form.markets.data or []) == sorted(filter(None, ticked_before.split(","))):
        form.markets.data = [market_of_country(form.country.data)]
        return ",".join(form.markets.data)
    return ticked_before  # the operator's choice stands, whatever the country


class CustomerForm(_DetailsForm):
    address_line1 = StringField("Street address", filters=[_stripped],
                                validators=[DataRequired("Enter the street address."), Length(max=200)])
    address_line2 = StringField("Address line 2 (optional)", filters=[_stripped], validators=[Length(max=200)])
    city = StringField("City", filters=[_stripped], validators=[DataRequired("Enter the city."), Length(max=100)])
    state = StringField("State or province", filters=[_stripped], validators=[Length(max=50)])  # per country
    postal_code = StringField("Postal code", filters=[_stripped],
                              validators=[DataRequired("Enter the postal code."), Length(max=20)])
    submit = SubmitField("Save")


def _admin_fields(who: str) -> tuple:
    """An admin to invite by email: first name, last name and email; `who` names them in the messages."""
    return (StringField("First name", filters=[_stripped],
                        validators=[DataRequired(f"Enter the first name of {who}."), Length(max=60)]),
            StringField("Last name", filters=[_stripped],
                        validators=[DataRequired(f"Enter the last name of {who}."), Length(max=60)]),
            EmailField("Email", filters=[_stripped],
                       description="The invitation to set a password goes to this address.",
                       validators=[DataRequired(f"Enter the email address of {who}."),
                                   Email("Enter an email address like name@example.com."), Length(max=254)]))


class _FirstAdmin:
    """The account's first admin, invited by email when the account is created."""

    admin_first_name, admin_last_name, admin_email = _admin_fields("the account's first admin")


class NewResellerForm(ResellerForm, _FirstAdmin):
    submit = SubmitField("Create reseller and invite its admin")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.markets.description = self.MARKETS_FOLLOW  # they follow the country (tick_markets_of_country)


class NewCustomerForm(CustomerForm, _FirstAdmin):
    submit = SubmitField("Create direct customer and invite its admin")


class InviteAdminForm(FlaskForm):
    """Another account admin, invited by the operator: the first admin's address was mistyped, or the
    account's own admins have left. Not the first admin: its messages say so."""

    admin_first_name, admin_last_name, admin_email = _admin_fields("the admin to invite")
    submit = SubmitField("Send invitation")


class SuspendForm(FlaskForm):
    reason = StringField("Reason (optional)", filters=[_stripped], validators=[Length(max=500)],
                         description="Shown on the account's page and kept in the audit log.")
    submit = SubmitField("Suspend account")


class ConnectionForm(FlaskForm):
    """The Partner Center connection that serves the account whatever its market (blank: by market)."""

    # "Connection": the section's heading already says "Partner Center connection".
    connection = SelectField("Connection", choices=[], validate_choice=True,
                             description="Its customers, orders and checks go to this connection. Orders, tenants "
                                         "and subscriptions made before stay with the connection that made them.")
    submit = SubmitField("Save connection")


class ActionForm(FlaskForm):
    """A button that changes something (reactivate, check with Partner Center): its CSRF token only."""

    submit = SubmitField()
