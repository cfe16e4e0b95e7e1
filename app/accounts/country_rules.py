"""Partner Center's country validation rules (GET /v1/countryvalidationrules/{ISO2}) in words a reseller
understands: the company registration ID they describe, and a pattern Microsoft quotes in a refusal.

What Microsoft documents (learn.microsoft.com/partner-center/developer/country-information-resources,
get-market-specific-validation-data): TaxIdFormat "the tax ID format", TaxIdSample, VatIdRegex "the tax ID
regular expression", PhoneNumberRegex, IsStateRequired. Its sample answer writes a digit as '#'
(taxIdFormat "US######", taxIdSample "US999965"); the sandbox writes '9' (and 'A' for a letter): both are
read. Microsoft asks for the business tax ID as the company registration ID (partner-center/add-a-new-
customer), so the tax ID rules are the registration ID's rules. The country prefix of a format
("PL9999999999") may be left out, and is: the registration ID is the national number.

Pure functions of a rules object (app.partner_center's CountryRules, or anything with its attributes)."""
from __future__ import annotations

import re

from app.accounts.countries import country_name

# What people call the number the format describes, where the storefront knows it.
NATIONAL_NAMES = {"PL": "NIP", "IN": "GSTIN", "BR": "CNPJ"}
ADJECTIVES = {"US": "US", "PL": "Polish", "GB": "UK", "DE": "German", "FR": "French", "NL": "Dutch",
              "IN": "Indian", "BR": "Brazilian", "CA": "Canadian", "AU": "Australian"}


def _body(tax_format: str, country: str) -> str:
    return tax_format[2:] if tax_format[:2].upper() == country.upper() else tax_format


def format_to_regex(tax_format: str | None, country: str) -> re.Pattern | None:
    """The taxIdFormat ('PL9999999999': 9 or # a digit, A a letter) as a pattern; the country prefix may
    be left out."""
    if not tax_format:
        return None
    body = _body(tax_format, country)
    pattern = "".join(r"\d" if ch in "9#" else "[A-Za-z]" if ch == "A" else re.escape(ch) for ch in body)
    return re.compile(rf"^(?:{re.escape(country)})?{pattern}$", re.IGNORECASE)


def _vat_regex(rules) -> re.Pattern | None:
    try:
        return re.compile(rules.vat_id_regex) if getattr(rules, "vat_id_regex", None) else None
    except re.error:
        return None  # a pattern Python cannot read checks nothing rather than everything


def clean_registration_id(country: str, rules, value: str) -> str | None:
    """The registration ID as Microsoft takes it (no spaces, no country prefix the format allows leaving
    out), or None when it does not follow the country's rules. With no rule for the country, the value
    without spaces. Dashes and dots people type between digit groups are dropped when the format has none."""
    compact = re.sub(r"\s", "", value or "")
    pattern = format_to_regex(getattr(rules, "tax_id_format", None), country)
    vat = _vat_regex(rules)
    if pattern is None and vat is None:
        return compact
    candidates = [compact]
    if not re.search(r"[-.]", getattr(rules, "tax_id_format", None) or ""):
        candidates.append(re.sub(r"[-.]", "", compact))
    for candidate in candidates:
        bare = candidate[2:] if candidate[:2].upper() == country.upper() else candidate
        if pattern is not None and pattern.match(candidate):
            return bare if pattern.match(bare) else candidate
        if pattern is None and any(vat.match(form) for form in (candidate, bare, country.upper() + bare)):
            return bare
    return None


def _sample(rules, country: str) -> str:
    sample = getattr(rules, "tax_id_sample", None) or ""
    if sample[:2].upper() == country.upper() and not sample[:2].isdigit():
        sample = sample[2:]
    return sample


def registration_id_rule(country: str, rules) -> str:
    """'A Polish company registration ID (NIP) has 10 digits, like 5260250274.'"""
    adjective = ADJECTIVES.get(country)
    national = f" ({NATIONAL_NAMES[country]})" if country in NATIONAL_NAMES else ""
    article = "An" if (adjective or "")[:1] in ("A", "E", "I", "O", "U") else "A"
    subject = (f"{article} {adjective} company registration ID{national}" if adjective
               else f"A company registration ID in {country_name(country)}{national}")
    sample = _sample(rules, country)
    like = f", like {sample}" if sample else ""
    tax_format = getattr(rules, "tax_id_format", None)
    if tax_format:
        body = _body(tax_format, country)
        if all(ch in "9#" for ch in body):
            return f"{subject} has {len(body)} digits{like}."
        if not sample:
            return f"{subject} is written like {body} (9 stands for a digit, A for a letter)."
        return f"{subject} has {len(body)} characters{like}."
    words = pattern_in_words(getattr(rules, "vat_id_regex", None) or "")
    if words:
        return f"{subject} has {words}{like}."
    if sample:
        return f"{subject} is written like {sample}."
    return f"This is not a company registration ID Microsoft accepts for customers in {country_name(country)}."


_DIGITS = r"(?:\\d|\[0-9\])"


def pattern_in_words(regex: str) -> str | None:
    """A simple all-digits pattern Microsoft quotes ('^\\d{10}$', '^(\\d{10}|\\d{12})$', '^\\d{10,11}$')
    in words ('10 digits', '10 or 12 digits'); None when it says more than a number of digits."""
    text = (regex or "").strip()
    text = re.sub(r"^\^|\$$", "", text)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].removeprefix("?:")
    counts = []
    for part in text.split("|"):
        match = re.fullmatch(rf"{_DIGITS}\{{(\d+)(?:,(\d+))?\}}", part.strip().removeprefix("^").removesuffix("$"))
        if match is None:
            return None
        low, high = match.group(1), match.group(2)
        if high and high != low:
            counts.append(f"{low} or {high}" if int(high) == int(low) + 1 else f"{low} to {high}")
        else:
            counts.append(low)
    if not counts:
        return None
    return (" or ".join(counts) if len(counts) <= 2 else ", ".join(counts[:-1]) + " or " + counts[-1]) + " digits"


PHONE_DIGITS = "Enter a phone number in digits (spaces, dashes, brackets and a leading + are fine)."


def phone_problem(phone: str) -> str | None:
    """Any phone number, whatever its country: digits, perhaps grouped, perhaps after a +. Where the
    country's rules give a phoneNumberRegex, that is checked too (app/settings/licensees.py rule_problems)."""
    if not phone:
        return None
    compact = re.sub(r"[\s\-().\/]", "", phone)
    return None if re.fullmatch(r"\+?\d+", compact) else PHONE_DIGITS
