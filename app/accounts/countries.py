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
