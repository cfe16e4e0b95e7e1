"""An address on one line, as its country writes it (app.accounts.addresses, the `postal_address` filter)."""
from __future__ import annotations

import pytest

from app.accounts.addresses import postal_address


@pytest.mark.parametrize("country, address, written", [
    ("US", {"address_line1": "500 Pine Street", "city": "Seattle", "state": "WA", "postal_code": "98101"},
     "500 Pine Street, Seattle, WA 98101"),
    ("CA", {"address_line1": "100 King St W", "city": "Toronto", "state": "ON", "postal_code": "M5X 1A9"},
     "100 King St W, Toronto, ON M5X 1A9"),
    ("AU", {"address_line1": "1 Martin Place", "city": "Sydney", "state": "NSW", "postal_code": "2000"},
     "1 Martin Place, Sydney NSW 2000"),
    # Most of Europe: the postal code before the city, as the storefront wrote every address before.
    ("PL", {"address_line1": "ul. Marszałkowska 100", "address_line2": "lok. 4", "city": "Warszawa",
            "postal_code": "00-026"}, "ul. Marszałkowska 100, lok. 4, 00-026 Warszawa"),
    ("DE", {"address_line1": "Unter den Linden 1", "city": "Berlin", "state": "BE", "postal_code": "10117"},
     "Unter den Linden 1, 10117 Berlin, BE"),
    # A part missing leaves no stray comma or space.
    ("US", {"address_line1": "1 Main Street", "city": "Seattle", "state": None, "postal_code": "98101"},
     "1 Main Street, Seattle 98101"),
])
def test_an_address_is_written_as_its_country_writes_it(country, address, written):
    assert postal_address(address, country) == written


def test_with_its_country_the_country_is_named_last():
    address = {"address_line1": "500 Pine Street", "city": "Seattle", "state": "WA", "postal_code": "98101"}
    assert postal_address(address, "us", with_country=True) == "500 Pine Street, Seattle, WA 98101, United States"
