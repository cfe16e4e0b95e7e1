"""The words for terms and billing plans, in one place, for every page, message and CSV.

Partner Center names a term by its ISO 8601 duration (P1M, P1Y, P3Y) and a billing plan by its
cycle (monthly, annual, triennial). Each has a few grammatical forms, all kept here so the pages
never define their own: a label for tables and choices ("1 month", "1 year", "Annual"), an adjective for
sentences ("a 1-year term"), an adverb ("billed annually") and a period ("per year"). A number of
seats or licences in a sentence is said here too ("1 seat", "5 seats"), and an amount of money, in the
one format every page, message and e-mail uses: "1,234.50 USD" (see `money`).

The dicts are ordered as the pages list them; templates use the filters registered by
`register_filters` (once, on the catalog blueprint).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

TERMS = {"P1M": "1 month", "P1Y": "1 year", "P3Y": "3 years"}  # not "Monthly": the billing plan's word
TERM_ADJECTIVES = {"P1M": "1-month", "P1Y": "1-year", "P3Y": "3-year"}

BILLING_PLANS = {"monthly": "Monthly", "annual": "Annual", "triennial": "Triennial"}
BILLING_ADVERBS = {"monthly": "monthly", "annual": "annually", "triennial": "every three years"}
BILLING_PERIODS = {"monthly": "month", "annual": "year", "triennial": "3 years"}


# Unknown codes (a term Microsoft adds before the storefront knows it) show as Partner Center wrote them.

def term_label(term: str | None) -> str:
    return TERMS.get(term or "", term or "")


def term_adjective(term: str | None) -> str:
    return TERM_ADJECTIVES.get(term or "", term or "")


def billing_label(plan: str | None) -> str:
    return BILLING_PLANS.get(plan or "", plan or "")


def billing_adverb(plan: str | None) -> str:
    return BILLING_ADVERBS.get(plan or "", plan or "")


def billing_period(plan: str | None) -> str:
    return BILLING_PERIODS.get(plan or "", plan or "")


def seats(count: int | None) -> str:
    """"1 seat", "5 seats": a number of seats in a sentence."""
    return f"{count} seat" if count == 1 else f"{count} seats"


def licences(count: int | None) -> str:
    """"1 licence", "5 licences"."""
    return f"{count} licence" if count == 1 else f"{count} licences"


def money(amount, currency: str | None, signed: bool = False) -> str:
    """An amount as every buyer's page says it: "1,234.50 USD", "22.00 PLN", "−12.00 USD".

    A storefront selling in several currencies names the currency by its ISO 4217 code after the
    amount, never by a symbol ("$" is also the Canadian and Australian dollar's), with two decimals
    and a comma between thousands, whatever the currency. `signed` says "+" before a gain; a loss
    always shows a minus sign (U+2212). No amount (None) is "—"."""
    if amount is None:
        return "—"
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return f"{amount} {currency or ''}".strip()  # not a number: as it was recorded
    text = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else "+" if signed and value > 0 else ""
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


FILTERS = {f.__name__: f for f in (term_label, term_adjective, billing_label, billing_adverb, billing_period,
                                   seats, licences, money)}


def register_filters(bp) -> None:
    """Make the words Jinja filters of the whole app (`{{ line.term_duration|term_label }}`)."""
    for name, function in FILTERS.items():
        bp.add_app_template_filter(function, name)
