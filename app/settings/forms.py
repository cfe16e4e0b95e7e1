"""The account settings' forms, and the licensee's contact fields the checkout's customer step shares."""
from __future__ import annotations

from app.web.forms import FlaskForm
from email_validator import EmailNotValidError, validate_email
from wtforms import (BooleanField, EmailField, FormField, RadioField, SelectField, StringField, SubmitField, TelField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional

from app.accounts.countries import COUNTRIES
from app.accounts.notification_settings import CATEGORIES, RECIPIENTS, Category, Choice
from app.settings.licensees import ADDRESS_FIELDS, contact_problems
from app.settings.users import ROLE_LABELS

EMAIL_FORMAT = "Enter an email address like name@example.com."


def country_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Choose a country")] + [SelectChoice(code, name) for code, name in COUNTRIES]


class LicenseeContactForm(FlaskForm):
    """A licensee's contact: the Licensees page's form and the checkout's "Add a new customer"."""

    company_name = StringField("Company name", validators=[Optional(), Length(max=200)])
    country = SelectField("Country", choices=country_choices(), default="", validate_choice=False)
    contact_first_name = StringField("Contact first name", validators=[Optional(), Length(max=50)])
    contact_last_name = StringField("Contact last name", validators=[Optional(), Length(max=50)])
    email = EmailField("Contact email", validators=[Optional(), Email(EMAIL_FORMAT), Length(max=254)])
    phone = TelField("Contact phone", validators=[Optional(), Length(max=40)])

    CONTACT_FIELDS = ("company_name", "country", "contact_first_name", "contact_last_name", "email", "phone")

    def check_contact(self) -> bool:
        """Every missing contact field is reported at once, beside the format errors; True when the
        contact is complete and well-formed."""
        for name, message in contact_problems({name: self[name].data for name in self.CONTACT_FIELDS}).items():
            self[name].errors = [*self[name].errors, message]
        return not any(self[name].errors for name in self.CONTACT_FIELDS)


class LicenseeForm(LicenseeContactForm):
    registration_id = StringField("Company registration ID", validators=[Optional(), Length(max=64)],
                                  description="Microsoft asks for it when a new tenant is created for a customer in "
                                              "some countries (Poland among them); checked with the country's rules.")
    address_line1 = StringField("Street address", validators=[Optional(), Length(max=200)])
    address_line2 = StringField("Address line 2 (optional)", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    state = StringField("State or province", validators=[Optional(), Length(max=50)])
    postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    submit = SubmitField("Save")

    def details(self) -> dict:
        names = (*self.CONTACT_FIELDS, "registration_id", *ADDRESS_FIELDS)
        return {name: self[name].data for name in names}


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])


class LicenseeActionForm(FlaskForm):
    """Archive, restore or delete: the button is the form."""


class InviteForm(FlaskForm):
    first_name = StringField("First name", validators=[Length(max=60)])
    last_name = StringField("Last name", validators=[Length(max=60)])
    email = EmailField("Email", validators=[Optional(), Email(EMAIL_FORMAT), Length(max=254)])
    role = RadioField("Role", choices=[SelectChoice(v, label) for v, label in ROLE_LABELS.items()], default="member")
    submit = SubmitField("Send invitation")

    def check_required(self) -> bool:
        for field, message in ((self.first_name, "Enter the first name."), (self.last_name, "Enter the last name."),
                               (self.email, "Enter the email address.")):
            if not (field.data or "").strip():
                field.errors = [*field.errors, message]
        if self.role.data not in ROLE_LABELS:
            self.role.errors = [*self.role.errors, "Choose Account admin or Member."]
        return not any(f.errors for f in (self.first_name, self.last_name, self.email, self.role))


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(v, label) for v, label in ROLE_LABELS.items()])


class UserActionForm(FlaskForm):
    """Deactivate, reactivate, resend or revoke: the button is the form."""


class CategoryForm(FlaskForm):
    """One category's settings (a sub-form of NotificationSettingsForm, prefixed by the category)."""

    class Meta:
        csrf = False  # the page's form carries the token

    enabled = BooleanField("Send these notifications")
    recipients = RadioField("Who receives them", choices=[SelectChoice(v, label) for v, label in RECIPIENTS.items()])
    extra_emails = TextAreaField("Also email these addresses", validators=[Length(max=2000)],
                                 description="Separate addresses with commas or new lines, e.g. "
                                             "accounts@example.com.")

    def addresses(self) -> list[str] | None:
        """The extra addresses, lower-cased, or None with the error set on the field."""
        raw = [a.strip().lower() for a in (self.extra_emails.data or "").replace(";", ",").replace("\n", ",").split(",")]
        addresses = list(dict.fromkeys(a for a in raw if a))
        wrong = [a for a in addresses if not _looks_like_email(a)]
        if wrong:
            self.extra_emails.errors = [*self.extra_emails.errors,
                                        f"{', '.join(wrong)} "
                                        + ("is not an email address" if len(wrong) == 1 else "are not email addresses")
                                        + " like name@example.com."]
            return None
        if len(addresses) > 10:
            self.extra_emails.errors = [*self.extra_emails.errors, "Give at most 10 addresses."]
            return None
        return addresses


def _looks_like_email(address: str) -> bool:
    """The check WTForms' Email validator makes (the email_validator package), without DNS."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def notification_settings_form(choices: dict[str, Choice], categories: dict[str, Category] = CATEGORIES,
                               **kwargs) -> FlaskForm:
    """One sub-form per category offered (fields named "<category>-enabled" and so on), filled with the
    account's choices unless the request posted others."""

    class NotificationSettingsForm(FlaskForm):
        submit = SubmitField("Save notification settings")

    for key, category in categories.items():
        setattr(NotificationSettingsForm, key, FormField(CategoryForm, label=category.label))
    data = {key: {"enabled": c.enabled, "recipients": c.recipients, "extra_emails": ", ".join(c.extra_emails)}
            for key, c in choices.items() if key in categories}
    return NotificationSettingsForm(data=data, **kwargs)


def preferences_form(opted_out: set[str], categories: dict[str, Category] = CATEGORIES, **kwargs) -> FlaskForm:
    """A user's own email preferences: one box per category offered, ticked when they want its email."""

    class PreferencesForm(FlaskForm):
        submit = SubmitField("Save email preferences")

    for key, category in categories.items():
        setattr(PreferencesForm, key, BooleanField(f"Email me about {category.label.lower()}"))
    return PreferencesForm(data={key: key not in opted_out for key in categories}, **kwargs)
