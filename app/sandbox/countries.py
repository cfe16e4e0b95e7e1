"""Country validation rules, registration-ID rules and a deterministic
address validator for the sandbox.

``GET /v1/countryvalidationrules/{iso2}`` answers a CountryValidationRules resource
(https://learn.microsoft.com/partner-center/developer/country-information-resources,
get-market-specific-validation-data): iso2Code, defaultCulture, isStateRequired,
supportedStatesList, supportedLanguagesList, supportedCulturesList, isPostalCodeRequired,
postalCodeRegex, isCityRequired, isVatIdSupported, taxIdFormat, taxIdSample, vatIdRegex,
phoneNumberRegex, isTaxIdSupported, isTaxIdOptional, countryCallingCodesList. Every country the
storefront offers (app/accounts/countries.py; a test walks that list) has its own entry.
UNCONFIRMED: Microsoft does not publish each country's values; these are the national formats."""

from __future__ import annotations

import re

US_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR",
]
IN_STATES = [
    "AN", "AP", "AR", "AS", "BR", "CH", "CT", "DN", "DL", "GA", "GJ", "HR", "HP", "JK", "JH",
    "KA", "KL", "LA", "LD", "MP", "MH", "MN", "ML", "MZ", "NL", "OR", "PY", "PB", "RJ", "SK",
    "TN", "TG", "TR", "UP", "UT", "WB",
]
BR_STATES = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB",
    "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
]


def _rules(iso2, culture, *, state_required=False, states=(), postal_required=True,
           postal_regex="", city_required=True, tax_supported=False, tax_optional=True,
           tax_format="", tax_sample="", phone_regex=r"^\+?[0-9 ()\-]{6,20}$",
           languages=("en",), cultures=("en-US",), vat_regex="", calling_codes=()):
    return {
        "iso2Code": iso2,
        "defaultCulture": culture,
        "isStateRequired": state_required,
        "supportedStatesList": list(states),
        "isPostalCodeRequired": postal_required,
        "postalCodeRegex": postal_regex,
        "isCityRequired": city_required,
        "isTaxIdSupported": tax_supported,
        "isTaxIdOptional": tax_optional,
        "taxIdFormat": tax_format,
        "taxIdSample": tax_sample,
        "phoneNumberRegex": phone_regex,
        "supportedLanguagesList": list(languages),
        "supportedCulturesList": list(cultures),
        "isVatIdSupported": bool(vat_regex),
        "vatIdRegex": vat_regex,
        "countryCallingCodesList": list(calling_codes),
        "attributes": {"objectType": "CountryValidationRules"},
    }


COUNTRY_RULES = {
    "US": _rules("US", "en-US", state_required=True, states=US_STATES,
                 postal_regex=r"^\d{5}(-\d{4})?$",
                 phone_regex=r"^\+?1?[ .\-]?\(?\d{3}\)?[ .\-]?\d{3}[ .\-]?\d{4}$",
                 languages=("en", "es"), cultures=("en-US", "es-US")),
    "PL": _rules("PL", "pl-PL", postal_regex=r"^\d{2}-\d{3}$", tax_supported=True,
                 tax_format="PL9999999999", tax_sample="PL5260250274",
                 phone_regex=r"^(\+48)?[ \-]?\d{3}[ \-]?\d{3}[ \-]?\d{3}$",
                 languages=("pl", "en"), cultures=("pl-PL", "en-US")),
    "GB": _rules("GB", "en-GB",
                 postal_regex=r"^([A-Za-z]{1,2}\d[A-Za-z\d]?) ?(\d[A-Za-z]{2})$",
                 tax_supported=True, tax_format="GB999999999", tax_sample="GB980780684",
                 phone_regex=r"^(\+44|0)[ \d]{9,12}$", cultures=("en-GB",)),
    "DE": _rules("DE", "de-DE", postal_regex=r"^\d{5}$", tax_supported=True,
                 tax_format="DE999999999", tax_sample="DE136695976",
                 phone_regex=r"^(\+49|0)[ \d/\-]{6,15}$",
                 languages=("de", "en"), cultures=("de-DE", "en-US")),
    "IN": _rules("IN", "en-IN", state_required=True, states=IN_STATES,
                 postal_regex=r"^\d{6}$", tax_supported=True, tax_optional=False,
                 tax_format="99AAAAA9999A9Z9", tax_sample="29AAACM5586E1Z5",
                 phone_regex=r"^(\+91)?[ \-]?\d{10}$",
                 languages=("en", "hi"), cultures=("en-IN", "hi-IN")),
    "BR": _rules("BR", "pt-BR", state_required=True, states=BR_STATES,
                 postal_regex=r"^\d{5}-?\d{3}$", tax_supported=True, tax_optional=False,
                 tax_format="99.999.999/9999-99", tax_sample="33.000.167/0001-01",
                 phone_regex=r"^(\+55)?[ \-]?\(?\d{2}\)?[ \-]?\d{4,5}[ \-]?\d{4}$",
                 languages=("pt", "en"), cultures=("pt-BR", "en-US")),
}


CA_PROVINCES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]

COUNTRY_RULES.update({
    "FR": _rules("FR", "fr-FR", postal_regex=r"^\d{5}$", tax_supported=True, tax_format="FRXX999999999",
                 tax_sample="FR40303265045", vat_regex=r"^FR[0-9A-Z]{2}\d{9}$", calling_codes=("33",),
                 phone_regex=r"^(\+33|0)[ .]?[1-9]([ .]?\d{2}){4}$", languages=("fr", "en"),
                 cultures=("fr-FR", "en-US")),
    "NL": _rules("NL", "nl-NL", postal_regex=r"^\d{4} ?[A-Za-z]{2}$", tax_supported=True,
                 tax_format="NL999999999B99", tax_sample="NL004495445B01", vat_regex=r"^NL\d{9}B\d{2}$",
                 calling_codes=("31",), phone_regex=r"^(\+31|0)[ \-]?\d[ \-\d]{7,11}$",
                 languages=("nl", "en"), cultures=("nl-NL", "en-US")),
    "CA": _rules("CA", "en-CA", state_required=True, states=CA_PROVINCES,
                 postal_regex=r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$", calling_codes=("1",),
                 phone_regex=r"^\+?1?[ .\-]?\(?\d{3}\)?[ .\-]?\d{3}[ .\-]?\d{4}$",
                 languages=("en", "fr"), cultures=("en-CA", "fr-CA")),
    # Not required: Australia's state codes (NSW, VIC ...) are longer than the two characters a
    # customer's defaultAddress.state takes.
    "AU": _rules("AU", "en-AU", postal_regex=r"^\d{4}$",
                 tax_supported=True, tax_format="99 999 999 999", tax_sample="51 824 753 556",
                 calling_codes=("61",), phone_regex=r"^(\+61|0)[ \-]?\d([ \-]?\d){8}$",
                 cultures=("en-AU",)),
})
_CALLING_CODES = {"US": ("1",), "PL": ("48",), "GB": ("44",), "DE": ("49",), "IN": ("91",), "BR": ("55",)}
for _iso2, _codes in _CALLING_CODES.items():
    COUNTRY_RULES[_iso2]["countryCallingCodesList"] = list(_codes)
_VAT = {"PL": r"^PL\d{10}$", "GB": r"^GB(\d{9}|\d{12})$", "DE": r"^DE\d{9}$"}
for _iso2, _regex in _VAT.items():
    COUNTRY_RULES[_iso2].update(isVatIdSupported=True, vatIdRegex=_regex)


def country_rules(iso2: str) -> dict:
    """Rules for a country; a permissive default for countries not listed."""
    iso2 = (iso2 or "").upper()
    if iso2 in COUNTRY_RULES:
        return COUNTRY_RULES[iso2]
    return _rules(iso2, "en-US", postal_regex="")


# Countries where Microsoft requires the organization registration number (and
# then a phone number too). The regexes are the sandbox's choice of a
# plausible national format; Partner Center's real patterns are not published.
# Where a country's rules above publish a taxIdFormat, the number that format
# describes (its country prefix left out) passes the pattern here: what a client
# that follows the rules sends is accepted (a test holds them together).
_GENERIC_ID = r"^[A-Za-z0-9][A-Za-z0-9 ./\-]{3,30}$"
REGISTRATION_ID_RULES = {
    "AM": _GENERIC_ID, "AZ": _GENERIC_ID, "BY": r"^\d{9}$", "HU": r"^\d{8}-\d-\d{2}$",
    "KZ": r"^\d{12}$", "KG": _GENERIC_ID, "MD": r"^\d{13}$", "RU": r"^(\d{10}|\d{12})$",
    "TJ": _GENERIC_ID, "UZ": r"^\d{9}$", "UA": r"^\d{8}$",
    "IN": r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$",
    "BR": r"^\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}$",
    "ZA": r"^\d{4}/\d{6}/\d{2}$",
    "PL": r"^\d{10}$",
    "AE": r"^\d{15}$", "SA": r"^\d{10}$", "TR": r"^\d{10,11}$", "TH": r"^\d{13}$",
    "VN": r"^\d{10}(-\d{3})?$", "MM": _GENERIC_ID, "IQ": _GENERIC_ID, "SS": _GENERIC_ID,
    "VE": r"^[JGVEP]-?\d{8}-?\d$",
}


ABBREVIATIONS = {
    "st": "Street", "st.": "Street", "ave": "Avenue", "ave.": "Avenue", "rd": "Road",
    "rd.": "Road", "blvd": "Boulevard", "blvd.": "Boulevard", "dr": "Drive", "dr.": "Drive",
    "ln": "Lane", "ln.": "Lane", "pkwy": "Parkway", "hwy": "Highway", "ct": "Court",
}


def _normalize_street(line: str) -> str:
    words = []
    for word in line.split():
        expanded = ABBREVIATIONS.get(word.lower())
        if expanded:
            words.append(expanded)
        elif word.islower() and word.isalpha():
            words.append(word.capitalize())
        else:
            words.append(word)
    return " ".join(words)


def validate_address(address: dict) -> dict:
    """Deterministic stand-in for Microsoft's address validation:

    - unknown country (not two letters) -> ``NotValidated``;
    - postal code not matching the country's regex, or a required/unknown state
      -> ``None`` with a validationMessage;
    - no house number in addressLine1 -> ``StreetPartial``;
    - lowercase words or abbreviations (St, Ave, Rd...) in addressLine1 or a
      lowercase city -> ``Verified`` with the normalized address suggested;
    - otherwise -> ``VerifiedShippable``.
    """
    original = {k: address.get(k) for k in
                ("addressLine1", "addressLine2", "addressLine3", "city", "state", "postalCode", "country")
                if address.get(k) is not None}
    result = {"originalAddress": original, "suggestedAddresses": [], "status": "VerifiedShippable"}
    country = (address.get("country") or "").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        result.update(status="NotValidated",
                      validationMessage="The country code is not a valid ISO 3166-1 alpha-2 code.")
        return result
    rules = country_rules(country)
    postal = (address.get("postalCode") or "").strip()
    state = (address.get("state") or "").strip().upper()
    if rules["isPostalCodeRequired"] and rules["postalCodeRegex"] and not re.fullmatch(
            rules["postalCodeRegex"], postal):
        result.update(status="None",
                      validationMessage=f"The postal code '{postal}' is not valid for country {country}.")
        return result
    if rules["isStateRequired"] and state not in rules["supportedStatesList"]:
        result.update(status="None",
                      validationMessage=f"The state '{state}' is not valid for country {country}.")
        return result
    line1 = (address.get("addressLine1") or "").strip()
    if not line1 or not re.search(r"\d", line1):
        result.update(status="StreetPartial",
                      validationMessage="The street address is missing a house or building number.")
        return result
    city = (address.get("city") or "").strip()
    suggested_line1 = _normalize_street(line1)
    suggested_city = city.title() if city.islower() else city
    if suggested_line1 != line1 or suggested_city != city:
        suggestion = dict(original, addressLine1=suggested_line1, city=suggested_city, country=country)
        if state:
            suggestion["state"] = state
        result.update(status="Verified", suggestedAddresses=[suggestion],
                      validationMessage="The address was verified; a corrected form is suggested.")
    return result
