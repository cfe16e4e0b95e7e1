"""The home page of each kind of account."""
from __future__ import annotations

from tests.helpers import soup


def _facts(page) -> dict[str, str]:
    return {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in page.select("dl.facts dt")}


def test_the_home_pages_name_countries_as_the_rest_of_the_storefront_does(reseller_client, customer_client):
    """They showed the codes ("US", "PL") where Settings > Licensees and admin > Accounts show the names."""
    assert _facts(soup(customer_client.get("/")))["Country"] == "United States"
    section = soup(reseller_client.get("/")).select_one("section[aria-labelledby=licensees-heading]")
    rows = {tr.select("td")[0].get_text(): tr.select("td")[1].get_text() for tr in section.select("tbody tr")}
    assert rows == {"Fabrikam, Inc.": "United States", "Litware, Inc.": "Poland"}
