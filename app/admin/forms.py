from app.web.forms import FlaskForm
from wtforms import (BooleanField, SearchField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.partner_center.gdap import MAX_DURATION_DAYS
from app.web.query import choice_filter, date_filter

from app.admin.settings import StorefrontSettings


def settings_form_class():
    """A form with one field per storefront option, built from the typed settings."""

    class StorefrontOptionsForm(FlaskForm):
        submit = SubmitField("Save options")

    for f in StorefrontSettings.option_fields():
        label, help_text = f.metadata["label"], f.metadata["help"]
        if f.metadata.get("choices"):
            field = ChoicesField(label, description=help_text, choices=[SelectChoice(k, v) for k, v in f.metadata["choices"].items()],
                                 validators=[_at_least_one])
        elif f.metadata.get("kind") == "text":
            field = TextAreaField(label, description=help_text,
                                  validators=[DataRequired(f"Enter the {label.lower()}."), Length(max=10_000)],
                                  render_kw={"rows": 6})
        elif f.metadata.get("kind") == "url":
            field = StringField(label, description=help_text,
                                validators=[Optional(), Length(max=500), _https,
                                            URL(message="Enter an address like https://example.com/terms.")])
        elif f.name.endswith("_days"):
            field = StringField(label, description=help_text, validators=[_days])
        elif f.type in (bool, "bool"):
            field = BooleanField(label, description=help_text)
        elif "email" in f.name:
            field = StringField(label, description=help_text,
                                validators=[DataRequired(f"Enter the {label.lower()}."),
                                            Email("Enter an email address like name@example.com.")])
        else:
            field = StringField(label, description=help_text,
                                validators=[DataRequired(f"Enter the {label.lower()}."), Length(max=200)])
        setattr(StorefrontOptionsForm, f.name, field)
    return StorefrontOptionsForm


class ChoicesField(SelectMultipleField):
    """Several of a fixed list, stored comma-separated (a choice not in the list is refused); shown
    as checkboxes, which a person can tick without holding a key (a multiple select loses the others
    on a plain click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_data(self, value):
        super().process_data(value.split(",") if isinstance(value, str) else value)


def _https(form, field):
    """One message at a time: an address that is not https is told so, not also that it is not an address."""
    if field.data and not field.data.lower().startswith("https://"):
        raise StopValidation("Enter an address that starts with https://.")


def _at_least_one(form, field):
    if not field.data:
        raise ValidationError("Choose at least one role.")


def _days(form, field):
    text = (field.data or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DURATION_DAYS:
        raise ValidationError(f"Enter a number of days from 1 to {MAX_DURATION_DAYS}.")
    field.data = str(int(text))


class AuditFilterForm(FlaskForm):
    """The audit log's filters: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    actor = SearchField("Actor", validators=[Optional()], description="Part of the person's email, or system.")
    account = choice_filter("Account", [SelectChoice("", "All accounts")], what="an account")
    action = choice_filter("Action", [SelectChoice("", "All actions")], what="an action")
    date_from = date_filter("From")
    date_to = date_filter("Until", not_before="date_from")
