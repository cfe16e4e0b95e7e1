"""The forms of the programs area: enrolling, a pending certificate's parameters, the operator's
actions and settings, and "Become a partner"."""
from __future__ import annotations

from app.web.forms import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from app.accounts.countries import COUNTRIES
from app.partners.network import PARTNER_ID_FORMAT, PARTNER_ID_RULE
from app.web.query import choice_filter


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _countries(first: str) -> list[SelectChoice]:
    return [SelectChoice("", first)] + [SelectChoice(code, name) for code, name in COUNTRIES]


class CertificateParametersForm(FlaskForm):
    """The ordering parameters of a certificate: what Enroll asks, and what a pending certificate's
    Parameters tab lets the reseller correct before pressing Process."""

    partner_id = StringField("MPN ID", filters=[_stripped],
                             description="Your Microsoft partner ID (PLA ID) for the partner location in the country "
                                         "below: Partner Center > Settings > Account settings > Organization profile "
                                         "> Identifiers.",
                             validators=[DataRequired("Enter your MPN ID."),
                                         Regexp(PARTNER_ID_FORMAT, message=PARTNER_ID_RULE)])
    contact_email = EmailField("Partner contact email", filters=[_stripped],
                               description="The email address of your Microsoft partner account.",
                               validators=[DataRequired("Enter the email address of your Microsoft partner account."),
                                           Email("Enter an email address like name@example.com."), Length(max=254)])
    country = SelectField("Country of the partner location", choices=_countries("Choose a country"), default="",
                          description="It must be within the region where you resell through us.",
                          validators=[DataRequired("Choose the country of your partner location.")])


class EnrollForm(CertificateParametersForm):
    submit = SubmitField("Enroll")


class ProcessForm(CertificateParametersForm):
    submit = SubmitField("Process")


class RefuseForm(FlaskForm):
    reason = TextAreaField("Reason", filters=[_stripped],
                           description="The reseller reads it on the certificate.",
                           validators=[DataRequired("Say why the certificate is refused."), Length(max=1000)])
    submit = SubmitField("Refuse")


class ActionForm(FlaskForm):
    """A button that changes something (approve, expire, dismiss): its CSRF token only."""

    submit = SubmitField()


class ProgramForm(FlaskForm):
    name = StringField("Program name", filters=[_stripped],
                       validators=[DataRequired("Enter the program's name."), Length(max=200)])
    description = TextAreaField("Description", filters=[_stripped],
                                description="Shown on Programs and on the public \u201cBecome a partner\u201d page.",
                                validators=[DataRequired("Describe the program."), Length(max=4000)])
    terms = TextAreaField("Terms", filters=[_stripped], validators=[DataRequired("Enter the program's terms."),
                                                                    Length(max=8000)])
    validity_days = IntegerField("Validity period (days)",
                                 description="How long a certificate stays active after it is issued or approved.",
                                 validators=[InputRequired("Enter the validity period in days."),
                                             NumberRange(1, 3660, "Enter a number of days from 1 to 3660.")])
    submit = SubmitField("Save program")


class CertificateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = choice_filter("Status", [SelectChoice("", "Any status"), SelectChoice("pending", "Pending"),
                                      SelectChoice("active", "Active"), SelectChoice("expired", "Expired"),
                                      SelectChoice("refused", "Refused")], what="a status")
    q = StringField("Search", filters=[_stripped], validators=[Optional()],
                    description="Reseller, MPN ID or certificate number.")


class BecomePartnerForm(FlaskForm):
    company = StringField("Company", filters=[_stripped],
                          validators=[DataRequired("Enter your company's name."), Length(max=200)])
    name = StringField("Your name", filters=[_stripped], validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField("Email", filters=[_stripped],
                       validators=[DataRequired("Enter your email address."),
                                   Email("Enter an email address like name@example.com."), Length(max=254)])
    country = SelectField("Country", choices=_countries("Choose a country"), default="",
                          validators=[DataRequired("Choose your country.")])
    partner_id = StringField("Partner ID (MPN ID, optional)", filters=[_stripped],
                             description="If you are already in Microsoft's partner program.",
                             validators=[Optional(), Regexp(PARTNER_ID_FORMAT, message=PARTNER_ID_RULE)])
    message = TextAreaField("Message (optional)", filters=[_stripped], validators=[Length(max=4000)])
    submit = SubmitField("Send")
