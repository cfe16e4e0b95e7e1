from app.web.forms import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.accounts.country_rules import phone_problem
from app.partners.network import PARTNER_ID_FORMAT, PARTNER_ID_RULE
from app.settings.forms import LicenseeContactForm

NEW = "new"


class CustomerForm(LicenseeContactForm):
    """A reseller picks one of its licensees or adds one inline (the contact fields and their rules
    are the Licensees page's)."""

    licensee = SelectField("Customer", choices=[], validate_choice=False,
                           description="Choose one of your customers, or “Add a new customer” and fill in the details below.")
    certificate = SelectField("Certificate", choices=[], validate_choice=False,
                              description="Your CSP Partner Program certificate: the order carries it.")
    submit = SubmitField("Next")

    def validate_new_customer(self) -> bool:
        """The inline fields are required only when adding a new customer."""
        return self.check_contact()

    def typed_new_customer(self) -> bool:
        """Whether anything was typed or chosen in the "Add a new customer" fields."""
        return any((self[name].data or "").strip() for name in self.CONTACT_FIELDS)


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


PARTNER_ID_RE = Regexp(PARTNER_ID_FORMAT, message=PARTNER_ID_RULE)


class VerifyForm(FlaskForm):
    default_domain = StringField("Customer's default domain", validators=[Length(max=253)],
                                 description="The onmicrosoft.com domain, or a custom default domain such as contoso.com.")
    submit = SubmitField("Verify")
    whose = "the customer's"

    def for_buyer(self, is_reseller: bool) -> "VerifyForm":
        """A reseller verifies its customer's tenant; a direct customer its own ("your tenant's")."""
        self.whose = "the customer's" if is_reseller else "your tenant's"
        if not is_reseller:
            self.default_domain.label.text = "Your tenant's default domain"
        return self

    def validate_default_domain(self, field):
        if not (field.data or "").strip():
            raise ValidationError(f"Enter {self.whose} default domain.")


class CancelForm(FlaskForm):
    submit = SubmitField("Discard this purchase")




class CompanyForm(FlaskForm):
    registration_id = StringField("Company registration ID", validators=[Length(max=64)],
                                  description="An individual without a company registration ID may give an equivalent tax identification number.")
    phone = TelField("Phone", validators=[Length(max=40)])
    address_line1 = StringField("Street address", validators=[Length(max=200)])
    address_line2 = StringField("Address line 2 (optional)", validators=[Length(max=200)])
    city = StringField("City", validators=[Length(max=100)])
    state = StringField("State or province", validators=[Length(max=50)])
    postal_code = StringField("Postal code", validators=[Length(max=20)])
    suggestion = StringField()  # "accept" or "refuse" when Partner Center suggested another address
    submit = SubmitField("Next")


class AgreementForm(FlaskForm):
    accepted = BooleanField("", validators=[DataRequired("Tick the box to go on.")])  # label set per role
    first_name = StringField("First name", validators=[DataRequired("Enter the first name."), Length(max=50)])
    last_name = StringField("Last name", validators=[DataRequired("Enter the last name."), Length(max=50)])
    email = EmailField("Email", validators=[DataRequired("Enter the email address."),
                                            Email("Enter an email address like name@example.com.")])
    phone = TelField("Phone", validators=[DataRequired("Enter the phone number."), Length(max=40)])
    submit = SubmitField("Next")

    def validate_phone(self, field):
        problem = phone_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)


class ReviewForm(FlaskForm):
    draft_id = StringField()
    terms = BooleanField("I accept the terms and conditions",
                         validators=[DataRequired("Accept the terms and conditions to buy.")])
    add_to_agreement = StringField()
    submit = SubmitField("Buy")


def _squeeze(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def review_form(instance_lines) -> ReviewForm:
    """The Review form, with an "Instance name" field (instance_<cart line id>) for each cart line that
    buys a new Dynamics 365 instance (app/subscriptions/instances.py): ``instance_lines`` holds the
    cart line views."""
    from app.subscriptions.instances import INSTANCE_NAME_MAX

    class Review(ReviewForm):
        pass

    for lv in instance_lines:
        title = lv.line.sku.title
        setattr(Review, f"instance_{lv.line.id}", StringField(
            "Instance name", filters=[_squeeze],
            description=f"{title}, {lv.line.quantity} licence{'s' if lv.line.quantity != 1 else ''}: a new instance "
                        "(subscription) with this name, such as Production, Test or Staging.",
            validators=[DataRequired(f"Enter an instance name for {title}."),
                        Length(max=INSTANCE_NAME_MAX,
                               message=f"The instance name can be at most {INSTANCE_NAME_MAX} characters long.")]))
    return Review()


def instance_fields(form: ReviewForm, instance_lines) -> list:
    """(cart line view, its Instance name field) pairs, in cart order."""
    return [(lv, form[f"instance_{lv.line.id}"]) for lv in instance_lines]
