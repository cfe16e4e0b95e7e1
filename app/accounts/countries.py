"""The countries the storefront's forms offer (an account's, a licensee's), named once so the
checkout, the operator's onboarding and the account settings agree."""
from __future__ import annotations

COUNTRIES = [
    ("US", "United States"), ("PL", "Poland"), ("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France"),
    ("NL", "Netherlands"), ("IN", "India"), ("BR", "Brazil"), ("CA", "Canada"), ("AU", "Australia"),
]
COUNTRY_NAMES = dict(COUNTRIES)


def country_name(code: str | None) -> str:
    """"Poland" for "PL"; a code the list does not know is shown as it is."""
    return COUNTRY_NAMES.get((code or "").upper(), code or "")


# Names a sentence says with "the": "new customers in the United States".
_WITH_THE = {"US", "GB", "NL"}


def country_in_a_sentence(code: str | None) -> str:
    """"the United States", "Poland": a country's name as it stands after "in" or "for" in a sentence."""
    name = country_name(code)
    return f"the {name}" if (code or "").upper() in _WITH_THE else name
