"""The refusal that a rule raises for what someone typed: what to say, and the form field to say it next to."""
from __future__ import annotations


class FieldRefused(Exception):
    """A change refused: `message` says why, `field` names the form field the message goes next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
