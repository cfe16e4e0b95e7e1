"""A postal address on one line, as its country writes it: the checkout's Review, Partner Center's
suggested correction and an account's page show the same address the same way."""
from __future__ import annotations

from collections.abc import Mapping

from app.accounts.countries import country_name


def _part(address, name: str) -> str:
    value = address.get(name) if isinstance(address, Mapping) else getattr(address, name, None)
    return str(value or "").strip()


def _joined(separator: str, *parts: str) -> str:
    return separator.join(p for p in parts if p)


def locality(city: str, state: str, postal_code: str, country: str | None) -> str:
    """The city with its state and postal code. The United States and Canada write "Seattle, WA 98101",
    Australia "Sydney NSW 2000"; most of Europe puts the postal code first, "00-026 Warszawa", and the
    storefront writes every other country so, a region after it."""
    country = (country or "").upper()
    if country in ("US", "CA"):
        return _joined(" ", _joined(", ", city, state), postal_code)
    if country == "AU":
        return _joined(" ", city, state, postal_code)
    return _joined(", ", _joined(" ", postal_code, city), state)


def postal_address(address, country: str | None, with_country: bool = False) -> str:
    """`address`: anything with address_line1, address_line2, city, state and postal_code (a model or a
    dict); "500 Pine Street, Suite 4, Seattle, WA 98101", then ", United States" `with_country`.
    A Jinja filter: `{{ draft|postal_address(draft.customer_country, with_country=True) }}`."""
    line = _joined(", ", _part(address, "address_line1"), _part(address, "address_line2"),
                   locality(_part(address, "city"), _part(address, "state"), _part(address, "postal_code"), country))
    return _joined(", ", line, country_name(country)) if with_country else line
