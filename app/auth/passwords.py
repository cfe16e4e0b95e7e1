"""Password rules: at least 12 characters, not the user's email address, not a common password.

The common passwords are the 10,000 most used ones of SecLists
(Passwords/Common-Credentials/10-million-password-list-top-10000.txt, from Mark Burnett's set of
10 million leaked passwords; MIT licence), shipped in common_passwords.txt beside this module.
Few of them are 12 characters long, so a password is also refused when it is one of them with
digits or symbols added before or after ("password2024!", "123dragon123"): that is how people
usually stretch a short password to a required length, and guessers try it first.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 200  # hashing a megabyte would only cost the server time
LIST_PATH = Path(__file__).with_name("common_passwords.txt")

TOO_SHORT = "Use at least {min} characters (this one has {n})."
TOO_LONG = "Use at most {max} characters."
IS_EMAIL = "Do not use your email address as your password."
TOO_COMMON = ("This is one of the most common passwords (or one with digits or symbols added), "
              "so it is among the first a guesser tries. Choose a longer phrase of your own.")

# Digits and symbols that pad a common password at either end.
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)


@cache
def common_passwords() -> frozenset[str]:
    lines = LIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.lower() for line in lines if line and not line.startswith("# "))


def is_common(password: str) -> bool:
    lowered = password.lower()
    listed = common_passwords()
    if lowered in listed:
        return True
    core = _PADDING.match(lowered).group(1)
    return bool(core) and core in listed


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """What is wrong with `password` as a new password for the user with `email`, or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT.format(min=MIN_LENGTH, n=len(password))
    if len(password) > MAX_LENGTH:
        return TOO_LONG.format(max=MAX_LENGTH)
    if email:
        address = email.strip().lower()
        if password.strip().lower() in (address, address.split("@")[0]):
            return IS_EMAIL
    if is_common(password):
        return TOO_COMMON
    return None


def say_password_problem(field, *, email: str | None = None) -> None:
    """Add the rules' refusal of the new password typed in the form field `field` to its messages, when
    another field of its form was refused first (a name, the current password): every refusal is said in
    the same submit, not the password's only on the next one. Nothing when it has a message already."""
    if field.data and not field.errors:
        problem = password_problem(field.data, email=email)
        if problem:
            field.errors = [*field.errors, problem]
