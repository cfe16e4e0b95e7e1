"""Password rules: at least 12 characters, not the email, not one of the shipped common passwords."""
from __future__ import annotations

import pytest

from app.auth.passwords import IS_EMAIL, TOO_COMMON, common_passwords, password_problem


def test_the_shipped_list_is_the_10000_most_common_passwords():
    listed = common_passwords()
    assert len(listed) > 9_900  # 10,000 lines, a few equal once lower-cased ("Password", "password")
    assert {"123456", "password", "qwertyuiop", "1qaz2wsx3edc", "qwerty123456"} <= listed


@pytest.mark.parametrize("password, problem", [
    ("", "Use at least 12 characters (this one has 0)."),
    ("eleven-char", "Use at least 12 characters (this one has 11)."),
    ("x" * 201, "Use at most 200 characters."),
    ("Nina@Adatum.example.com", IS_EMAIL),
    ("nina@adatum.example", None),  # not the address, merely like it: judged as any other
    ("QWERTY123456", TOO_COMMON),  # listed, in any case
    ("password1234", TOO_COMMON),  # a listed one with digits added
    ("!!dragon2024!!", TOO_COMMON),
    ("123456789012", None),  # digits only: no listed word inside, and not listed itself
    ("correct horse battery staple", None),
    ("Tailspin-toys-2030", None),
])
def test_password_rules(password, problem):
    assert password_problem(password, email="nina@adatum.example.com") == problem


def test_the_email_rule_also_refuses_the_part_before_the_at_sign():
    assert password_problem("nina.novak.pl", email="nina.novak.pl@example.com") == IS_EMAIL
