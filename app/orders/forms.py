from app.web.forms import FlaskForm
from wtforms import SearchField, StringField, SubmitField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.orders.models import OrderStatus
from app.web.query import choice_filter, date_filter

STATUS_CHOICES = [SelectChoice("", "All statuses")] + [SelectChoice(s.value, s.label) for s in OrderStatus
                                                       if s is not OrderStatus.DRAFT]
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class OrderFilterForm(FlaskForm):
    """The order history's filters: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField("Search orders", validators=[Optional()], description="Order number, customer or domain.")
    account = choice_filter("Account", [SelectChoice("", "All accounts")], what="an account")  # the operator's
    status = choice_filter("Status", STATUS_CHOICES, what="a status")
    date_from = date_filter("Placed from")
    date_to = date_filter("Placed until", not_before="date_from")
    # No submit field: the template draws its own Filter button (with the id htmx gives the focus back to).


DOMAIN_RE = Regexp(r"^[a-z0-9]{1,27}(\.onmicrosoft\.com)?$",
                   message="Enter a domain like contoso.onmicrosoft.com: up to 27 letters and digits before "
                           ".onmicrosoft.com.")


class OrderingParametersForm(FlaskForm):
    domain = StringField("Domain name", validators=[DataRequired("Enter the domain name."), Length(max=253)])
    tenant_id = StringField("Tenant ID", validators=[Optional(), Regexp(GUID, message=(
        "A tenant ID looks like 3f9a6c2e-7b1d-4e5f-8a2b-c4d6e8f0a1b3."))])
    registration_id = StringField("Company registration ID", validators=[Optional(), Length(max=64)])
    phone = TelField("Phone number", validators=[Optional(), Length(max=40)])
    submit = SubmitField("Save")

    def validate_domain(self, field):
        field.data = (field.data or "").strip().lower()
        DOMAIN_RE(self, field)


class ProcessForm(FlaskForm):
    submit = SubmitField("Process")


class MarkReadForm(FlaskForm):
    submit = SubmitField("Mark all as read")
