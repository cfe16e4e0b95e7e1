from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

COUNTRIES = [
    ("US", "United States"), ("PL", "Poland"), ("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France"),
    ("NL", "Netherlands"), ("IN", "India"), ("BR", "Brazil"), ("CA", "Canada"), ("AU", "Australia"),
]
NEW = "new"


class CustomerForm(FlaskForm):
    """A reseller picks one of its licensees or adds one inline."""

    licensee = SelectField("Customer", choices=[], validate_choice=False,
                           description="Choose one of your customers, or “Add a new customer” and fill in the details below.")
    company_name = StringField("Company name", validators=[Optional(), Length(max=200)])
    country = SelectField("Country", choices=[SelectChoice("", "Choose a country")] + [SelectChoice(c, n) for c, n in COUNTRIES],
                          default="")
    contact_first_name = StringField("Contact first name", validators=[Optional(), Length(max=50)])
    contact_last_name = StringField("Contact last name", validators=[Optional(), Length(max=50)])
    email = EmailField("Contact email", validators=[Optional(), Email("Enter an email address like name@example.com.")])
    phone = TelField("Contact phone", validators=[Optional(), Length(max=40)])
    submit = SubmitField("Next")

    def validate_new_customer(self) -> bool:
        """The inline fields are required only when adding a new customer."""
        ok = True
        for field, message in ((self.company_name, "Enter the company name."),
                               (self.contact_first_name, "Enter the contact's first name."),
                               (self.contact_last_name, "Enter the contact's last name."),
                               (self.email, "Enter the contact's email address."),
                               (self.country, "Choose the customer's country.")):
            if not (field.data or "").strip():
                field.errors = [*field.errors, message]
                ok = False
        return ok and not any(f.errors for f in (self.company_name, self.email, self.phone))


class DirectCustomerForm(FlaskForm):
    submit = SubmitField("Next")


class ServiceForm(FlaskForm):
    existing_tenant = BooleanField("")  # label set per role in the view
    domain_prefix = StringField("Domain prefix", validators=[Length(max=64)],
                                description="Letters and digits, up to 27 characters; the tenant's domain will be <prefix>.onmicrosoft.com.")
    partner_id = StringField("MPN ID", validators=[Length(max=20)],
                             description="Your Microsoft partner ID (MPN / PLA ID); it goes on every order.")
    reseller_tenant_id = StringField("Your Partner Center tenant ID", validators=[Optional(), Length(max=64)])
    submit = SubmitField("Checkout")


PARTNER_ID_RE = Regexp(r"^\d{1,10}$", message="A partner ID is a number of up to 10 digits, like 1234567.")


class VerifyForm(FlaskForm):
    default_domain = StringField("Customer's default domain", validators=[
        DataRequired("Enter the customer's default domain."), Length(max=253)],
        description="The onmicrosoft.com domain, or a custom default domain such as contoso.com.")
    submit = SubmitField("Verify")


class CancelForm(FlaskForm):
    submit = SubmitField("Discard this purchase")


