"""Term and billing plan words are defined once, in app/catalog/terms.py, and every page uses its
filters: a page that spells them itself drifts (subscriptions once said "1 month" where the catalog,
the checkout and the orders said "Monthly"). The 1-month term reads "1 month", never "Monthly", the
word of the monthly billing plan beside it: "Monthly, billed Monthly" told a reader nothing."""
from __future__ import annotations

import re
from pathlib import Path

from app.catalog import terms

ROOT = Path(__file__).resolve().parents[2]
# The sandbox and the Partner Center client speak Microsoft's words, not the storefront's.
OWN_WORDS = ("app/catalog/terms.py", "app/sandbox/", "app/partner_center/")
SPELLED_OUT = [
    (re.compile(r"""["']P1[MY]["']\s*:"""), "a dict of term labels"),
    (re.compile(r"billing_plan[^}\n]*\|\s*(capitalize|title)"), "a billing plan shown with |capitalize"),
    (re.compile(r"^\s*(TERM|BILLING)_\w+\s*=\s*\{", re.M), "a dict of term or billing words"),
]


def test_term_and_billing_words_are_spelled_only_in_catalog_terms():
    found = []
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("templates/**/*.html")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(OWN_WORDS):
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{rel}: {what}" for pattern, what in SPELLED_OUT if pattern.search(text)]
    assert not found, ("Term and billing plan words live in app/catalog/terms.py; use its filters "
                       "(term_label, term_adjective, billing_label, billing_adverb, billing_period) instead of:\n"
                       + "\n".join(found))


def test_every_word_form_covers_every_term_and_plan():
    assert list(terms.TERM_ADJECTIVES) == list(terms.TERMS)
    for words in (terms.BILLING_ADVERBS, terms.BILLING_PERIODS):
        assert list(words) == list(terms.BILLING_PLANS)


def test_the_filters_render_in_any_template(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string(
            "{{ 'P1M'|term_label }}/{{ 'P3Y'|term_adjective }}/{{ 'annual'|billing_label }}/"
            "{{ 'annual'|billing_adverb }}/{{ 'triennial'|billing_period }}/{{ none|billing_label }}/"
            "{{ 'P2Y'|term_label }}").render()
    assert rendered == "1 month/3-year/Annual/annually/3 years//P2Y"
