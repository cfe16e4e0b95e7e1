from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.admin.settings import StorefrontSettings


def settings_form_class():
    """A form with one field per storefront option, built from the typed settings."""

    class StorefrontOptionsForm(FlaskForm):
        submit = SubmitField("Save options")

    for f in StorefrontSettings.option_fields():
        label, help_text = f.metadata["label"], f.metadata["help"]
        if f.type in (bool, "bool"):
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
