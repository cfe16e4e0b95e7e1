"""Filter state kept in the URL: the query string names only what differs from the defaults, so an
address reads well and reloads the same result; and the paging of a list: one page of its rows."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import func, select
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from app.extensions import db

# What a list's filter field says when its value is not one it takes (an address typed or edited by
# hand, an old bookmark), in every list alike: not WTForms' "Not a valid date value." / "Not a valid choice.".
DATE_ADVICE = "Enter a date like 2026-01-31."


def date_filter(label: str, *, not_before: str | None = None) -> DateField:
    """A date filter of a list's GET form: optional; for one that is not a date (an address edited by hand), its
    message (DATE_ADVICE) is the same in every list. The end of a date range names the range's start field
    (not_before="date_from"): an end before it is refused. Its hint says which days the range takes (whole days in
    UTC, as app.time.on_days and the orders' query take them, both ends included) and names no format: the field
    is the browser's own date box (type=date, with JavaScript or without), which shows a date its own way
    (mm/dd/yyyy in an en-US Chromium)."""
    validators = [Optional()] + ([_on_or_after(not_before)] if not_before else [])
    hint = "On or before this date (UTC)." if not_before else "On or after this date (UTC)."
    return DateField(label, validators=validators, description=hint, invalid_value_message=DATE_ADVICE)


def _on_or_after(start: str):
    def validate(form, field):
        if field.data and form[start].data and field.data < form[start].data:
            raise ValidationError("The end date must be on or after the start date.")
    return validate


def choice_filter(label: str, choices, *, what: str) -> SelectField:
    """A drop-down filter of a list's GET form, "" (its first choice) meaning all: a value not among
    its choices says "Choose <what> from the list." (what: "a status", "a customer")."""
    return SelectField(label, choices=choices, default="", invalid_choice_message=f"Choose {what} from the list.")


def account_filter(form, accounts: list[tuple[int, str]] | None) -> None:
    """Offer the form's Account filter (`account`, a choice_filter) with `accounts` ((id, name) pairs), or,
    given None (the list shows one account's rows only), take it off the form: not shown, never applied."""
    if accounts is None:
        del form.account
        return
    form.account.choices = [SelectChoice("", "All accounts")] + [SelectChoice(str(i), name) for i, name in accounts]


def offered_account(form) -> int | None:
    """The account id the Account filter names when it is one the filter offers, read before the form is
    validated, for the filters whose choices follow the account chosen (None: every account, a value not
    offered, or no such filter)."""
    value = form.account.data if form.account is not None else None
    return int(value) if value and any(c.value == value for c in form.account.choices) else None


def applied_account(form) -> int | None:
    """The account id the Account filter selects (None: every account, a refused value, or no such filter)."""
    value = applied(form.account) if form.account is not None else None
    return int(value) if value else None


def applied_account_name(form) -> str | None:
    """The name of the account the Account filter selects, for a list's lead to say whose rows it shows (None:
    every account, a refused value, or no such filter)."""
    account = applied_account(form)
    return next((c.label for c in form.account.choices if c.value == str(account)), None) if account else None


def say_not_of_account(form, *fields) -> None:
    """After validating: each of `fields` (drop-downs whose choices follow the Account filter: the account's
    customers, its products) that refused its value while an account is chosen says so, since that value was most
    often chosen before the account: "Fabrikam, Inc. is not a customer of Tailspin Toys: choose one of its customers
    from the list.", not "Choose a customer from the list."."""
    account = applied_account_name(form)
    for field in fields if account else ():
        if field.errors:
            what = field.label.text.lower()
            field.errors = [f"{field.data} is not a {what} of {account}: choose one of its {what}s from the list."]


def pushed_address(url: str, valid: bool, headers) -> dict | None:
    """The HX-Push-Url header of a list's answer to htmx (`headers`: the request's): its clean address `url` (the
    form's own names every field, empty or not) when every filter was taken. None when one was refused, and for the
    answer to the Account drop-down's change (htmx names the field: HX-Trigger-Name), which only swaps in the
    choices that follow the account (macros.html's filter_form, follow_account): the rows, and so the address,
    stay until Filter."""
    return {"HX-Push-Url": url} if valid and headers.get("HX-Trigger-Name") != "account" else None


def applied(field):
    """The value of a filter field to apply: None when the field refused it (it is not applied)."""
    return None if field.errors else field.data


def unapplied(form) -> str | None:
    """What a list refused from its filters says above the rows, so that a refused filter never looks
    applied: "Shown without the Status filter: correct it above." (None when every filter is fine)."""
    labels = [field.label.text for field in form if field.errors]
    if not labels:
        return None
    names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return (f"Shown without the {names} filter{'s' if len(labels) > 1 else ''}: "
            f"correct {'it' if len(labels) == 1 else 'them'} above.")


@dataclass
class UrlState:
    """Base of a dataclass of filters whose defaults are the unfiltered first page: the page of every
    list (the pager reads it), and the filters a subclass adds."""

    page: int = 1

    def args(self, **overrides) -> dict:
        """The query string of this state with ``overrides``: defaults and empty values left out,
        dates as ISO 8601, in the order of the fields, the page last."""
        ordered = sorted(fields(self), key=lambda f: f.name == "page")
        defaults = {f.name: f.default for f in ordered}
        values = {f.name: getattr(self, f.name) for f in ordered} | overrides
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()
                if value not in ("", None) and value != defaults.get(name)}

    @property
    def filtering(self) -> bool:
        """Whether a filter is applied: what an empty list says ("no ... yet" or "no ... match these filters")
        depends on it. The page and the rows' order are not filters; nor is an address field the list ignores."""
        return any(name not in ("page", "sort", "direction") for name in self.args())


@dataclass
class SearchState(UrlState):
    """A list with a search box: what was typed (``q``, first in the address), then the subclass's filters."""

    q: str = ""


T = TypeVar("T")


@dataclass
class ListPage(Generic[T]):
    """One page of a list: its rows, how many rows the whole list has, which page this is of how many
    (the pager and the "page 2 of 3" captions read these), and how many rows a page shows."""
    rows: list[T]
    total: int
    page: int
    pages: int
    per_page: int


def page_of(stmt, page: int, per_page: int) -> ListPage:
    """The rows of an ordered select on page `page`, `per_page` rows a page: the page asked for moved
    into 1..pages (an address may name any number), and at least one page, so an empty list is page 1
    of 1. The rows are counted without the select's order."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return ListPage(list(rows), total, page, pages, per_page)


def requested_page(args) -> int:
    """The page an address asks for (`?page=` in `args`): 1 when it names none, or no whole number above 0."""
    page = args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1
