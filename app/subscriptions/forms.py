"""Forms of the subscriptions area. Every change form carries the subscription's etag as the person
saw it (a change made meanwhile is noticed) and a request key (a double click makes one order)."""
from __future__ import annotations

import uuid

from app.web.forms import FlaskForm
from wtforms import HiddenField, SearchField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.subscriptions.models import SubscriptionStatus
from app.web.query import choice_filter, date_filter

STATUS_CHOICES = [SelectChoice("", "All statuses")] + [SelectChoice(s.value, s.label) for s in SubscriptionStatus]


class GridForm(FlaskForm):
    """The grid's search and filters: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField("Search subscriptions", validators=[Optional()],
                    description="Name, product, customer, tenant or subscription ID.")
    account = choice_filter("Account", [SelectChoice("", "All accounts")], what="an account")  # the operator's
    status = choice_filter("Status", STATUS_CHOICES, what="a status")
    customer = choice_filter("Customer", [SelectChoice("", "All customers")], what="a customer")
    product = choice_filter("Product", [SelectChoice("", "All products")], what="a product")
    renewal_from = date_filter("Renewal date from")
    renewal_to = date_filter("Renewal date until", not_before="renewal_from")


def new_request_key() -> str:
    return uuid.uuid4().hex


class _ChangeForm(FlaskForm):
    etag = HiddenField()
    request_key = HiddenField()

    def prepare(self, sub) -> "_ChangeForm":
        """A fresh form for the page: the current etag and a new request key."""
        self.etag.data = sub.etag or ""
        self.request_key.data = new_request_key()
        return self


class QuantityForm(_ChangeForm):
    # Text, not type=number: what was typed comes back as typed, with the message next to it.
    quantity = StringField("Number of seats")


class AddLicencesForm(_ChangeForm):
    """Dynamics 365 instances: licences added to this instance (app/subscriptions/instances.py)."""

    licences = StringField("Number of licences to add")


class ScheduleForm(_ChangeForm):
    quantity = StringField("Seats from the renewal")


class AutoRenewForm(_ChangeForm):
    enabled = HiddenField()


class RenameForm(_ChangeForm):
    friendly_name = StringField("Subscription name")


class CancelForm(_ChangeForm):
    pass


class TerminateForm(FlaskForm):
    seen = HiddenField()
    request_key = HiddenField()
